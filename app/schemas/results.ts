import { z } from "zod";
import { parseCatalogueQuery } from "./catalogue";
import { id } from "./primitives";
import type { ResultsQuery } from "./results-options";

export * from "./results-options";

const editionId = id();

/** The organiser's results form: publish the edition's results, or retry its failed notifications. */
export const ResultsActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("publish"), editionId }),
  z.object({ intent: z.literal("retry"), editionId }),
]);

export type ResultsAction = z.infer<typeof ResultsActionSchema>;

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
