import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { publicUrl } from "~/domain/catalogue.server";
import { resultsDownload } from "~/domain/results.server";
import { parseResultsQuery } from "~/schemas/index.server";

/** GET /results.json?edition=YEAR[&region=…&stakeholder=…]: the published results, per category. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { query, notices } = parseResultsQuery(new URL(request.url).searchParams);
  const download = await resultsDownload({ query, notices, now: new Date() });
  if (!download.ok) throw new Response(download.message, { status: download.status });
  const { edition, categories } = download;
  return json(
    {
      edition: { year: edition.year, name: edition.name, publishedAt: edition.publishedAt },
      filters: { region: query.region, stakeholder: query.stakeholder },
      categories: categories.map((c) => ({
        code: c.code,
        name: c.name,
        winners: c.winners.map((e) => ({ ...e, url: publicUrl(`/projects/${e.projectId}`) })),
        champions: c.champions.map((e) => ({ ...e, url: publicUrl(`/projects/${e.projectId}`) })),
      })),
    },
    {
      headers: {
        "Content-Disposition": `inline; filename="wsis-prizes-${edition.year}-results.json"`,
        "Cache-Control": "public, max-age=60",
        "X-Content-Type-Options": "nosniff",
      },
    },
  );
}
