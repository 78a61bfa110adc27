import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { AdminNav, EditionPicker } from "~/components/admin";
import { CsrfInput, Notice } from "~/components/forms";
import { findEdition, listEditions } from "~/domain/editions.server";
import { nominationProgress, publicationInfo, publishNominees } from "~/domain/nominees.server";
import { formatInstant } from "~/domain/phases";
import { PublishFormSchema } from "~/schemas/index.server";
import { parseForm } from "~/http/form.server";
import { respond } from "~/http/respond.server";
import { db } from "~/utils/db.server";
import { editionParam } from "~/utils/params.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Nomination — Admin — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "nomination:manage");
  const now = new Date();
  const edition = await editionParam(request, now);
  const editions = await listEditions();
  if (!edition)
    return json({ edition: null, editions: [], progress: null, publication: null, publish: null });
  const database = db();
  const [progress, publication] = await Promise.all([
    nominationProgress(database, edition.id),
    publicationInfo(database, edition),
  ]);
  const tz = edition.timezone;
  const submissionClosed = now.getTime() >= new Date(edition.submission_closes_at).getTime();
  return json({
    edition: { id: edition.id, year: edition.year, name: edition.name },
    editions: editions.map((e) => ({ year: e.year, name: e.name })),
    progress,
    publication: publication ? { ...publication, at: formatInstant(publication.publishedAt, tz) } : null,
    publish: {
      allowed: !publication && submissionClosed,
      submissionCloses: formatInstant(edition.submission_closes_at, tz),
      nominationCloses: formatInstant(edition.nomination_closes_at, tz),
      votingOpens: formatInstant(edition.voting_opens_at, tz),
      submissionClosed,
    },
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "nomination:manage");
  const parsed = await parseForm(request, PublishFormSchema, (form) => ({
    editionId: form.get("editionId"),
    includeUndecided: form.get("includeUndecided") ?? undefined,
  }));
  if (!parsed.ok) {
    return json(
      { error: "The form could not be read. Reload the page and try again.", field: null },
      { status: 400 },
    );
  }
  const result = await publishNominees(db(), user.id, parsed.data, new Date());
  if (!result.ok) return respond(result.refusal, (a) => ({ error: a.message, field: a.field }));
  const edition = await findEdition(parsed.data.editionId);
  return redirect(`/admin/nomination?edition=${edition?.year}&published=1`);
}

