import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { AdminNav, EditionPicker } from "~/components/admin";
import { AssignmentsSaved, ExpertAssignments } from "~/components/expert-assignments";
import { CsrfInput, Notice } from "~/components/forms";
import { findEdition, listCategories, listEditions } from "~/domain/editions.server";
import { selectionExperts, setSelectionCategories } from "~/domain/experts.server";
import { zKey } from "~/domain/normalise";
import { formatInstant } from "~/domain/phases";
import { categoryResults, selectionSummary } from "~/domain/selection-report.server";
import { confirmWinner, unconfirmWinner } from "~/domain/winners.server";
import { winnerWindow } from "~/domain/windows";
import { MAX_REASON } from "~/schemas/selection-options";
import { SelectionAdminFormSchema } from "~/schemas/index.server";
import { parseForm } from "~/http/form.server";
import { respond } from "~/http/respond.server";
import { db } from "~/utils/db.server";
import { editionParam } from "~/utils/params.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Selection — Admin — WSIS Prizes" }];

/** "6.63"; null → "—". */
const fixed = (v: number | null) => (v === null ? "—" : v.toFixed(2));
/** "+0.53" / "−0.93" / "0.00"; null → "—". */
function signed(v: number | null): string {
  if (v === null) return "—";
  if (Math.abs(v) < 0.005) return "0.00";
  return `${v > 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`;
}

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "selection:manage");
  const now = new Date();
  const edition = await editionParam(request, now);
  const [editions, categories] = await Promise.all([listEditions(), listCategories()]);
  if (!edition)
    return json({
      edition: null,
      editions: [],
      categories,
      summary: [],
      results: null,
      experts: [],
      window: null,
    });
  const database = db();
  const summary = await selectionSummary(database, edition.id);
  const code = new URL(request.url).searchParams.get("category");
  const chosen = code
    ? summary.find((c) => c.code === code.toUpperCase())
    : (summary.find((c) => c.champions > 0) ?? summary[0]);
  if (code && !chosen)
    throw new Response("There is no such category.", { status: 404, statusText: "Not Found" });
  const tz = edition.timezone;
  const [results, experts] = await Promise.all([
    chosen ? categoryResults(database, edition, chosen.id, now) : Promise.resolve(null),
    selectionExperts(database, edition.id),
  ]);
  return json({
    edition: {
      id: edition.id,
      year: edition.year,
      name: edition.name,
      selectionOpens: formatInstant(edition.selection_opens_at, tz),
      selectionCloses: formatInstant(edition.selection_closes_at, tz),
      published: edition.results_published_at ? formatInstant(edition.results_published_at, tz) : null,
    },
    editions: editions.map((e) => ({ year: e.year, name: e.name })),
    categories,
    summary,
    window: winnerWindow(edition, now),
    experts,
    results: results
      ? {
          category: results.category,
          winnerCount: results.winnerCount,
          experts: results.experts.map((e) => ({
            ...e,
            submitted: e.submittedAt ? formatInstant(e.submittedAt, tz) : null,
          })),
          projects: results.projects.map((p) => ({
            ...p,
            meanText: fixed(p.mean),
            normalisedText: signed(p.normalised),
            winner: p.winner
              ? {
                  ...p.winner,
                  confirmed: formatInstant(p.winner.confirmedAt, tz),
                }
              : null,
            cells: results.experts.map((e) => {
              const cell = results.cells[zKey(e.id, p.projectId)];
              return cell ? `${cell.total} (z ${signed(cell.z)})` : "—";
            }),
          })),
        }
      : null,
  });
}

