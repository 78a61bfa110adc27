/** The public results' filters and their link builder, without zod (browser-safe). */
import type { ItuRegion, StakeholderType } from "../../db/schema";

/** Filters of the public results and their downloads, after validation. */
export interface ResultsQuery {
  /** Year asked for with ?edition=, or null for the current edition. */
  edition: number | null;
  region: ItuRegion | null;
  stakeholder: StakeholderType | null;
}

/** The query string (with "?", or empty) that keeps these filters in a link. */
export function resultsSearch(query: ResultsQuery): string {
  const search = new URLSearchParams();
  if (query.edition) search.set("edition", String(query.edition));
  if (query.region) search.set("region", query.region);
  if (query.stakeholder) search.set("stakeholder", query.stakeholder);
  const qs = search.toString();
  return qs ? `?${qs}` : "";
}
