import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { AdminNav, EditionPicker } from "~/components/admin";
import { CsrfInput, Notice } from "~/components/forms";
import { retryFailed } from "~/domain/award-emails.server";
import { findEdition, listEditions } from "~/domain/editions.server";
import { publishResults, resultsAdminView } from "~/domain/results-publication.server";
import { ResultsActionSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { db } from "~/utils/db.server";
import { editionParam } from "~/utils/params.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: "Results — Admin — WSIS Prizes" },
  // While notifications are being sent the page follows them without any script (CSP forbids inline ones).
  ...(data?.view && data.view.delivery.queued > 0 ? [{ httpEquiv: "refresh", content: "5" }] : []),
];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "results:publish");
  const now = new Date();
  const edition = await editionParam(request, now);
  if (!edition) return json({ edition: null, editions: [], view: null });
  const [editions, view] = await Promise.all([listEditions(), resultsAdminView(db(), edition, now)]);
  return json({
    edition: { id: edition.id, year: edition.year, name: edition.name },
    editions: editions.map((e) => ({ year: e.year, name: e.name })),
    view,
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "results:publish");
  const form = await readForm(request);
  const parsed = ResultsActionSchema.safeParse({
    intent: form.get("intent"),
    editionId: form.get("editionId"),
  });
  if (!parsed.success) {
    return json(
      { error: "The form could not be read. Reload the page and try again.", problems: [] },
      { status: 400 },
    );
  }
  const edition = await findEdition(parsed.data.editionId);
  if (!edition) throw new Response("This edition does not exist.", { status: 404, statusText: "Not Found" });
  const back = `/admin/results?edition=${edition.year}`;
  if (parsed.data.intent === "retry") {
    const { retried } = await retryFailed(db(), { editionId: edition.id, actorUserId: user.id }, new Date());
    return redirect(`${back}&retried=${retried}#delivery`);
  }
  const result = await publishResults(db(), { editionId: edition.id, actorUserId: user.id }, new Date());
  if (!result.ok) {
    if (result.status === 404) throw new Response(result.message, { status: 404, statusText: "Not Found" });
    return json({ error: result.message, problems: result.problems }, { status: result.status });
  }
  return redirect(`${back}&published=1#delivery`);
}

const KIND_LABELS = { winner: "Winner", champion: "Champion" } as const;

