/** The jury's criteria, labels and limits, and the score form's value helpers, without zod (browser-safe). */
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

/** Reads a score form's fields into the plain object scoreFormSchema parses. */
export function scoreFormValues(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = { comment: form.get("comment") ?? undefined };
  for (const c of CRITERIA) out[`score_${c}`] = form.get(`score_${c}`) ?? undefined;
  return out;
}
