/** Rows for submission tests, written straight to the database (no pages, no password hashing). */
import type { ProjectFormValues } from "../../app/schemas/project";

/** `n` distinct words. */
export function words(n: number, prefix = "word"): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");
}

export { categoryId } from "../fixtures/contest";

/** A questionnaire that passes every submit rule (170-word description, 60-word long answers). */
export function completeValues(
  categoryIdValue: number,
  overrides: Partial<ProjectFormValues> = {},
): ProjectFormValues {
  return {
    category_id: String(categoryIdValue),
    title: "Digital skills for rural schools",
    website: "https://example.org/project",
    country: "KE",
    start_year: "2020",
    implementation_status: "completed",
    short_description: words(170, "desc"),
    sdgs: ["4", "17"],
    gdc_objectives: ["1", "2"],
    action_line_linkage: words(60, "al"),
    sdg_linkage: words(60, "sdg"),
    gdc_linkage: words(60, "gdc"),
    impact: words(60, "impact"),
    partnerships: words(60, "part"),
    challenges: words(60, "chal"),
    ...overrides,
  };
}
