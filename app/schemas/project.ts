/**
 * The project questionnaire (DESIGN §3): one schema in two variants. A *draft* may be incomplete but every
 * field present is still capped and well-formed; *submit* adds every completeness rule (word counts, required
 * fields). Browser-safe: used by the form, the actions and the domain.
 */
import { z } from "zod";
import type { ImplementationStatus, Project } from "../../db/schema";
import { isCountryCode } from "../domain/countries";
import { formatNumberList, GDC_OBJECTIVES, parseNumberList, SDGS } from "../domain/sdgs";
import { countWords } from "../domain/text";

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
const IMPLEMENTATION_STATUSES = [
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
    action_line_linkage: "",
    sdg_linkage: "",
    gdc_linkage: "",
    impact: "",
    partnerships: "",
    challenges: "",
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

/** The form values of a parsed input (the inverse of parsing, for re-validation). */
export function projectValuesOfInput(input: ProjectInput): ProjectFormValues {
  return projectValuesOf({
    ...input,
    sdgs: formatNumberList(input.sdgs),
    gdc_objectives: formatNumberList(input.gdc_objectives),
  });
}

// Control characters other than tab and newline have no place in a form answer (and PostgreSQL refuses NUL).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Multi-line text: Windows line ends folded, control characters dropped, outer white space trimmed. */
function cleanText(s: string): string {
  return s.replace(/\r\n?/g, "\n").replace(CONTROL, "").trim();
}

/** One-line text: every run of white space becomes one space. */
function cleanLine(s: string): string {
  return s.replace(CONTROL, "").replace(/\s+/g, " ").trim();
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function cappedText(max: number, what: string, line = false) {
  return z
    .string()
    .overwrite(line ? cleanLine : cleanText)
    .superRefine((v, ctx) => {
      if (v.length > max) {
        ctx.addIssue({
          code: "custom",
          message: `${what} can be at most ${max} characters long; it has ${v.length}.`,
        });
      }
    });
}

function isHttpUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && /\.[a-z]{2,}$/i.test(url.hostname);
}

function goalList(count: number, what: string) {
  return z
    .array(z.string())
    .superRefine((list, ctx) => {
      if (
        list.length > 100 ||
        !list.every((v) => /^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= count)
      ) {
        ctx.addIssue({ code: "custom", message: `Choose ${what} from 1 to ${count}.` });
      }
    })
    .transform((list) => [...new Set(list.map(Number))].sort((a, b) => a - b));
}

function requireWhenSubmitting<T>(submit: boolean, missing: (v: T) => string | null) {
  return (v: T, ctx: z.RefinementCtx<T>) => {
    if (!submit) return;
    const message = missing(v);
    if (message) ctx.addIssue({ code: "custom", message });
  };
}

/** The questionnaire schema: `draft` (caps and formats only) or `submit` (every rule of DESIGN §3). */
export function projectSchema(mode: "draft" | "submit", opts: ProjectSchemaOptions) {
  const submit = mode === "submit";
  const minLong = opts.minLongAnswerWords;
  const longAnswer = (field: LongAnswerField) =>
    cappedText(PROJECT_LIMITS.longAnswerChars, "This answer").superRefine(
      requireWhenSubmitting<string>(submit, (v) => {
        const n = countWords(v);
        return n < minLong
          ? `${LONG_ANSWER_LABELS[field].label} needs at least ${plural(minLong, "word")}; it has ${n}.`
          : null;
      }),
    );

  return z.object({
    category_id: z
      .string()
      .trim()
      .regex(/^[1-9]\d{0,8}$/, "Choose a category.")
      .transform(Number),
    title: cappedText(PROJECT_LIMITS.title, "The title", true).superRefine(
      requireWhenSubmitting<string>(submit, (v) => (v ? null : "Enter the title of the project.")),
    ),
    website: cappedText(PROJECT_LIMITS.website, "The website address", true)
      .superRefine((v, ctx) => {
        if (v && !isHttpUrl(v)) {
          ctx.addIssue({
            code: "custom",
            message: "Enter a full web address starting with https:// (or leave it empty).",
          });
        }
      })
      .transform((v) => (v ? v : null)),
    country: z
      .string()
      .overwrite((v) => v.trim().toUpperCase())
      .superRefine((v, ctx) => {
        if (v && !isCountryCode(v)) {
          ctx.addIssue({ code: "custom", message: "Choose a country from the list." });
        }
      })
      .superRefine(
        requireWhenSubmitting<string>(submit, (v) => (v ? null : "Choose the country of implementation.")),
      ),
    start_year: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        if (!v) return;
        if (!/^\d{4}$/.test(v))
          ctx.addIssue({ code: "custom", message: "Enter a year with four digits, such as 2021." });
        else if (Number(v) < FIRST_START_YEAR || Number(v) > opts.currentYear) {
          ctx.addIssue({
            code: "custom",
            message: `Enter a year from ${FIRST_START_YEAR} to ${opts.currentYear}.`,
          });
        }
      })
      .superRefine(
        requireWhenSubmitting<string>(submit, (v) => (v ? null : "Enter the year the project started.")),
      )
      .transform((v) => (v ? Number(v) : null)),
    implementation_status: z
      .union([z.enum(IMPLEMENTATION_STATUSES), z.literal("")], {
        error: "Choose whether the project is completed or a major phase has ended.",
      })
      .superRefine(
        requireWhenSubmitting<string>(submit, (v) =>
          v ? null : "Choose whether the project is completed or a major phase has ended.",
        ),
      )
      .transform((v): ImplementationStatus | null => (v === "" ? null : v)),
    short_description: cappedText(PROJECT_LIMITS.shortDescriptionChars, "The short description").superRefine(
      requireWhenSubmitting<string>(submit, (v) => {
        const n = countWords(v);
        const { min, max } = SHORT_DESCRIPTION_WORDS;
        return n < min || n > max ? `The short description needs ${min} to ${max} words; it has ${n}.` : null;
      }),
    ),
    sdgs: goalList(SDGS.length, "goals").superRefine(
      requireWhenSubmitting<number[]>(submit, (v) =>
        v.length ? null : "Choose at least one Sustainable Development Goal.",
      ),
    ),
    gdc_objectives: goalList(GDC_OBJECTIVES.length, "objectives").superRefine(
      requireWhenSubmitting<number[]>(submit, (v) =>
        v.length ? null : "Choose at least one Global Digital Compact objective.",
      ),
    ),
    action_line_linkage: longAnswer("action_line_linkage"),
    sdg_linkage: longAnswer("sdg_linkage"),
    gdc_linkage: longAnswer("gdc_linkage"),
    impact: longAnswer("impact"),
    partnerships: longAnswer("partnerships"),
    challenges: longAnswer("challenges"),
  });
}

/** A draft: incomplete allowed, each present field capped and well-formed. */
export function draftProjectSchema(opts: ProjectSchemaOptions) {
  return projectSchema("draft", opts);
}

/** A submission: every rule, each failure reported on its own field. */
export function submitProjectSchema(opts: ProjectSchemaOptions) {
  return projectSchema("submit", opts);
}

export type ProjectInput = z.output<ReturnType<typeof projectSchema>>;

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
