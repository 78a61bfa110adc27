import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { Pagination } from "~/components/admin";
import { Notice } from "~/components/forms";
import { countryName } from "~/domain/countries";
import { currentEdition, findEditionByYear } from "~/domain/editions.server";
import { reviewQueue } from "~/domain/review.server";
import { decisionWindow } from "~/domain/windows";
import { QUEUE_FILTERS, QUEUE_FILTER_LABELS, REJECT_REASON_LABELS } from "~/schemas/nomination-options";
import { parseQueueQuery } from "~/schemas/index.server";
import { db } from "~/utils/db.server";
import { requireReviewer } from "~/utils/reviewer.server";

export const meta: MetaFunction = () => [{ title: "Review queue — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const reviewer = await requireReviewer(request);
  const now = new Date();
  const query = parseQueueQuery(new URL(request.url).searchParams);
  const edition = query.edition ? await findEditionByYear(query.edition) : await currentEdition(now);
  if (!edition) {
    if (query.edition)
      throw new Response("There is no such edition.", { status: 404, statusText: "Not Found" });
    return json({ edition: null, organiser: reviewer.organiser, window: null, queue: null });
  }
  const queue = await reviewQueue(db(), reviewer, edition.id, {
    category: query.category,
    show: query.show,
    page: query.page,
  });
  const window = decisionWindow(edition, reviewer, now);
  return json({
    edition: { year: edition.year, name: edition.name },
    organiser: reviewer.organiser,
    window,
    queue: {
      ...queue,
      rows: queue.rows.map((r) => ({
        ...r,
        countryName: countryName(r.country),
        reasonLabel: r.reason ? REJECT_REASON_LABELS[r.reason] : null,
      })),
    },
  });
}

export default function ReviewQueue() {
  const data = useLoaderData<typeof loader>();
  const { search } = useLocation();
  if (!data.edition || !data.queue || !data.window) {
    return (
      <div className="stack">
        <h1>Review queue</h1>
        <p>There is no edition yet.</p>
      </div>
    );
  }
  const { queue } = data;
  const filterHref = (params: Record<string, string | null>) => {
    const next = new URLSearchParams(search);
    next.delete("page");
    for (const [k, v] of Object.entries(params)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    const qs = next.toString();
    return qs ? `?${qs}` : "?";
  };
  const todo = queue.categories.reduce((n, c) => n + c.todo, 0);
  const total = queue.categories.reduce((n, c) => n + c.total, 0);
  return (
    <div className="stack">
      <h1>Review queue — {data.edition.name}</h1>
      <Notice kind={data.window.open ? "info" : "error"}>{data.window.message}</Notice>
      {queue.categories.length === 0 ? (
        <p>
          You have no category to review in this edition yet. Organisers assign experts to categories; ask
          them if you expected to review projects.
        </p>
      ) : (
        <>
          <p>
            <strong>
              {total - todo} of {total} projects decided, {todo} to do.
            </strong>{" "}
            {data.organiser
              ? "As an organiser you see every category."
              : "Projects of organisations you are a member of are never shown to you."}
          </p>
          <h2 id="categories-title">{data.organiser ? "Categories" : "Your categories"}</h2>
          <div className="table-scroll">
            <table aria-labelledby="categories-title">
              <thead>
                <tr>
                  <th scope="col">Category</th>
                  <th scope="col">Projects</th>
                  <th scope="col">Decided</th>
                  <th scope="col">To do</th>
                </tr>
              </thead>
              <tbody>
                {queue.categories.map((c) => (
                  <tr key={c.code}>
                    <td>
                      <Link
                        to={filterHref({ category: c.code })}
                        aria-current={queue.category === c.code ? "true" : undefined}
                      >
                        <span className="code">{c.code}</span>
                        {c.name}
                      </Link>
                    </td>
                    <td>{c.total}</td>
                    <td>{c.decided}</td>
                    <td>{c.todo}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <h2 id="projects-title">Projects</h2>
          <Form method="get" className="filters" aria-label="Filter the projects">
            {data.edition ? <input type="hidden" name="edition" value={data.edition.year} /> : null}
            <div className="field">
              <label htmlFor="f-category">Category</label>
              <select id="f-category" name="category" defaultValue={queue.category ?? ""}>
                <option value="">{data.organiser ? "All categories" : "All my categories"}</option>
                {queue.categories.map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.code} — {c.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="f-show">Show</label>
              <select id="f-show" name="show" defaultValue={queue.show}>
                {QUEUE_FILTERS.map((f) => (
                  <option key={f} value={f}>
                    {QUEUE_FILTER_LABELS[f]}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <button type="submit" className="secondary">
                Show
              </button>
            </div>
          </Form>
          <p className="muted">
            {queue.total} {queue.total === 1 ? "project" : "projects"} (
            {QUEUE_FILTER_LABELS[queue.show].toLowerCase()}
            {queue.category ? `, ${queue.category}` : ""}).
          </p>
          {queue.rows.length ? (
            <div className="table-scroll">
              <table aria-labelledby="projects-title">
                <thead>
                  <tr>
                    <th scope="col">Project</th>
                    <th scope="col">Category</th>
                    <th scope="col">Organisation</th>
                    <th scope="col">Flags</th>
                    <th scope="col">Decision</th>
                  </tr>
                </thead>
                <tbody>
                  {queue.rows.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <Link to={`/review/${r.id}`}>{r.title || "(untitled)"}</Link>
                      </td>
                      <td>
                        <span className="code">{r.categoryCode}</span>
                      </td>
                      <td>
                        {r.organisation}
                        <br />
                        <span className="muted">{r.countryName}</span>
                      </td>
                      <td>
                        {r.nearDuplicateFlags ? (
                          <strong>
                            Possible duplicate{r.nearDuplicateFlags > 1 ? ` (${r.nearDuplicateFlags})` : ""}
                          </strong>
                        ) : null}
                        {r.nearDuplicateFlags && r.previousWinnerFlags ? <br /> : null}
                        {r.previousWinnerFlags ? <strong>Possible previous winner</strong> : null}
                        {!r.nearDuplicateFlags && !r.previousWinnerFlags ? (
                          <span className="muted">None</span>
                        ) : null}
                      </td>
                      <td>
                        {r.decision === "nominate"
                          ? "Nominated"
                          : r.decision === "reject"
                            ? `Rejected${r.reasonLabel ? ` — ${r.reasonLabel}` : ""}`
                            : "To do"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p>
              {queue.show === "undecided"
                ? "Nothing left to do here: every project is decided."
                : "No project matches these filters."}{" "}
              <Link to={filterHref({ show: "all", category: null })}>Show all projects</Link>
            </p>
          )}
          <Pagination page={queue.page} pages={queue.pageCount} search={search} />
        </>
      )}
    </div>
  );
}
