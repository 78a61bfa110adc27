/** The catalogue's filter options, labels and limits, and its link builder, without zod (browser-safe). */
import type { Decision, ItuRegion, ProjectStatus, StakeholderType } from "../../db/schema";

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
