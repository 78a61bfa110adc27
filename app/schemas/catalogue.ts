import { z } from "zod";
import type { Decision, ItuRegion, ProjectStatus, StakeholderType } from "../../db/schema";
import { ITU_REGIONS } from "../domain/regions";
import { STAKEHOLDER_TYPES } from "./organisation-options";

// The filters' options are the organisation profile's (one list each).
export { ITU_REGIONS as REGIONS, REGION_LABELS } from "../domain/regions";
export { STAKEHOLDER_LABELS, STAKEHOLDER_TYPES } from "./organisation-options";

export const PROJECT_STATUS_LABELS: Readonly<Record<ProjectStatus, string>> = {
  draft: "Draft",
  submitted: "Submitted",
  withdrawn: "Withdrawn",
};
export const PROJECT_STATUSES = [
  "draft",
  "submitted",
  "withdrawn",
] as const satisfies readonly ProjectStatus[];

export type DecisionFilter = Decision | "undecided";
export const DECISION_LABELS: Readonly<Record<DecisionFilter, string>> = {
  nominate: "Nominated",
  reject: "Rejected",
  undecided: "Not decided yet",
};
export const DECISIONS = ["nominate", "reject", "undecided"] as const satisfies readonly DecisionFilter[];

/** The 17 Sustainable Development Goals, by number. */
export const SDG_TITLES: Readonly<Record<number, string>> = {
  1: "No poverty",
  2: "Zero hunger",
  3: "Good health and well-being",
  4: "Quality education",
  5: "Gender equality",
  6: "Clean water and sanitation",
  7: "Affordable and clean energy",
  8: "Decent work and economic growth",
  9: "Industry, innovation and infrastructure",
  10: "Reduced inequalities",
  11: "Sustainable cities and communities",
  12: "Responsible consumption and production",
  13: "Climate action",
  14: "Life below water",
  15: "Life on land",
  16: "Peace, justice and strong institutions",
  17: "Partnerships for the goals",
};

/** The five Global Digital Compact objectives (DESIGN §3), by number. */
export const GDC_TITLES: Readonly<Record<number, string>> = {
  1: "Close all digital divides and accelerate progress across the SDGs",
  2: "Expand inclusion in and benefits from the digital economy for all",
  3: "Foster an inclusive, open, safe and secure digital space that respects, protects and promotes human rights",
  4: "Advance responsible, equitable and interoperable data governance approaches",
  5: "Enhance international governance of artificial intelligence for the benefit of humanity",
};

export const CATALOGUE_PAGE_SIZE = 20;
export const MAX_QUERY_LENGTH = 200;
/** Beyond this a page number is nonsense (1,000 projects make 50 pages); it also keeps offsets small. */
export const MAX_PAGE = 10_000;

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

/** Filters of the public catalogue, after validation. */
export interface CatalogueQuery {
  q: string;
  region: ItuRegion | null;
  stakeholder: StakeholderType | null;
  country: string | null;
  page: number;
  /** Year asked for with ?edition=, or null for the current edition. */
  edition: number | null;
}

/** Filters of the organiser's submissions list: the catalogue's plus category, status and decision. */
export interface SubmissionsQuery extends CatalogueQuery {
  category: string | null;
  status: ProjectStatus | null;
  decision: DecisionFilter | null;
}

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

/**
 * The canonical query string of a set of filters (defaults left out, stable order), for shareable links.
 * `page` 1 is omitted; pass `page` to link to another page of the same results.
 */
export function querySearch(query: Partial<SubmissionsQuery>, page = query.page ?? 1): string {
  const out = new URLSearchParams();
  if (query.edition) out.set("edition", String(query.edition));
  if (query.q) out.set("q", query.q);
  if (query.category) out.set("category", query.category);
  if (query.region) out.set("region", query.region);
  if (query.stakeholder) out.set("stakeholder", query.stakeholder);
  if (query.country) out.set("country", query.country);
  if (query.status) out.set("status", query.status);
  if (query.decision) out.set("decision", query.decision);
  if (page > 1) out.set("page", String(page));
  const s = out.toString();
  return s ? `?${s}` : "";
}
