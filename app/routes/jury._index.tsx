import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { CsrfInput, Notice } from "~/components/forms";
import { findEdition } from "~/domain/editions.server";
import { juryOverview } from "~/domain/jury.server";
import { formatInstant } from "~/domain/phases";
import type { ScoreState } from "~/domain/scores";
import { submitCategory } from "~/domain/scoring.server";
import { SubmitCategoryFormSchema } from "~/schemas/index.server";
import { parseForm } from "~/http/form.server";
import { respond } from "~/http/respond.server";
import { editionParam } from "~/utils/params.server";
import { db } from "~/utils/db.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Jury — WSIS Prizes" }];

const STATE_LABELS: Record<ScoreState, string> = {
  none: "Not scored yet",
  draft: "Draft (incomplete)",
  complete: "Scored",
};

export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requirePermission(request, "project:score:assigned");
  const now = new Date();
  const edition = await editionParam(request, now);
  if (!edition) return json({ edition: null, window: null, categories: [], championsKnown: false });
  const overview = await juryOverview(db(), user.id, edition, now);
  const tz = edition.timezone;
  return json({
    edition: { id: edition.id, year: edition.year, name: edition.name },
    window: overview.window,
    championsKnown: overview.championsKnown,
    categories: overview.categories.map((c) => ({
      ...c,
      submitted: c.submittedAt ? formatInstant(c.submittedAt, tz) : null,
      projects: c.projects.map((p) => ({ ...p, stateLabel: STATE_LABELS[p.state] })),
    })),
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "project:score:assigned");
  const parsed = await parseForm(request, SubmitCategoryFormSchema, (form) => ({
    editionId: form.get("editionId"),
    categoryId: form.get("categoryId"),
  }));
  if (!parsed.ok) {
    return json(
      { categoryId: null, error: "The form could not be read. Reload the page and try again.", missing: [] },
      { status: 400 },
    );
  }
  const result = await submitCategory(db(), user.id, parsed.data, new Date());
  if (!result.ok) {
    const missing = result.missing ?? [];
    return respond(result.refusal, (a) => ({
      categoryId: parsed.data.categoryId,
      error: a.message,
      missing,
    }));
  }
  const edition = await findEdition(parsed.data.editionId);
  return redirect(`/jury?edition=${edition?.year}&submitted=${encodeURIComponent(result.categoryCode)}`);
}

export default function JuryHome() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const submitted = actionData ? null : params.get("submitted");
  const conflict = actionData ? null : params.get("conflict");
  if (!data.edition || !data.window) {
    return (
      <div className="stack">
        <h1>Jury</h1>
        <p>There is no edition yet.</p>
      </div>
    );
  }
  const { edition } = data;
  return (
    <div className="stack">
      <h1>Jury — {edition.name}</h1>
      <Notice kind={data.window.open ? "info" : "error"}>{data.window.message}</Notice>
      {submitted ? (
        <Notice kind="success">
          Your scores for {submitted} are submitted and final. You can now see the other experts’ submitted
          scores on each project’s page.
        </Notice>
      ) : null}
      {conflict ? (
        <Notice kind="success">
          Your conflict of interest is recorded: that project is no longer in your list and your score of it,
          if any, was deleted.
        </Notice>
      ) : null}
      {actionData?.error && actionData.categoryId === null ? (
        <Notice kind="error">{actionData.error}</Notice>
      ) : null}
      {data.categories.length === 0 ? (
        <p>
          You have no category to score in this edition. Organisers assign experts to categories for the
          selection; ask them if you expected to score projects.
        </p>
      ) : (
        <>
          <p>
            Score each champion of your categories on the nine criteria (1–10 each) with a comment. Save
            drafts as often as you like; once every project of a category is scored, submit the category: your
            scores become final and you see the other experts’ scores. Projects of your own organisation, and
            projects you declare a conflict with, are not listed.
          </p>
          {data.categories.map((c) => (
            <section
              key={c.id}
              id={`category-${c.code}`}
              className="card stack"
              aria-labelledby={`cat-${c.id}`}
            >
              <h2 id={`cat-${c.id}`}>
                <span className="code">{c.code}</span>
                {c.name}
              </h2>
              <p>
                <strong>
                  Scored {c.complete} of {c.projects.length}
                </strong>
                {c.conflicts > 0
                  ? ` · ${c.conflicts} ${c.conflicts === 1 ? "project" : "projects"} left out for a conflict of interest`
                  : null}
                {" · "}
                {c.submitted ? `Submitted on ${c.submitted}` : "Not submitted yet"}
              </p>
              {c.projects.length === 0 ? (
                <p className="muted">
                  {data.championsKnown
                    ? "There is no champion for you to score in this category."
                    : "The champions are not known yet: they come from the official tally when voting closes."}
                </p>
              ) : (
                <div className="table-scroll">
                  <table aria-labelledby={`cat-${c.id}`}>
                    <thead>
                      <tr>
                        <th scope="col">Champion</th>
                        <th scope="col">Your score</th>
                      </tr>
                    </thead>
                    <tbody>
                      {/* Two columns, organisation and rank under the title: the table fits 360 px. */}
                      {c.projects.map((p) => (
                        <tr key={p.id}>
                          <td>
                            <Link to={`/jury/${p.id}`}>{p.title || "(untitled)"}</Link>
                            <br />
                            <span className="muted">
                              {p.organisation} · vote rank {p.rank}
                              {p.tied ? " (tied at the cut-off)" : ""}
                            </span>
                          </td>
                          <td>{p.state === "complete" ? <strong>{p.stateLabel}</strong> : p.stateLabel}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              {actionData?.error && actionData.categoryId === c.id ? (
                <Notice kind="error">
                  {actionData.error}
                  {actionData.missing.length ? (
                    <ul>
                      {actionData.missing.map((m) => (
                        <li key={m.id}>
                          <Link to={`/jury/${m.id}`}>{m.title || "(untitled)"}</Link>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </Notice>
              ) : null}
              {!c.submitted && data.window?.open && c.projects.length > 0 ? (
                <Form method="post" action={`/jury?index&edition=${edition.year}`}>
                  <CsrfInput />
                  <input type="hidden" name="editionId" value={edition.id} />
                  <input type="hidden" name="categoryId" value={c.id} />
                  <p className="hint">
                    {c.canSubmit
                      ? "Every project is scored. Submitting makes your scores for this category final."
                      : "You can submit once every project is scored completely (nine criteria and a comment)."}
                  </p>
                  <button type="submit">Submit my scores for {c.code}</button>
                </Form>
              ) : null}
            </section>
          ))}
        </>
      )}
    </div>
  );
}