type ActionData = { error: string; field: string | null; projectId: number | null; userId: number | null };

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "selection:manage");
  const parsed = await parseForm(request, SelectionAdminFormSchema, (form) => ({
    intent: form.get("intent"),
    editionId: form.get("editionId"),
    userId: form.get("userId"),
    categoryIds: form.getAll("category"),
    projectId: form.get("projectId"),
    override: form.get("override") ?? undefined,
    reason: form.get("reason") ?? undefined,
  }));
  if (!parsed.ok) {
    const reason = Object.keys(parsed.errors)[0] === "reason";
    return json<ActionData>(
      {
        error: reason ? parsed.errors.reason! : "The form could not be read. Reload the page and try again.",
        field: reason ? "reason" : null,
        projectId: null,
        userId: null,
      },
      { status: 400 },
    );
  }
  const input = parsed.data;
  const database = db();
  const now = new Date();
  const edition = await findEdition(input.editionId, database);
  if (!edition) throw new Response("There is no such edition.", { status: 404, statusText: "Not Found" });
  const base = `/admin/selection?edition=${edition.year}`;

  if (input.intent === "assign") {
    const result = await setSelectionCategories(database, user.id, input, now);
    if (!result.ok) {
      return respond<ActionData>(result.refusal, (a) => ({
        error: a.message,
        field: null,
        projectId: null,
        userId: input.userId,
      }));
    }
    const view = new URL(request.url).searchParams.get("category");
    const changed = result.added.length + result.removed.length;
    return redirect(
      `${base}${view && /^[A-Za-z0-9-]{1,20}$/.test(view) ? `&category=${view}` : ""}&saved=${input.userId}&changed=${changed}#expert-${input.userId}`,
    );
  }

  const result =
    input.intent === "confirm"
      ? await confirmWinner(database, user.id, input, now)
      : await unconfirmWinner(database, user.id, input, now);
  if (!result.ok) {
    return respond<ActionData>(result.refusal, (a) => ({
      error: a.message,
      field: a.field,
      projectId: input.projectId,
      userId: null,
    }));
  }
  return redirect(
    `${base}&category=${encodeURIComponent(result.categoryCode)}&${input.intent === "confirm" ? "confirmed" : "unconfirmed"}=${input.projectId}#winners`,
  );
}

