import { z } from "zod";
import {
  MAX_COMMENT,
  MAX_REASON,
  SCORE_MAX,
  SCORE_MIN,
  byCriterion,
  type ScoreInput,
} from "./selection-options";
import { checkbox, formText, id as rowId, reason } from "./primitives";

export * from "./selection-options";

const blankToNull = (v: unknown) =>
  v === undefined || (typeof v === "string" && v.trim() === "") ? null : v;

const scoreMessage = `Give a whole number from ${SCORE_MIN} to ${SCORE_MAX}.`;
const score = z
  .string({ message: scoreMessage })
  .trim()
  .regex(/^\d{1,2}$/, scoreMessage)
  .transform(Number)
  .pipe(z.number().int().min(SCORE_MIN, scoreMessage).max(SCORE_MAX, scoreMessage));

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
      comment: formText({
        max: MAX_COMMENT,
        maxMessage: `Keep the comment under ${MAX_COMMENT} characters.`,
      }),
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

export const ConflictFormSchema = z.object({
  reason: reason(MAX_REASON, {
    min: 3,
    minMessage: "Say in a few words why you have a conflict of interest with this project.",
  }),
});

const id = rowId("Unknown identifier.");

/** The expert's "submit my scores for this category" form. */
export const SubmitCategoryFormSchema = z.object({ editionId: id, categoryId: id });

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
        reason: reason(MAX_REASON),
      })
      .transform((v) => ({ ...v, reason: v.reason === "" ? null : v.reason })),
    z.object({ intent: z.literal("unconfirm"), editionId: id, projectId: id }),
  ],
  { message: "The form could not be read. Reload the page and try again." },
);
export type SelectionAdminForm = z.output<typeof SelectionAdminFormSchema>;
