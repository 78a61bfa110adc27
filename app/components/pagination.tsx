import { Link } from "@remix-run/react";

interface PaginationProps {
  page: number;
  pageCount: number;
  /** The address of another page of the same results (filters kept), e.g. (p) => `/projects${querySearch(q, p)}`. */
  hrefFor: (page: number) => string;
  /** What is being paged, for screen readers ("Pages of nominees"). */
  label?: string;
}

/** Page numbers shown: the first, the last, and the neighbours of the current one; "gap" marks a jump. */
export function visiblePages(page: number, pageCount: number): Array<number | "gap"> {
  const pages = [...new Set([1, page - 1, page, page + 1, pageCount])]
    .filter((p) => p >= 1 && p <= pageCount)
    .sort((a, b) => a - b);
  const out: Array<number | "gap"> = [];
  for (const [i, p] of pages.entries()) {
    if (i > 0 && p - pages[i - 1] > 1) out.push("gap");
    out.push(p);
  }
  return out;
}

/** Previous / numbered / next links: plain links, so paging works without JavaScript and every page has a URL. */
export function Pagination({ page, pageCount, hrefFor, label = "Pages" }: PaginationProps) {
  if (pageCount <= 1) return null;
  return (
    <nav className="pagination" aria-label={label}>
      {page > 1 ? (
        <Link to={hrefFor(page - 1)} rel="prev">
          Previous
        </Link>
      ) : null}
      {visiblePages(page, pageCount).map((p, i) =>
        p === "gap" ? (
          <span key={`gap-${i}`} aria-hidden="true">
            …
          </span>
        ) : p === page ? (
          <strong key={p} aria-current="page" aria-label={`Page ${p} of ${pageCount}`}>
            {p}
          </strong>
        ) : (
          <Link key={p} to={hrefFor(p)} aria-label={`Page ${p}`}>
            {p}
          </Link>
        ),
      )}
      {page < pageCount ? (
        <Link to={hrefFor(page + 1)} rel="next">
          Next
        </Link>
      ) : null}
    </nav>
  );
}
