import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Notice } from "~/components/forms";
import { VotePanel } from "~/components/vote-panel";
import { ballotFor } from "~/domain/voting.server";
import { db } from "~/utils/db.server";
import { getSessionUser } from "~/utils/session.server";
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
  const current = await getSessionUser(request);
  const ballot =
    listing.selected.kind === "published"
      ? await ballotFor(
          db(),
          {
            editionId: listing.selected.edition.id,
            user: current?.user ?? null,
            roles: current?.roles ?? [],
          },
          new Date(),
        )
      : null;
  return json({
    category,
    ballot,
    back: url.pathname + url.search,
    view: listingView(listing, `/categories/${encodeURIComponent(category.code)}`),
  });
}

export default function CategoryPage() {
  const { category, view, ballot, back } = useLoaderData<typeof loader>();
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
      {ballot?.state === "open" && ballot.votedByCategory[category.id] ? (
        <Notice kind="success">
          You voted in this category for{" "}
          <Link to={`/projects/${ballot.votedByCategory[category.id].projectId}`}>
            {ballot.votedByCategory[category.id].title}
          </Link>
          . <Link to="/votes">See all your votes</Link>.
        </Notice>
      ) : null}
      {ballot && "message" in ballot ? <Notice kind="info">{ballot.message}</Notice> : null}
      <CatalogueResults
        view={view}
        showCategory={false}
        action={
          ballot
            ? (item) => (
                <VotePanel
                  ballot={ballot}
                  projectId={item.id}
                  projectTitle={item.title}
                  categoryId={category.id}
                  back={back}
                  compact
                />
              )
            : undefined
        }
      />
    </div>
  );
}