export default function AdminNomination() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  if (!data.edition || !data.progress || !data.publish) {
    return (
      <div className="stack">
        <h1>Nomination</h1>
        <AdminNav />
        <p>
          There is no edition yet. <Link to="/admin/editions">Create one</Link> first.
        </p>
      </div>
    );
  }
  const { edition, progress, publish, publication } = data;
  const { totals } = progress;
  const confirming = publish.allowed && (params.get("step") === "confirm" || actionData !== undefined);
  const justPublished = params.get("published") === "1" && publication;
  return (
    <div className="stack">
      <h1>Nomination — {edition.name}</h1>
      <AdminNav />
      <EditionPicker editions={data.editions} year={edition.year} />
      <p>
        Experts per category: <Link to={`/admin/experts?edition=${edition.year}`}>Experts</Link>. Review the
        projects yourself: <Link to={`/review?edition=${edition.year}`}>Review queue</Link>.
      </p>

      {actionData?.error && publication ? <Notice kind="info">{actionData.error}</Notice> : null}
      {publication ? (
        <Notice kind="success">
          {justPublished ? "Published. " : null}
          The nominee list was published on {publication.at}
          {publication.publishedBy ? ` by ${publication.publishedBy}` : ""}. The nominated projects are
          public. Result emails: {publication.emails.sent} sent, {publication.emails.queued} waiting,{" "}
          {publication.emails.failed} failed (see the <Link to="/admin/outbox">outbox</Link>).
        </Notice>
      ) : null}

      <h2 id="progress-title">Progress per category</h2>
      <p>
        <strong>
          {totals.nominated + totals.rejected} of {totals.submitted} submitted projects decided,{" "}
          {totals.undecided} to do
        </strong>{" "}
        ({totals.nominated} nominated, {totals.rejected} rejected).
      </p>
      <div className="table-scroll">
        <table aria-labelledby="progress-title">
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Experts</th>
              <th scope="col">Submitted</th>
              <th scope="col">Nominated</th>
              <th scope="col">Rejected</th>
              <th scope="col">To do</th>
            </tr>
          </thead>
          <tbody>
            {progress.categories.map((c) => (
              <tr key={c.code}>
                <td>
                  <Link
                    to={`/review?edition=${edition.year}&category=${encodeURIComponent(c.code)}&show=all`}
                  >
                    <span className="code">{c.code}</span>
                    {c.name}
                  </Link>
                </td>
                <td>{c.experts === 0 ? <strong>none</strong> : c.experts}</td>
                <td>{c.submitted}</td>
                <td>{c.nominated}</td>
                <td>{c.rejected}</td>
                <td>{c.undecided === 0 ? "0" : <strong>{c.undecided}</strong>}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">All categories</th>
              <td>{totals.experts}</td>
              <td>{totals.submitted}</td>
              <td>{totals.nominated}</td>
              <td>{totals.rejected}</td>
              <td>{totals.undecided}</td>
            </tr>
          </tfoot>
        </table>
      </div>

      {!publication ? (
        <section id="publish" aria-labelledby="publish-title" className="stack">
          <h2 id="publish-title">Publish the nominee list</h2>
          <p>
            Publishing makes the nominated projects public, freezes every decision, and sends each submitted
            project’s contact a nominated or not-nominated email (once per project). Public voting opens on{" "}
            {publish.votingOpens}; the nomination phase closes on {publish.nominationCloses}.
          </p>
          {!publish.submissionClosed ? (
            <Notice kind="info">
              Submission is open until {publish.submissionCloses}: the nominee list can be published after
              that.
            </Notice>
          ) : confirming ? (
            <div className="card stack">
              <h3>Confirm publication</h3>
              {actionData?.error && !actionData.field ? (
                <Notice kind="error">{actionData.error}</Notice>
              ) : null}
              <p>
                <strong>{totals.nominated}</strong> nominated{" "}
                {totals.nominated === 1 ? "project becomes" : "projects become"} public, and{" "}
                <strong>{totals.submitted}</strong> {totals.submitted === 1 ? "email goes" : "emails go"} out
                ({totals.nominated} nominated, {totals.submitted - totals.nominated} not nominated). This
                cannot be undone.
              </p>
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="editionId" value={edition.id} />
                {totals.undecided > 0 || actionData?.field === "includeUndecided" ? (
                  // No "field" class: its full-width input style would stretch the checkbox.
                  <div>
                    {actionData?.field === "includeUndecided" ? (
                      <p id="f-includeUndecided-error" className="error" role="alert">
                        {actionData.error}
                      </p>
                    ) : (
                      <p className="error">
                        {totals.undecided} {totals.undecided === 1 ? "project has" : "projects have"} no
                        decision yet.
                      </p>
                    )}
                    <label>
                      <input
                        type="checkbox"
                        name="includeUndecided"
                        aria-describedby={
                          actionData?.field === "includeUndecided" ? "f-includeUndecided-error" : undefined
                        }
                      />{" "}
                      Publish anyway: undecided projects count as not nominated
                    </label>
                  </div>
                ) : null}
                <p className="actions">
                  <button type="submit">Publish the nominee list now</button>
                  <Link to={`/admin/nomination?edition=${edition.year}`}>Cancel</Link>
                </p>
              </Form>
            </div>
          ) : (
            <p>
              <Link className="button" to={`/admin/nomination?edition=${edition.year}&step=confirm#publish`}>
                Publish the nominee list…
              </Link>
            </p>
          )}
        </section>
      ) : null}
    </div>
  );
}