export default function AdminResults() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  if (!data.edition || !data.view) {
    return (
      <div className="stack">
        <h1>Results</h1>
        <AdminNav />
        <p>
          There is no edition yet. <Link to="/admin/editions">Create one</Link> first.
        </p>
      </div>
    );
  }
  const { edition, view } = data;
  const { readiness, delivery, publication } = view;
  const canPublish = !publication && view.votingClosed && readiness.ready;
  const confirming = canPublish && params.get("step") === "confirm";
  const retried = params.get("retried");
  const handled = delivery.sent + delivery.failed;
  return (
    <div className="stack">
      <h1>Results — {edition.name}</h1>
      <AdminNav />
      <EditionPicker editions={data.editions} year={edition.year} />

      {actionData?.error ? (
        <Notice kind="error">
          {actionData.error}
          {actionData.problems.length ? (
            <ul>
              {actionData.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
        </Notice>
      ) : null}
      {publication ? (
        <Notice kind="success">
          {params.get("published") === "1" ? "Published. " : null}
          The results were published on {publication.at}
          {publication.by ? ` by ${publication.by}` : ""}. See the{" "}
          <Link to={`/results?edition=${edition.year}`}>public results page</Link>.
        </Notice>
      ) : null}

      {publication || delivery.total > 0 ? (
        <section id="delivery" aria-labelledby="delivery-title" className="stack">
          <h2 id="delivery-title">Champion and winner emails</h2>
          {retried !== null ? (
            <Notice kind="info">
              {retried === "0"
                ? "There were no failed emails to retry."
                : `${retried} failed ${retried === "1" ? "email is" : "emails are"} queued again.`}
            </Notice>
          ) : null}
          <p>
            <label htmlFor="delivery-progress">
              {handled} of {delivery.total} emails handled
              {delivery.queued > 0 ? " — sending; this page refreshes every 5 seconds" : ""}
            </label>
            <br />
            <progress id="delivery-progress" value={handled} max={Math.max(delivery.total, 1)}>
              {handled} of {delivery.total}
            </progress>
          </p>
          <div className="table-scroll">
            <table aria-label="Delivery">
              <thead>
                <tr>
                  <th scope="col">Queued</th>
                  <th scope="col">Sent</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Total</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>{delivery.queued}</td>
                  <td>{delivery.sent}</td>
                  <td>{delivery.failed > 0 ? <strong>{delivery.failed}</strong> : 0}</td>
                  <td>{delivery.total}</td>
                </tr>
              </tbody>
            </table>
          </div>
          {delivery.failures.length ? (
            <>
              <h3 id="failed-title">Failed emails</h3>
              <p>
                A 5xx reply from the mail server is permanent: fix the address (or ask the recipient’s mail
                administrator), then retry. Other failures were retried automatically before giving up.
              </p>
              <div className="table-scroll">
                <table aria-labelledby="failed-title">
                  <thead>
                    <tr>
                      <th scope="col">Recipient</th>
                      <th scope="col">Project</th>
                      <th scope="col">Email</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">SMTP reply</th>
                    </tr>
                  </thead>
                  <tbody>
                    {delivery.failures.map((f) => (
                      <tr key={f.id}>
                        <td>{f.to}</td>
                        <td>
                          {f.projectId ? (
                            <Link to={`/projects/${f.projectId}`}>{f.projectTitle ?? `#${f.projectId}`}</Link>
                          ) : (
                            "—"
                          )}
                        </td>
                        <td>{KIND_LABELS[f.kind]}</td>
                        <td>{f.attempts}</td>
                        <td>
                          <code>{f.lastError ?? "—"}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {delivery.failed > delivery.failures.length ? (
                <p className="muted">
                  Showing the first {delivery.failures.length} of {delivery.failed} failed emails.
                </p>
              ) : null}
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="editionId" value={edition.id} />
                <input type="hidden" name="intent" value="retry" />
                <button type="submit">
                  Retry the {delivery.failed} failed {delivery.failed === 1 ? "email" : "emails"}
                </button>
              </Form>
            </>
          ) : null}
        </section>
      ) : null}

      <h2 id="readiness-title">{publication ? "Published awards per category" : "Readiness per category"}</h2>
      {!publication ? (
        <>
          {!view.votingClosed ? (
            <Notice kind="info">
              Public voting is open until {view.votingCloses}: the results can be published after the official
              tally.
            </Notice>
          ) : null}
          {readiness.ready ? (
            <p>
              <strong>Every category is ready.</strong>
            </p>
          ) : (
            <>
              <p>Before publishing:</p>
              <ul>
                {readiness.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </>
          )}
        </>
      ) : null}
      <div className="table-scroll">
        <table aria-labelledby="readiness-title">
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Champions</th>
              <th scope="col">Winner</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {readiness.categories.map((c) => {
              const ties = c.champions.filter((p) => p.tied).length;
              return (
                <tr key={c.code}>
                  <td>
                    <span className="code">{c.code}</span>
                    {c.name}
                  </td>
                  <td>
                    {c.champions.length}
                    {ties ? ` (${ties} tied at fifth place, all included)` : ""}
                  </td>
                  <td>{c.winners.length ? c.winners.map((w) => w.title).join("; ") : "—"}</td>
                  <td>
                    {c.problems.length ? (
                      <strong>{c.problems.join(" ")}</strong>
                    ) : c.champions.length ? (
                      "Ready"
                    ) : (
                      "No champions"
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p>
        Winners are confirmed on the <Link to={`/admin/selection?edition=${edition.year}`}>selection</Link>{" "}
        page.
      </p>

      {!publication ? (
        <section id="publish" aria-labelledby="publish-title" className="stack">
          <h2 id="publish-title">Publish the results</h2>
          <p>
            Publishing makes the results page public (winners and champions per category, with downloads),
            adds the Winner and Champion badges to the projects’ pages, freezes the winners, and emails the
            contact and members of every champion’s and winner’s organisation (once per person, project and
            award). This cannot be undone.
          </p>
          {!canPublish ? (
            <p className="muted">
              Publishing is possible once voting has closed and every category is ready.
            </p>
          ) : confirming ? (
            <div className="card stack">
              <h3>Confirm publication</h3>
              <p>
                The results of the {edition.name} become public now, and the notification emails are queued.
              </p>
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="editionId" value={edition.id} />
                <input type="hidden" name="intent" value="publish" />
                <p className="actions">
                  <button type="submit">Publish the results now</button>
                  <Link to={`/admin/results?edition=${edition.year}`}>Cancel</Link>
                </p>
              </Form>
            </div>
          ) : (
            <p>
              <Link className="button" to={`/admin/results?edition=${edition.year}&step=confirm#publish`}>
                Publish the results…
              </Link>
            </p>
          )}
        </section>
      ) : null}
    </div>
  );
}
