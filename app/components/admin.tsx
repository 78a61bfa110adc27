import { Form, Link, NavLink } from "@remix-run/react";
import { useRootData } from "~/root";

/** The admin area's section links, shown at the top of every admin page. */
export function AdminNav() {
  const devMail = useRootData()?.devMail ?? false;
  const links: [string, string][] = [
    ["/admin", "Dashboard"],
    ["/admin/users", "Users and roles"],
    ["/admin/editions", "Editions"],
    ["/admin/experts", "Experts"],
    ["/admin/nomination", "Nomination"],
    ["/admin/submissions", "Submissions"],
    ["/admin/voting", "Voting"],
    ["/admin/selection", "Selection"],
    ["/admin/results", "Results"],
    ["/admin/outbox", "Outbox"],
    ["/admin/audit", "Audit log"],
  ];
  if (devMail) links.push(["/admin/mail", "Mail viewer"]);
  // A wrapping paragraph rather than a list: it needs no styles of its own and reflows at 360 px.
  return (
    <nav aria-label="Admin">
      <p>
        {links.map(([to, label], i) => (
          <span key={to}>
            {i > 0 ? " · " : null}
            <NavLink to={to} end>
              {label}
            </NavLink>
          </span>
        ))}
      </p>
    </nav>
  );
}

/**
 * "Previous / Page n of m / Next" links that keep the other query parameters (search, filters).
 * `search` is the current URL's query string.
 */
export function Pagination({ page, pages, search }: { page: number; pages: number; search: string }) {
  if (pages <= 1 && page <= 1) return null;
  const href = (p: number) => {
    const params = new URLSearchParams(search);
    if (p <= 1) params.delete("page");
    else params.set("page", String(p));
    const qs = params.toString();
    return qs ? `?${qs}` : "?";
  };
  return (
    <nav aria-label="Pages" className="pagination">
      {page > 1 ? (
        <Link to={href(Math.min(page - 1, pages))} rel="prev">
          Previous
        </Link>
      ) : null}
      <span>{`Page ${page} of ${pages}`}</span>
      {page < pages ? (
        <Link to={href(page + 1)} rel="next">
          Next
        </Link>
      ) : null}
    </nav>
  );
}

/** The GET form at the top of the phase pages (nomination, selection, results) that picks an edition. */
export function EditionPicker({
  editions,
  year,
}: {
  editions: ReadonlyArray<{ year: number; name: string }>;
  year: number;
}) {
  return (
    <Form method="get" className="filters" aria-label="Choose an edition">
      <div className="field">
        <label htmlFor="f-edition">Edition</label>
        <select id="f-edition" name="edition" defaultValue={year}>
          {editions.map((e) => (
            <option key={e.year} value={e.year}>
              {e.name}
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
  );
}
