/**
 * The questionnaire's fields, labels, limits and form-value helpers, without zod: the form's browser bundle
 * imports these; the schema (project.ts) validates against the same limits.
 */
import type { ImplementationStatus, Project } from "../../db/schema";
import { parseNumberList } from "../domain/sdgs";

/** Character caps: bound the stored size of every field (and keep the whole form under the body limit). */
export const PROJECT_LIMITS = {
  title: 150,
  website: 500,
  shortDescriptionChars: 2000,
  longAnswerChars: 4000,
} as const;

/** The short description is shown to voters: 150–200 words (DESIGN §3). */
export const SHORT_DESCRIPTION_WORDS = { min: 150, max: 200 } as const;
/** Default minimum of words per long answer when an edition does not set one. */
export const DEFAULT_MIN_LONG_ANSWER_WORDS = 50;
export const FIRST_START_YEAR = 1950;

export const LONG_ANSWER_FIELDS = [
  "action_line_linkage",
  "sdg_linkage",
  "gdc_linkage",
  "impact",
  "partnerships",
  "challenges",
] as const;
export type LongAnswerField = (typeof LONG_ANSWER_FIELDS)[number];

/** Every long answer left empty, in form order. */
export function emptyLongAnswers(): Record<LongAnswerField, string> {
  return Object.fromEntries(LONG_ANSWER_FIELDS.map((field) => [field, ""])) as Record<
    LongAnswerField,
    string
  >;
}

/** Labels and hints of the long answers, in form order. */
export const LONG_ANSWER_LABELS: Readonly<Record<LongAnswerField, { label: string; hint: string }>> = {
  action_line_linkage: {
    label: "Linkage to the Action Line",
    hint: "How does the project contribute to the Action Line of the category you chose?",
  },
  sdg_linkage: {
    label: "Linkage to the Sustainable Development Goals",
    hint: "Explain how the project advances the goals you ticked.",
  },
  gdc_linkage: {
    label: "Linkage to the Global Digital Compact objectives",
    hint: "Explain how the project serves the objectives you ticked.",
  },
  impact: {
    label: "Impact",
    hint: "Qualitative and quantitative impact: economic, social and environmental.",
  },
  partnerships: { label: "Partnerships", hint: "Who did you work with, and how?" },
  challenges: { label: "Challenges and future perspectives", hint: "What was hard, and what comes next?" },
};

export const IMPLEMENTATION_STATUS_LABELS: Readonly<Record<ImplementationStatus, string>> = {
  completed: "Completed",
  major_phase_ended: "A major phase has ended",
};
export const IMPLEMENTATION_STATUSES = [
  "completed",
  "major_phase_ended",
] as const satisfies readonly ImplementationStatus[];

/** What the form posts, as strings (checkbox groups as lists): also what the form is rendered from. */
export interface ProjectFormValues {
  category_id: string;
  title: string;
  website: string;
  country: string;
  start_year: string;
  implementation_status: string;
  short_description: string;
  sdgs: string[];
  gdc_objectives: string[];
  action_line_linkage: string;
  sdg_linkage: string;
  gdc_linkage: string;
  impact: string;
  partnerships: string;
  challenges: string;
}

export interface ProjectSchemaOptions {
  /** editions.min_long_answer_words */
  minLongAnswerWords: number;
  /** Start years after this one are refused. */
  currentYear: number;
}

/** The values of an empty questionnaire. */
export function emptyProjectValues(): ProjectFormValues {
  return {
    category_id: "",
    title: "",
    website: "",
    country: "",
    start_year: "",
    implementation_status: "",
    short_description: "",
    sdgs: [],
    gdc_objectives: [],
    ...emptyLongAnswers(),
  };
}

/** Reads the questionnaire fields from a posted form (missing fields are empty). */
export function projectFormValues(form: FormData): ProjectFormValues {
  const text = (name: string): string => {
    const v = form.get(name);
    return typeof v === "string" ? v : "";
  };
  const list = (name: string): string[] =>
    form.getAll(name).filter((v): v is string => typeof v === "string");
  return {
    category_id: text("category_id"),
    title: text("title"),
    website: text("website"),
    country: text("country"),
    start_year: text("start_year"),
    implementation_status: text("implementation_status"),
    short_description: text("short_description"),
    sdgs: list("sdgs"),
    gdc_objectives: list("gdc_objectives"),
    action_line_linkage: text("action_line_linkage"),
    sdg_linkage: text("sdg_linkage"),
    gdc_linkage: text("gdc_linkage"),
    impact: text("impact"),
    partnerships: text("partnerships"),
    challenges: text("challenges"),
  };
}

/** The form values of a stored project (to render the form, or to re-validate it). */
export function projectValuesOf(
  p: Pick<Project, "category_id" | "title" | "website" | "country" | "start_year" | "implementation_status"> &
    Pick<Project, "short_description" | "sdgs" | "gdc_objectives" | LongAnswerField>,
): ProjectFormValues {
  return {
    category_id: String(p.category_id),
    title: p.title,
    website: p.website ?? "",
    country: p.country,
    start_year: p.start_year === null ? "" : String(p.start_year),
    implementation_status: p.implementation_status ?? "",
    short_description: p.short_description,
    sdgs: parseNumberList(p.sdgs).map(String),
    gdc_objectives: parseNumberList(p.gdc_objectives).map(String),
    action_line_linkage: p.action_line_linkage,
    sdg_linkage: p.sdg_linkage,
    gdc_linkage: p.gdc_linkage,
    impact: p.impact,
    partnerships: p.partnerships,
    challenges: p.challenges,
  };
}

/** Field name → first message, from zod issues (or domain checks). */
export type ProjectErrors = Partial<Record<string, string>>;

/** One message per field from zod issues: the first issue of each field wins. */
export function projectErrorsFrom(
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
): ProjectErrors {
  const out: Partial<Record<string, string>> = {};
  for (const issue of issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
}
