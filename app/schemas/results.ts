import { z } from "zod";
import type { ItuRegion, StakeholderType } from "../../db/schema";
import { parseCatalogueQuery } from "./catalogue";

const id = z.coerce.number().int().positive().max(2_147_483_647);

/** The organiser's results form: publish the edition's results, or retry its failed notifications. */
export const ResultsActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("publish"), editionId: id }),
  z.object({ intent: z.literal("retry"), editionId: id }),
]);

export type ResultsAction = z.infer<typeof ResultsActionSchema>;

/** Filters of the public results and their downloads, after validation. */
export interface ResultsQuery {
  /** Year asked for with ?edition=, or null for the current edition. */
  edition: number | null;
  region: ItuRegion | null;
  stakeholder: StakeholderType | null;
}

/**
 * Reads ?edition=, ?region= and ?stakeholder= with the catalogue's rules (a bad value is dropped and explained
 * in `notices`); other parameters are ignored.
 */
export function parseResultsQuery(params: URLSearchParams): { query: ResultsQuery; notices: string[] } {
  const own = new URLSearchParams();
  for (const name of ["edition", "region", "stakeholder"]) {
    const value = params.get(name);
    if (value !== null) own.set(name, value);
  }
  const { query, notices } = parseCatalogueQuery(own);
  return { query: { edition: query.edition, region: query.region, stakeholder: query.stakeholder }, notices };
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
