/**
 * The project questionnaire (DESIGN §3): one schema in two variants. A *draft* may be incomplete but every
 * field present is still capped and well-formed; *submit* adds every completeness rule (word counts, required
 * fields). Server-side (zod); the form takes its fields, labels and limits from project-options.ts.
 */
import { z } from "zod";
import type { ImplementationStatus } from "../../db/schema";
import { isCountryCode } from "../domain/countries";
import { formatNumberList, GDC_OBJECTIVES, SDGS } from "../domain/sdgs";
import { countWords } from "../domain/text";

import {
  FIRST_START_YEAR,
  IMPLEMENTATION_STATUSES,
  LONG_ANSWER_LABELS,
  PROJECT_LIMITS,
  SHORT_DESCRIPTION_WORDS,
  projectValuesOf,
  type LongAnswerField,
  type ProjectFormValues,
  type ProjectSchemaOptions,
} from "./project-options";

export * from "./project-options";

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
