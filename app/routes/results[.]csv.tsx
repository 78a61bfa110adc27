import type { LoaderFunctionArgs } from "@remix-run/node";
import { resultsCsv, resultsDownload } from "~/domain/results.server";
import { parseResultsQuery } from "~/schemas/index.server";

/** GET /results.csv?edition=YEAR[&region=…&stakeholder=…]: the published results, one row per project. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { query, notices } = parseResultsQuery(new URL(request.url).searchParams);
  const download = await resultsDownload({ query, notices, now: new Date() });
  if (!download.ok) throw new Response(download.message, { status: download.status });
  return new Response(resultsCsv(download.edition, download.categories), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="wsis-prizes-${download.edition.year}-results.csv"`,
      "Cache-Control": "public, max-age=60",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
