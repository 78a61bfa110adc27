import { z } from "zod";
import { ITU_REGIONS } from "../domain/regions";
import {
  MAX_PAGE,
  MAX_QUERY_LENGTH,
  PROJECT_STATUSES,
  DECISIONS,
  type CatalogueQuery,
  type SubmissionsQuery,
} from "./catalogue-options";
import { STAKEHOLDER_TYPES } from "./organisation-options";

export * from "./catalogue-options";

/** One schema per query parameter, so a bad one can be dropped (with a notice) while the others still apply. */
const ParamSchemas = {
  q: z
    .string()
    // Control characters (NUL included, which PostgreSQL refuses in text) are never part of a search.
    .transform((v) => v.replace(/\p{Cc}+/gu, " ").trim())
    .pipe(
      z
        .string()
        .max(
          MAX_QUERY_LENGTH,
          `The search text is longer than ${MAX_QUERY_LENGTH} characters; it was ignored.`,
        ),
    ),
  region: z.enum(ITU_REGIONS, { message: "Unknown region; the region filter was ignored." }),
  stakeholder: z.enum(STAKEHOLDER_TYPES, { message: "Unknown stakeholder type; that filter was ignored." }),
  country: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, "The country must be a two-letter ISO 3166 code; the country filter was ignored.")
    .transform((v) => v.toUpperCase()),
  page: z.coerce
    .number({ message: "The page number is not a number; showing page 1." })
    .int("The page number must be a whole number; showing page 1.")
    .min(1, "Page numbers start at 1; showing page 1.")
    .max(MAX_PAGE, "This page number is too large; showing page 1."),
  edition: z
    .string()
    .trim()
    .regex(/^\d{4}$/, "The edition must be a year such as 2026; showing the current edition.")
    .transform(Number),
  category: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{1,20}$/, "Unknown category; the category filter was ignored.")
    .transform((v) => v.toUpperCase()),
  status: z.enum(PROJECT_STATUSES, { message: "Unknown status; the status filter was ignored." }),
  decision: z.enum(DECISIONS, { message: "Unknown decision; the decision filter was ignored." }),
} as const;

type ParamName = keyof typeof ParamSchemas;

/** Parses one parameter; blank means "no filter", a bad value is dropped with a notice. */
function readParam<S extends z.ZodType>(
  params: URLSearchParams,
  name: ParamName,
  schema: S,
  notices: string[],
): z.output<S> | undefined {
  const raw = params.get(name);
  // Blank values come from GET forms with an empty select or search box: "no filter", not an error.
  if (raw === null || raw.trim() === "") return undefined;
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  notices.push(result.error.issues[0]?.message ?? `The ${name} parameter was ignored.`);
  return undefined;
}

/**
 * Reads the catalogue filters from a URL. Never throws: a bad parameter is dropped and explained in
 * `notices`, so a mangled shared link still shows a page. `isCountry` rejects well-formed but unknown codes.
 */
export function parseCatalogueQuery(
  params: URLSearchParams,
  isCountry: (code: string) => boolean = () => true,
): { query: CatalogueQuery; notices: string[] } {
  const notices: string[] = [];
  const q = readParam(params, "q", ParamSchemas.q, notices) ?? "";
  const region = readParam(params, "region", ParamSchemas.region, notices) ?? null;
  const stakeholder = readParam(params, "stakeholder", ParamSchemas.stakeholder, notices) ?? null;
  let country = readParam(params, "country", ParamSchemas.country, notices) ?? null;
  const page = readParam(params, "page", ParamSchemas.page, notices) ?? 1;
  const edition = readParam(params, "edition", ParamSchemas.edition, notices) ?? null;
  if (country && !isCountry(country)) {
    notices.push(`Unknown country code “${country}”; the country filter was ignored.`);
    country = null;
  }
  return {
    query: { q, region, stakeholder, country, page, edition },
    notices,
  };
}

/** Reads the organiser's submissions filters from a URL; same rules as parseCatalogueQuery. */
export function parseSubmissionsQuery(
  params: URLSearchParams,
  isCountry: (code: string) => boolean = () => true,
): { query: SubmissionsQuery; notices: string[] } {
  const { query, notices } = parseCatalogueQuery(params, isCountry);
  return {
    query: {
      ...query,
      category: readParam(params, "category", ParamSchemas.category, notices) ?? null,
      status: readParam(params, "status", ParamSchemas.status, notices) ?? null,
      decision: readParam(params, "decision", ParamSchemas.decision, notices) ?? null,
    },
    notices,
  };
}
