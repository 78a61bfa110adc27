import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Notice } from "~/components/forms";
import { EditionLinks } from "~/components/nominee-list";
import { categoriesOverview, editionNotFound, listingUrl } from "~/domain/catalogue.server";
import { errorMeta, socialMeta } from "~/utils/social-meta";

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  if (!data) return errorMeta();
  const name = data.edition?.name ?? "WSIS Prizes";
  return socialMeta({
    title: `Categories and nominees — ${name}`,
    description: `The 18 WSIS Action Line categories of the ${name}, with the nominated ICT-for-development projects in each.`,
    url: data.url,
  });
};

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const overview = await categoriesOverview({ params: url.searchParams, now: new Date() });
  const { selected } = overview;
  if (selected.kind === "not-found") throw editionNotFound(selected.year);
  const edition = selected.kind === "none" ? null : selected.edition;
  return json({
    edition: edition ? { year: edition.year, name: edition.name } : null,
    published: selected.kind === "published",
    /** Year to keep in links when the visitor picked an edition other than the current one. */
    chosenYear: overview.edition,
    editions: overview.editions,
    notices: overview.notices,
    categories: overview.categories,
    url: listingUrl("/categories", { edition: overview.edition }),
  });
}

export default function Categories() {
  const data = useLoaderData<typeof loader>();
  const keep = data.chosenYear ? `?edition=${data.chosenYear}` : "";
  return (
    <div className="stack">
      <h1>{data.edition ? `Nominees of the ${data.edition.name}` : "Nominees"}</h1>
      {data.notices.map((n) => (
        <Notice key={n} kind="info">
          {n}
        </Notice>
      ))}
      {!data.edition ? (
        <Notice kind="info">No edition has been scheduled yet.</Notice>
      ) : !data.published ? (
        <Notice kind="info">
          The nominees of the {data.edition.name} have not been published yet. They appear here as soon as the
          organisers publish the list.
        </Notice>
      ) : (
        <p>
          <Link to={`/projects${keep}`}>Search all nominees</Link> by title, organisation, region, stakeholder
          type or country.
        </p>
      )}
      <EditionLinks
        editions={data.editions}
        current={data.published ? (data.edition?.year ?? null) : null}
        pathname="/categories"
      />
      <ul className="category-list">
        {data.categories.map((c) => (
          <li key={c.code}>
            <Link to={`/categories/${encodeURIComponent(c.code)}${keep}`}>
              <span className="code">{c.code}</span>
              {c.name}
            </Link>
            {c.nominees !== null ? (
              <>
                <br />
                <span className="muted">{c.nominees === 1 ? "1 nominee" : `${c.nominees} nominees`}</span>
              </>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
