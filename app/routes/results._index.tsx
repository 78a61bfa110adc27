import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { SelectField } from "~/components/filters";
import { Notice } from "~/components/forms";
import { publicUrl } from "~/domain/catalogue.server";
import { resultsListing, type ResultEntry } from "~/domain/results.server";
import { REGION_LABELS, REGIONS, STAKEHOLDER_LABELS, STAKEHOLDER_TYPES } from "~/schemas/catalogue-options";
import { resultsSearch } from "~/schemas/results-options";
import { parseResultsQuery } from "~/schemas/index.server";
import { errorMeta, socialMeta } from "~/utils/social-meta";

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  if (!data) return errorMeta();
  const name = data.edition?.name ?? "WSIS Prizes";
  return socialMeta({
    title: `Results — ${name}`,
    description: `Winners and champions of the ${name}, per WSIS Action Line category.`,
    url: data.url,
  });
};

export async function loader({ request }: LoaderFunctionArgs) {
  const { query, notices } = parseResultsQuery(new URL(request.url).searchParams);
  const filters = { region: query.region, stakeholder: query.stakeholder };
  const listing = await resultsListing({ year: query.edition, filters, now: new Date() });
  if (listing.kind === "not-found") {
    throw new Response(`There is no ${listing.year} edition of the WSIS Prizes.`, {
      status: 404,
      statusText: "Not Found",
    });
  }
  const qs = resultsSearch(query);
  const shown = listing.kind === "edition" ? listing : null;
  return json({
    edition: shown ? { year: shown.edition.year, name: shown.edition.name } : null,
    /** The edition whose results are on the page (kept by the filter form), or null before publication. */
    resultsYear: shown?.publishedAt ? shown.edition.year : null,
    publishedAt: shown?.publishedAtText ?? null,
    announcement: shown?.announcement ?? null,
    announcementPassed: shown?.announcementPassed ?? false,
    categories: shown?.categories ?? [],
    editions: listing.editions,
    filters,
    filtered: Boolean(filters.region || filters.stakeholder),
    notices,
    downloads: { json: `/results.json${qs}`, csv: `/results.csv${qs}` },
    url: publicUrl(`/results${qs}`),
  });
}

function Entry({ entry }: { entry: ResultEntry }) {
  return (
    <li>
      <Link to={`/projects/${entry.projectId}`}>{entry.title}</Link>
      <br />
      <span className="muted">
        {entry.organisation} · {entry.stakeholderLabel} · {entry.regionLabel} · {entry.countryName}
      </span>
    </li>
  );
}

export default function Results() {
  const data = useLoaderData<typeof loader>();
  const { edition } = data;
  const shown = data.categories.filter((c) => !data.filtered || c.winners.length + c.champions.length > 0);
  const year = data.resultsYear;
  const others = data.editions.filter((e) => e.year !== year);
  return (
    <div className="stack">
      <h1>{edition ? `Results of the ${edition.name}` : "Results"}</h1>
      {data.notices.map((n) => (
        <Notice key={n} kind="info">
          {n}
        </Notice>
      ))}
      {!edition ? (
        <Notice kind="info">No edition has been scheduled yet.</Notice>
      ) : !data.publishedAt ? (
        <Notice kind="info">
          {data.announcementPassed
            ? `The results of the ${edition.name} will be published soon.`
            : `Results will be published on ${data.announcement}.`}
        </Notice>
      ) : (
        <p>
          The public vote named five champions per category; the Expert Group chose the winners among them.
          Published {data.publishedAt}.
        </p>
      )}
      {others.length ? (
        <nav aria-label="Editions">
          <p>
            {year ? "Results of other editions: " : "Results of earlier editions: "}
            {others.map((e, i) => (
              <span key={e.year}>
                {i > 0 ? " · " : null}
                <Link to={`/results?edition=${e.year}`}>{e.year}</Link>
              </span>
            ))}
          </p>
        </nav>
      ) : null}
      {data.publishedAt ? (
        <>
          <Form
            method="get"
            action="/results"
            className="filters"
            role="search"
            key={JSON.stringify(data.filters)}
          >
            {year ? <input type="hidden" name="edition" value={year} /> : null}
            <SelectField
              name="region"
              label="Region"
              value={data.filters.region}
              anyLabel="All regions"
              options={REGIONS.map((r) => ({ value: r, label: REGION_LABELS[r] }))}
            />
            <SelectField
              name="stakeholder"
              label="Stakeholder type"
              value={data.filters.stakeholder}
              anyLabel="All stakeholder types"
              options={STAKEHOLDER_TYPES.map((s) => ({ value: s, label: STAKEHOLDER_LABELS[s] }))}
            />
            <p>
              <button type="submit">Apply</button>{" "}
              <Link to={year ? `/results?edition=${year}` : "/results"}>Clear filters</Link>
            </p>
          </Form>
          <p>
            Download these results: <a href={data.downloads.csv}>CSV</a> ·{" "}
            <a href={data.downloads.json}>JSON</a>
          </p>
          {shown.length === 0 ? (
            <Notice kind="info">No winner or champion matches these filters.</Notice>
          ) : null}
          {shown.map((c) => (
            <section key={c.code} aria-labelledby={`category-${c.code}`} className="stack">
              <h2 id={`category-${c.code}`}>
                <span className="code">{c.code}</span>
                {c.name}
              </h2>
              {c.winners.length + c.champions.length === 0 ? (
                <p className="muted">No champions in this category.</p>
              ) : null}
              {c.winners.length ? (
                <>
                  <h3>{c.winners.length === 1 ? "Winner" : "Winners"}</h3>
                  <ul>
                    {c.winners.map((e) => (
                      <Entry key={e.projectId} entry={e} />
                    ))}
                  </ul>
                </>
              ) : null}
              {c.champions.length ? (
                <>
                  <h3>Champions</h3>
                  <ul>
                    {c.champions.map((e) => (
                      <Entry key={e.projectId} entry={e} />
                    ))}
                  </ul>
                </>
              ) : null}
            </section>
          ))}
        </>
      ) : null}
    </div>
  );
}
