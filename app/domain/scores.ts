/**
 * An expert's score of a project (DESIGN §6): nine criteria and a comment. Pure: what a complete score is, its
 * total, and the server-side check of a score. Drafts may be incomplete; only complete scores are ever totalled.
 */
import type { Selectable } from "kysely";
import type { Criterion, SelectionScoresTable } from "../../db/schema";
import {
  CRITERIA,
  MAX_COMMENT,
  SCORE_MAX,
  SCORE_MIN,
  byCriterion,
  type CriterionScores,
  type ScoreInput,
} from "../schemas/selection-options";

/** A row of selection_scores. */
export type ScoreRow = Selectable<SelectionScoresTable>;

/** Scores of one row by criterion. */
export function scoresOf(row: ScoreRow): CriterionScores {
  return byCriterion((c) => row[`score_${c}`]);
}

/** True when every criterion is scored and the comment is written. */
export function isCompleteScore(row: Pick<ScoreRow, `score_${Criterion}` | "comment">): boolean {
  return CRITERIA.every((c) => row[`score_${c}`] !== null) && row.comment.trim() !== "";
}

/** The sum of the nine criteria (blank criteria count 0; only complete scores are ever totalled). */
export function totalOf(row: Pick<ScoreRow, `score_${Criterion}`>): number {
  return CRITERIA.reduce((sum, c) => sum + (row[`score_${c}`] ?? 0), 0);
}

export type ScoreState = "none" | "draft" | "complete";

/** No score, an incomplete draft, or a complete score. */
export function stateOf(row: ScoreRow | undefined): ScoreState {
  if (!row) return "none";
  return isCompleteScore(row) ? "complete" : "draft";
}

export type FieldErrors = Partial<Record<string, string>>;

/** Server-side check of a score (the form schema says the same; the domain never trusts its caller). */
export function scoreErrors(input: ScoreInput, mode: "draft" | "save"): FieldErrors {
  const errors: FieldErrors = {};
  for (const c of CRITERIA) {
    const v = input.scores[c];
    if (v === null) {
      if (mode === "save") errors[`score_${c}`] = `Score this criterion from ${SCORE_MIN} to ${SCORE_MAX}.`;
    } else if (!Number.isInteger(v) || v < SCORE_MIN || v > SCORE_MAX) {
      errors[`score_${c}`] = `Give a whole number from ${SCORE_MIN} to ${SCORE_MAX}.`;
    }
  }
  if (input.comment.length > MAX_COMMENT)
    errors.comment = `Keep the comment under ${MAX_COMMENT} characters.`;
  else if (mode === "save" && input.comment.trim() === "") {
    errors.comment =
      "Write a short comment: it explains your scores to the other experts and the organisers.";
  }
  return errors;
}
