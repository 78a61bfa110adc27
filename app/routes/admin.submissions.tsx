import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Filters, SelectField } from "~/components/filters";
import { Notice } from "~/components/forms";
import { resultSummary } from "~/components/nominee-list";
import { Pagination } from "~/components/pagination";
import { canonicalRedirect } from "~/domain/catalogue.server";
import { submissionsOverview, type CountRow } from "~/domain/submissions-report.server";
import {
  DECISION_LABELS,
  DECISIONS,
  PROJECT_STATUS_LABELS,
  PROJECT_STATUSES,
  querySearch,
  type SubmissionsQuery,
} from "~/schemas/catalogue-options";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Submissions${data?.edition ? ` — ${data.edition.name}` : ""} — WSIS Prizes admin` },
  { name: "robots", content: "noindex" },
];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "contest:read:all");
  const url = new URL(request.url);
  const overview = await submissionsOverview({ params: url.searchParams, now: new Date() });
  if (!overview.edition && overview.query.edition) {
    throw new Response(`There is no ${overview.query.edition} edition.`, {
      status: 404,
      statusText: "Not Found",
    });
  }
  const canonical = canonicalRedirect(url, overview);
  if (canonical) throw redirect(canonical);
  return json(overview);
}

type Dimension = "category" | "region" | "stakeholder";

function CountTable({
  caption,
  rows,
  dimension,
  href,
}: {
  caption: string;
  rows: readonly CountRow[];
  dimension: Dimension;
  href: (filters: Partial<SubmissionsQuery>) => string;
}) {
  const cell = (row: CountRow, n: number, extra: Partial<SubmissionsQuery>, label: string) =>
    n > 0 ? (
      <Link to={href({ [dimension]: row.key, ...extra })} aria-label={`${label}: ${n} (${row.label})`}>
        {n}
      </Link>
    ) : (
      <span className="muted">0</span>
    );
  return (
    <div className="table-scroll">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{caption.replace(/^By /, "").replace(/^./, (c) => c.toUpperCase())}</th>
            <th scope="col">Draft</th>
            <th scope="col">Submitted</th>
            <th scope="col">Withdrawn</th>
            <th scope="col">Total</th>
            <th scope="col">Nominated</th>
            <th scope="col">Rejected</th>
            <th scope="col">Not decided</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">
                {dimension === "category" ? <span className="code">{row.key}</span> : null}
                {row.label}
              </th>
              <td>{cell(row, row.draft, { status: "draft" }, "Draft")}</td>
              <td>{cell(row, row.submitted, { status: "submitted" }, "Submitted")}</td>
              <td>{cell(row, row.withdrawn, { status: "withdrawn" }, "Withdrawn")}</td>
              <td>{cell(row, row.total, {}, "All")}</td>
              <td>{cell(row, row.nominated, { status: "submitted", decision: "nominate" }, "Nominated")}</td>
              <td>{cell(row, row.rejected, { status: "submitted", decision: "reject" }, "Rejected")}</td>
              <td>
                {cell(row, row.undecided, { status: "submitted", decision: "undecided" }, "Not decided")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function AdminSubmissions() {
  const data = useLoaderData<typeof loader>();
  const { edition, dashboard, list, query } = data;
  const year = edition?.year ?? null;
  const href = (filters: Partial<SubmissionsQuery>) =>
    `/admin/submissions${querySearch({ edition: year, ...filters })}#list`;
  const filtered = Boolean(
    query.q ||
    query.category ||
    query.region ||
    query.stakeholder ||
    query.country ||
    query.status ||
    query.decision,
  );
  const csvAll = `/admin/submissions.csv${querySearch({ edition: year })}`;
  const csvFiltered = `/admin/submissions.csv${querySearch({ ...query, page: 1 })}`;
  return (
    <div className="stack">
      <p>
        <Link to="/admin">Admin</Link>
      </p>
      <h1>Submissions{edition ? ` — ${edition.name}` : ""}</h1>
      {data.notices.map((n) => (
        <Notice key={n} kind="info">
          {n}
        </Notice>
      ))}
      {data.editions.length > 1 ? (
        <Form method="get" action="/admin/submissions">
          <SelectField
            name="edition"
            label="Edition"
            value={year ? String(year) : null}
            anyLabel="Current edition"
            options={data.editions.map((e) => ({ value: String(e.year), label: e.name }))}
          />
          <button type="submit">Show</button>
        </Form>
      ) : null}
      {!edition || !dashboard || !list ? (
        <Notice kind="info">No edition has been created yet.</Notice>
      ) : (
        <>
          <p>
            <strong>{dashboard.totals.total}</strong> projects: {dashboard.totals.draft} drafts,{" "}
            {dashboard.totals.submitted} submitted ({dashboard.totals.nominated} nominated,{" "}
            {dashboard.totals.rejected} rejected, {dashboard.totals.undecided} not decided yet),{" "}
            {dashboard.totals.withdrawn} withdrawn.
          </p>
          <p>
            <a href={csvAll} download>
              Download all submissions of {edition.year} (CSV)
            </a>
          </p>
          <h2>By status</h2>
          <ul>
            {PROJECT_STATUSES.map((s) => (
              <li key={s}>
                <Link to={href({ status: s })}>
                  {PROJECT_STATUS_LABELS[s]}: {dashboard.totals[s]}
                </Link>
              </li>
            ))}
            {DECISIONS.map((d) => (
              <li key={d}>
                <Link to={href({ status: "submitted", decision: d })}>
                  Submitted, {DECISION_LABELS[d].toLowerCase()}:{" "}
                  {d === "nominate"
                    ? dashboard.totals.nominated
                    : d === "reject"
                      ? dashboard.totals.rejected
                      : dashboard.totals.undecided}
                </Link>
              </li>
            ))}
          </ul>
          <h2>Per category, region and stakeholder type</h2>
          <CountTable caption="By category" rows={dashboard.byCategory} dimension="category" href={href} />
          <CountTable caption="By region" rows={dashboard.byRegion} dimension="region" href={href} />
          <CountTable
            caption="By stakeholder type"
            rows={dashboard.byStakeholder}
            dimension="stakeholder"
            href={href}
          />

          <h2 id="list">Submissions</h2>
          <Filters
            action="/admin/submissions#list"
            values={query}
            countries={data.countries}
            clearHref={`/admin/submissions${querySearch({ edition: year })}#list`}
            searchHint="Words from the title, the short description or the organisation’s name."
          >
            <SelectField
              name="category"
              label="Category"
              value={query.category}
              anyLabel="All categories"
              options={dashboard.byCategory.map((c) => ({ value: c.key, label: `${c.key} ${c.label}` }))}
            />
            <SelectField
              name="status"
              label="Status"
              value={query.status}
              anyLabel="Any status"
              options={PROJECT_STATUSES.map((s) => ({ value: s, label: PROJECT_STATUS_LABELS[s] }))}
            />
            <SelectField
              name="decision"
              label="Review decision"
              value={query.decision}
              anyLabel="Any decision"
              options={DECISIONS.map((d) => ({ value: d, label: DECISION_LABELS[d] }))}
            />
          </Filters>
          <p>
            <strong>{resultSummary(list.total, list.page, list.pageSize, "project")}</strong>
            {filtered && list.total > 0 ? (
              <>
                {" "}
                ·{" "}
                <a href={csvFiltered} download>
                  Download these {list.total} (CSV)
                </a>
              </>
            ) : null}
          </p>
          {list.items.length ? (
            <div className="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Title</th>
                    <th scope="col">Organisation</th>
                    <th scope="col">Category</th>
                    <th scope="col">Status</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Region</th>
                    <th scope="col">Country</th>
                    <th scope="col">Last change</th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((p) => (
                    <tr key={p.id}>
                      <td>{p.id}</td>
                      <td>{p.title || <span className="muted">(untitled draft)</span>}</td>
                      <td>
                        {p.organisation}
                        <br />
                        <span className="muted">{p.stakeholderLabel}</span>
                      </td>
                      <td>{p.categoryCode}</td>
                      <td>{p.statusLabel}</td>
                      <td>{p.decisionLabel}</td>
                      <td>{p.regionLabel}</td>
                      <td>{p.countryName}</td>
                      <td>{p.updated}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <Pagination
            page={list.page}
            pageCount={list.pageCount}
            hrefFor={(p) => `/admin/submissions${querySearch({ ...query, edition: year }, p)}#list`}
            label="Pages of submissions"
          />
        </>
      )}
    </div>
  );
}
