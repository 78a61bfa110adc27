import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { CatalogueResults } from "~/components/catalogue-page";
import {
  canonicalRedirect,
  catalogueListing,
  editionNotFound,
  findCategory,
  listingView,
} from "~/domain/catalogue.server";
import { errorMeta, socialMeta } from "~/utils/social-meta";

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  if (!data) return errorMeta();
  const { category, view } = data;
  const edition = view.edition?.name ?? "WSIS Prizes";
  return socialMeta({
    title: `${category.code} ${category.name} — nominees, ${edition}`,
    description: `Nominated projects of the ${edition} in category ${category.code}: ${category.name}.`,
    url: view.url,
  });
};

export async function loader({ request, params }: LoaderFunctionArgs) {
  const code = params.code ?? "";
  const category = code.length <= 20 ? await findCategory(code) : undefined;
  if (!category)
    throw new Response("There is no category with this code.", { status: 404, statusText: "Not Found" });
  const url = new URL(request.url);
  if (category.code !== code)
    throw redirect(`/categories/${encodeURIComponent(category.code)}${url.search}`, 301);
  const listing = await catalogueListing({
    params: url.searchParams,
    categoryId: category.id,
    now: new Date(),
  });
  if (listing.selected.kind === "not-found") throw editionNotFound(listing.selected.year);
  const canonical = canonicalRedirect(url, listing);
  if (canonical) throw redirect(canonical);
  return json({ category, view: listingView(listing, `/categories/${encodeURIComponent(category.code)}`) });
}

export default function CategoryPage() {
  const { category, view } = useLoaderData<typeof loader>();
  const keep = view.query.edition ? `?edition=${view.query.edition}` : "";
  return (
    <div className="stack">
      <p>
        <Link to={`/categories${keep}`}>All categories</Link>
      </p>
      <h1>
        <span className="code">{category.code}</span>
        {category.name}
      </h1>
      {view.edition ? <p className="muted">Nominees of the {view.edition.name}</p> : null}
      <CatalogueResults view={view} showCategory={false} />
    </div>
  );
}
