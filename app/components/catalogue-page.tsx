import type { ReactNode } from "react";
import { Filters } from "~/components/filters";
import { Notice } from "~/components/forms";
import { EditionLinks, NomineeList, resultSummary, type NomineeItem } from "~/components/nominee-list";
import { Pagination } from "~/components/pagination";
import { querySearch, type CatalogueQuery } from "~/schemas/catalogue-options";

export interface CatalogueView {
  edition: { year: number; name: string } | null;
  published: boolean;
  editions: ReadonlyArray<{ year: number; name: string }>;
  notices: readonly string[];
  query: CatalogueQuery;
  results: {
    items: readonly NomineeItem[];
    total: number;
    page: number;
    pageCount: number;
    pageSize: number;
  } | null;
  countries: ReadonlyArray<{ code: string; name: string }>;
  pathname: string;
}

/** The body of a catalogue listing: notices, filters, one page of nominees and the page links. */
export function CatalogueResults({
  view,
  showCategory,
  action,
}: {
  view: CatalogueView;
  showCategory: boolean;
  action?: (item: NomineeItem) => ReactNode;
}) {
  const { query, results, edition } = view;
  return (
    <>
      {view.notices.map((n) => (
        <Notice key={n} kind="info">
          {n}
        </Notice>
      ))}
      {!edition ? (
        <Notice kind="info">No edition has been scheduled yet.</Notice>
      ) : !view.published ? (
        <Notice kind="info">
          The nominees of the {edition.name} have not been published yet. They appear here as soon as the
          organisers publish the list.
        </Notice>
      ) : null}
      <EditionLinks
        editions={view.editions}
        current={view.published ? (edition?.year ?? null) : null}
        pathname={view.pathname}
      />
      {results ? (
        <>
          <Filters
            action={view.pathname}
            values={query}
            countries={view.countries}
            clearHref={view.pathname + querySearch({ edition: query.edition })}
          />
          <h2 aria-live="polite">{resultSummary(results.total, results.page, results.pageSize)}</h2>
          {results.items.length ? (
            <NomineeList
              items={results.items}
              showCategory={showCategory}
              editionYear={query.edition}
              action={action}
            />
          ) : (
            <p>Try fewer words or remove a filter.</p>
          )}
          <Pagination
            page={results.page}
            pageCount={results.pageCount}
            hrefFor={(p) => view.pathname + querySearch(query, p)}
            label="Pages of nominees"
          />
        </>
      ) : null}
    </>
  );
}
