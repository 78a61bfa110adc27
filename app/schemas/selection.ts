import { z } from "zod";
import type { Criterion } from "../../db/schema";

/** The nine criteria of DESIGN §4 in form order; each is scored 1–10 (column score_<criterion>). */
export const CRITERIA = [
  "compliance",
  "relevance",
  "impact",
  "empowerment",
  "sdgs",
  "replication",
  "sustainability",
  "partnerships",
  "values",
] as const satisfies readonly Criterion[];

export const CRITERION_LABELS: Readonly<Record<Criterion, string>> = {
  compliance: "Compliance with the rules",
  relevance: "Relevance to the Action Line",
  impact: "Results and impact",
  empowerment: "Community empowerment",
  sdgs: "Relevance to the SDGs",
  replication: "Potential for replication",
  sustainability: "Sustainability",
  partnerships: "Partnerships",
  values: "Promotion of WSIS values",
};

export const SCORE_MIN = 1;
export const SCORE_MAX = 10;
export const MAX_COMMENT = 2000;
export const MAX_REASON = 1000;

/** Scores as the domain takes them: a criterion left blank in a draft is null. */
export type CriterionScores = Record<Criterion, number | null>;

/** A score form read: the scores (null = blank), the comment, and whether it was saved as a draft. */
export interface ScoreInput {
  scores: CriterionScores;
  comment: string;
}

const blankToNull = (v: unknown) =>
  v === undefined || (typeof v === "string" && v.trim() === "") ? null : v;

const scoreMessage = `Give a whole number from ${SCORE_MIN} to ${SCORE_MAX}.`;
const score = z
  .string({ message: scoreMessage })
  .trim()
  .regex(/^\d{1,2}$/, scoreMessage)
  .transform(Number)
  .pipe(z.number().int().min(SCORE_MIN, scoreMessage).max(SCORE_MAX, scoreMessage));

/** A record with one entry per criterion, built by `f` (in form order). */
export function byCriterion<T>(f: (c: Criterion) => T): Record<Criterion, T> {
  return {
    compliance: f("compliance"),
    relevance: f("relevance"),
    impact: f("impact"),
    empowerment: f("empowerment"),
    sdgs: f("sdgs"),
    replication: f("replication"),
    sustainability: f("sustainability"),
    partnerships: f("partnerships"),
    values: f("values"),
  };
}

/**
 * The score form. "draft" accepts blanks (saved as null: the score stays incomplete); "save" requires all
 * nine criteria and a comment. Either way a filled-in criterion must be a whole number from 1 to 10.
 */
export function scoreFormSchema(mode: "draft" | "save") {
  const optional = z.preprocess(blankToNull, score.nullable());
  const criterion =
    mode === "draft"
      ? optional
      : optional.refine((v) => v !== null, `Score this criterion from ${SCORE_MIN} to ${SCORE_MAX}.`);
  return z
    .object({
      score_compliance: criterion,
      score_relevance: criterion,
      score_impact: criterion,
      score_empowerment: criterion,
      score_sdgs: criterion,
      score_replication: criterion,
      score_sustainability: criterion,
      score_partnerships: criterion,
      score_values: criterion,
      comment: z.preprocess(
        (v) => (typeof v === "string" ? v : ""),
        z.string().trim().max(MAX_COMMENT, `Keep the comment under ${MAX_COMMENT} characters.`),
      ),
    })
    .superRefine((v, ctx) => {
      if (mode === "save" && v.comment === "") {
        ctx.addIssue({
          code: "custom",
          path: ["comment"],
          message: "Write a short comment: it explains your scores to the other experts and the organisers.",
        });
      }
    })
    .transform((v): ScoreInput => ({
      scores: byCriterion((c) => v[`score_${c}`] ?? null),
      comment: v.comment,
    }));
}

/** Reads a score form's fields into the plain object scoreFormSchema parses. */
export function scoreFormValues(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = { comment: form.get("comment") ?? undefined };
  for (const c of CRITERIA) out[`score_${c}`] = form.get(`score_${c}`) ?? undefined;
  return out;
}

export const ConflictFormSchema = z.object({
  reason: z.preprocess(
    (v) => (typeof v === "string" ? v : ""),
    z
      .string()
      .trim()
      .min(3, "Say in a few words why you have a conflict of interest with this project.")
      .max(MAX_REASON, `Keep the reason under ${MAX_REASON} characters.`),
  ),
});

const id = z.coerce
  .number({ message: "Unknown identifier." })
  .int("Unknown identifier.")
  .positive("Unknown identifier.")
  .max(2_147_483_647, "Unknown identifier.");

/** The expert's "submit my scores for this category" form. */
export const SubmitCategoryFormSchema = z.object({ editionId: id, categoryId: id });

const checkbox = z.preprocess((v) => v === "on" || v === "true" || v === "1", z.boolean());

/** The organiser's forms on the selection page, told apart by `intent`. */
export const SelectionAdminFormSchema = z.discriminatedUnion(
  "intent",
  [
    z.object({
      intent: z.literal("assign"),
      editionId: id,
      userId: id,
      categoryIds: z.array(id).max(100, "Too many categories."),
    }),
    z
      .object({
        intent: z.literal("confirm"),
        editionId: id,
        projectId: id,
        override: checkbox.default(false),
        reason: z.preprocess(
          (v) => (typeof v === "string" ? v : ""),
          z.string().trim().max(MAX_REASON, `Keep the reason under ${MAX_REASON} characters.`),
        ),
      })
      .transform((v) => ({ ...v, reason: v.reason === "" ? null : v.reason })),
    z.object({ intent: z.literal("unconfirm"), editionId: id, projectId: id }),
  ],
  { message: "The form could not be read. Reload the page and try again." },
);
export type SelectionAdminForm = z.output<typeof SelectionAdminFormSchema>;