export default function AdminSelection() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  if (!data.edition || !data.window) {
    return (
      <div className="stack">
        <h1>Selection</h1>
        <AdminNav />
        <p>
          There is no edition yet. <Link to="/admin/editions">Create one</Link> first.
        </p>
      </div>
    );
  }
  const { edition, results } = data;
  const formAction = `/admin/selection?edition=${edition.year}${results ? `&category=${encodeURIComponent(results.category.code)}` : ""}`;
  const confirmed = actionData ? null : Number(params.get("confirmed") ?? "0");
  const unconfirmed = actionData ? null : Number(params.get("unconfirmed") ?? "0");
  const saved = actionData ? null : Number(params.get("saved") ?? "0");
  const changed = Number(params.get("changed") ?? "0");
  return (
    <div className="stack">
      <h1>Selection — {edition.name}</h1>
      <AdminNav />
      <EditionPicker editions={data.editions} year={edition.year} />
      <p>
        The selection phase runs from {edition.selectionOpens} to {edition.selectionCloses}. Experts score the
        champions of their categories (below: <a href="#assignments">assign experts</a>); the aggregates count
        final scores only: those of experts who submitted the category, and complete drafts once the phase has
        closed.
      </p>
      <Notice kind={data.window.open ? "info" : "error"}>{data.window.message}</Notice>
      {actionData && actionData.projectId === null && actionData.userId === null ? (
        <Notice kind="error">{actionData.error}</Notice>
      ) : null}

      <h2 id="categories-title">Categories</h2>
      <div className="table-scroll">
        <table aria-labelledby="categories-title">
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Champions</th>
              <th scope="col">Experts submitted</th>
              <th scope="col">Winner</th>
            </tr>
          </thead>
          <tbody>
            {data.summary.map((c) => (
              <tr key={c.code}>
                <td>
                  <Link
                    to={`/admin/selection?edition=${edition.year}&category=${encodeURIComponent(c.code)}`}
                    aria-current={results?.category.code === c.code ? "true" : undefined}
                  >
                    <span className="code">{c.code}</span>
                    {c.name}
                  </Link>
                </td>
                <td>
                  {c.champions}
                  {c.ties ? ` (${c.ties} tied at the cut-off)` : ""}
                </td>
                <td>{c.experts === 0 ? <strong>no expert</strong> : `${c.submitted} of ${c.experts}`}</td>
                <td>{c.winners.length ? c.winners.join("; ") : <span className="muted">none yet</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {results ? (
        <section aria-labelledby="category-title" className="stack">
          <h2 id="category-title">
            <span className="code">{results.category.code}</span>
            {results.category.name}
          </h2>

          <h3 id="progress-title">Experts’ progress</h3>
          {results.experts.length === 0 ? (
            <p>No expert is assigned to this category for the selection yet.</p>
          ) : (
            <div className="table-scroll">
              <table aria-labelledby="progress-title">
                <thead>
                  <tr>
                    <th scope="col">Expert</th>
                    <th scope="col">Scored</th>
                    <th scope="col">Drafts</th>
                    <th scope="col">Conflicts</th>
                    <th scope="col">Submitted</th>
                  </tr>
                </thead>
                <tbody>
                  {results.experts.map((e) => (
                    <tr key={e.id}>
                      <td>
                        {e.name}
                        {!e.isExpert ? <strong> (no longer an expert: not counted)</strong> : null}
                      </td>
                      <td>
                        {e.complete} of {e.eligible}
                      </td>
                      <td>{e.drafts}</td>
                      <td>
                        {e.conflicts.length === 0
                          ? "none"
                          : e.conflicts
                              .map((c) => {
                                const title =
                                  results.projects.find((p) => p.projectId === c.projectId)?.title ??
                                  `#${c.projectId}`;
                                return c.kind === "organisation"
                                  ? `${title} (own organisation)`
                                  : `${title} (declared: ${c.reason ?? ""})`;
                              })
                              .join("; ")}
                      </td>
                      <td>{e.submitted ?? <span className="muted">not yet</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          <h3 id="winners">Champions, scores and winners</h3>
          {results.projects.length === 0 ? (
            <p>
              This category has no champion yet: champions come from the official tally when voting closes.
            </p>
          ) : (
            <>
              <p className="hint">
                Mean: the experts’ mean score per criterion (1–10). Normalised: each expert’s totals as
                z-scores across the projects they scored here, averaged per project (an expert with one
                project or equal totals counts as 0). Equal values share a rank.
              </p>
              {confirmed && results.projects.some((p) => p.projectId === confirmed) ? (
                <Notice kind="success">Winner confirmed.</Notice>
              ) : null}
              {unconfirmed ? <Notice kind="success">Winner unconfirmed.</Notice> : null}
              <div className="table-scroll">
                <table aria-labelledby="winners">
                  <thead>
                    <tr>
                      <th scope="col">Champion</th>
                      <th scope="col">Votes (rank)</th>
                      <th scope="col">Scores</th>
                      <th scope="col">Mean (rank)</th>
                      <th scope="col">Normalised (rank)</th>
                      <th scope="col">Winner</th>
                    </tr>
                  </thead>
                  <tbody>
                    {results.projects.map((p) => {
                      const error = actionData && actionData.projectId === p.projectId ? actionData : null;
                      const needsOverride = !p.winner && results.winnerCount > 0;
                      return (
                        <tr key={p.projectId} id={`project-${p.projectId}`}>
                          <td>
                            <Link to={`/projects/${p.projectId}`}>{p.title || "(untitled)"}</Link>
                            <br />
                            <span className="muted">{p.organisation}</span>
                          </td>
                          <td>
                            {p.votes} ({p.voteRank})
                            {p.tied ? (
                              <>
                                <br />
                                <strong>Tied at the cut-off</strong>
                              </>
                            ) : null}
                          </td>
                          <td>{p.scoreCount}</td>
                          <td>
                            {p.meanText}
                            {p.meanRank !== null ? ` (${p.meanRank})` : ""}
                          </td>
                          <td>
                            {p.normalisedText}
                            {p.normalisedRank !== null ? ` (${p.normalisedRank})` : ""}
                          </td>
                          <td>
                            {p.winner ? (
                              <>
                                <strong>Winner</strong>
                                <br />
                                <span className="muted">
                                  Confirmed {p.winner.confirmed}
                                  {p.winner.confirmedBy ? ` by ${p.winner.confirmedBy}` : ""}
                                </span>
                                {p.winner.overrideReason ? (
                                  <>
                                    <br />
                                    Override: {p.winner.overrideReason}
                                  </>
                                ) : null}
                              </>
                            ) : null}
                            {error ? (
                              <p className="error" role="alert" id={`f-error-${p.projectId}`}>
                                {error.error}
                              </p>
                            ) : null}
                            {data.window?.open ? (
                              <Form method="post" action={formAction}>
                                <CsrfInput />
                                <input type="hidden" name="editionId" value={edition.id} />
                                <input type="hidden" name="projectId" value={p.projectId} />
                                {p.winner ? (
                                  <button type="submit" name="intent" value="unconfirm" className="secondary">
                                    Unconfirm
                                  </button>
                                ) : needsOverride ? (
                                  <details open={error !== null}>
                                    <summary>Confirm as a further winner…</summary>
                                    <div className="stack">
                                      <label>
                                        <input type="checkbox" name="override" /> Override: a further winner
                                        in this category
                                      </label>
                                      <div className="field">
                                        <label htmlFor={`f-reason-${p.projectId}`}>
                                          Reason for the override
                                        </label>
                                        <input
                                          id={`f-reason-${p.projectId}`}
                                          name="reason"
                                          maxLength={MAX_REASON}
                                          aria-invalid={error?.field === "reason" ? true : undefined}
                                          aria-describedby={error ? `f-error-${p.projectId}` : undefined}
                                        />
                                      </div>
                                      <button type="submit" name="intent" value="confirm">
                                        Confirm as a further winner
                                      </button>
                                    </div>
                                  </details>
                                ) : (
                                  <button type="submit" name="intent" value="confirm">
                                    Confirm as winner
                                  </button>
                                )}
                              </Form>
                            ) : null}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>

              {results.experts.length ? (
                <>
                  <h3 id="matrix-title">Final totals by expert (out of 90, z-score in brackets)</h3>
                  <div className="table-scroll">
                    <table aria-labelledby="matrix-title">
                      <thead>
                        <tr>
                          <th scope="col">Champion</th>
                          {results.experts.map((e) => (
                            <th key={e.id} scope="col">
                              {e.name}
                            </th>
                          ))}
                        </tr>
                      </thead>
                      <tbody>
                        {results.projects.map((p) => (
                          <tr key={p.projectId}>
                            <th scope="row">{p.title || "(untitled)"}</th>
                            {p.cells.map((cell, i) => (
                              <td key={i}>{cell}</td>
                            ))}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </>
              ) : null}
            </>
          )}
        </section>
      ) : null}

      <section id="assignments" aria-labelledby="assignments-title" className="stack">
        <h2 id="assignments-title">Experts for the selection</h2>
        <p>
          Assign experts to the categories whose champions they score. An expert never scores a project of
          their own organisation, nor one they declare a conflict with. Nomination assignments are separate:{" "}
          <Link to={`/admin/experts?edition=${edition.year}`}>Experts</Link>.
        </p>
        <AssignmentsSaved expert={data.experts.find((e) => e.id === saved)} changed={changed} />
        <ExpertAssignments
          stage="selection"
          experts={data.experts}
          categories={data.categories}
          editionId={edition.id}
          action={formAction}
          refusal={actionData}
          headingLevel={3}
        />
      </section>
      {edition.published ? (
        <p className="muted">The results of this edition were published on {edition.published}.</p>
      ) : null}
    </div>
  );
}
