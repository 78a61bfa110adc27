import { Link } from "@remix-run/react";
import type { ReactNode } from "react";

export interface NomineeItem {
  id: number;
  title: string;
  excerpt: string;
  organisation: string;
  countryName: string;
  regionLabel: string;
  stakeholderLabel: string;
  categoryCode: string;
  categoryName: string;
}

/** Nominees as a list of short cards: title (link), organisation and place, the start of the description. */
export function NomineeList({
  items,
  showCategory,
  editionYear,
  action,
}: {
  /** Something to show under each nominee (the vote button on category pages). */
  action?: (item: NomineeItem) => ReactNode;
  items: readonly NomineeItem[];
  showCategory: boolean;
  /** Set when the page shows a chosen (not the current) edition, so project links keep it. */
  editionYear?: number | null;
}) {
  return (
    <ol className="nominee-list stack">
      {items.map((n) => (
        <li key={n.id}>
          <h3>
            <Link to={`/projects/${n.id}`}>{n.title}</Link>
          </h3>
          <p className="muted">
            {n.organisation} · {n.stakeholderLabel} · {n.countryName} · {n.regionLabel}
            {showCategory ? (
              <>
                {" · "}
                <Link
                  to={`/categories/${encodeURIComponent(n.categoryCode)}${editionYear ? `?edition=${editionYear}` : ""}`}
                  title={n.categoryName}
                >
                  {n.categoryCode}
                </Link>
              </>
            ) : null}
          </p>
          <p>{n.excerpt}</p>
          {action ? action(n) : null}
        </li>
      ))}
    </ol>
  );
}

/** "12 nominees" / "1 nominee", and which of them are shown. */
export function resultSummary(total: number, page: number, pageSize: number, noun = "nominee"): string {
  if (total === 0) return `No ${noun}s match.`;
  const first = (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  const label = `${total} ${noun}${total === 1 ? "" : "s"}`;
  return total <= pageSize ? label : `${label}, showing ${first}–${last}`;
}

/** Links to the editions whose nominees are public, the one shown marked. */
export function EditionLinks({
  editions,
  current,
  pathname,
}: {
  editions: ReadonlyArray<{ year: number; name: string }>;
  current: number | null;
  pathname: string;
}) {
  if (editions.length === 0 || (editions.length === 1 && editions[0].year === current)) return null;
  return (
    <nav aria-label="Editions">
      <p>
        Nominees of other editions:{" "}
        {editions.map((e, i) => (
          <span key={e.year}>
            {i > 0 ? " · " : null}
            {e.year === current ? (
              <strong aria-current="page">{e.year}</strong>
            ) : (
              <Link to={`${pathname}?edition=${e.year}`}>{e.year}</Link>
            )}
          </span>
        ))}
      </p>
    </nav>
  );
}
