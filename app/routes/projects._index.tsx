import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { CatalogueResults } from "~/components/catalogue-page";
import { canonicalRedirect, catalogueListing, editionNotFound, listingView } from "~/domain/catalogue.server";
import { errorMeta, socialMeta } from "~/utils/social-meta";

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  if (!data) return errorMeta();
  const edition = data.edition?.name ?? "WSIS Prizes";
  const q = data.query.q;
  return socialMeta({
    title: q ? `“${q}” — nominees, ${edition}` : `Search the nominees — ${edition}`,
    description: `Search the nominated ICT-for-development projects of the ${edition} by title, organisation, region, stakeholder type and country.`,
    url: data.url,
  });
};

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const listing = await catalogueListing({ params: url.searchParams, categoryId: null, now: new Date() });
  if (listing.selected.kind === "not-found") throw editionNotFound(listing.selected.year);
  const canonical = canonicalRedirect(url, listing);
  if (canonical) throw redirect(canonical);
  return json(listingView(listing, "/projects"));
}

export default function ProjectsPage() {
  const view = useLoaderData<typeof loader>();
  const keep = view.query.edition ? `?edition=${view.query.edition}` : "";
  return (
    <div className="stack">
      <h1>{view.edition ? `Nominees of the ${view.edition.name}` : "Nominees"}</h1>
      <p>
        <Link to={`/categories${keep}`}>Browse by category</Link>
      </p>
      <CatalogueResults view={view} showCategory />
    </div>
  );
}
