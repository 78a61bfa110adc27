/** Nomination review's reasons, labels, rules and queue filters, without zod (browser-safe). */
import type { Decision, RejectReason } from "../../db/schema";

/** Reasons an expert may give for rejecting a project (DESIGN §4), in display order. */
export const REJECT_REASONS = [
  "incomplete",
  "out_of_scope",
  "not_implemented",
  "duplicate",
  "previous_winner",
  "other",
] as const satisfies readonly RejectReason[];

export const REJECT_REASON_LABELS: Readonly<Record<RejectReason, string>> = {
  incomplete: "Incomplete",
  out_of_scope: "Out of scope for the category",
  not_implemented: "Not implemented",
  duplicate: "Duplicate of another project",
  previous_winner: "Won a WSIS Prize in an earlier edition",
  other: "Other (explain below)",
};

export const DECISION_VALUES = ["nominate", "reject"] as const satisfies readonly Decision[];

/** What reviewers check first: the submission rules (DESIGN §3) that make a project eligible. */
export const REVIEW_RULES: readonly string[] = [
  "Submitted by an organisation, in exactly one category; one project per organisation per category per edition.",
  "Not the same project as another submission (same or near-identical title or description, in any category or by any organisation): see the duplicate flags.",
  "Not a winner of a WSIS Prize in an earlier edition: see the previous-winner flag.",
  "Every required field answered, in English.",
  "Short description of 150–200 words; each long answer at least the edition's minimum number of words.",
  "The project is completed, or a major phase of it has ended.",
];

/** The criteria experts look at (DESIGN §4). */
export const REVIEW_CRITERIA: readonly string[] = [
  "Compliance with the rules",
  "Relevance to the Action Line",
  "Results and impact",
  "Community empowerment",
  "Relevance to the SDGs",
  "Potential for replication",
  "Sustainability",
  "Partnerships",
  "Promotion of WSIS values",
];

export const MAX_REASON_TEXT = 1000;

/** A decision as the domain takes it: a reason only for a rejection, free text only for "other". */
export type DecisionInput =
  { decision: "nominate" } | { decision: "reject"; reason: RejectReason; reasonText: string | null };

export const QUEUE_FILTERS = ["undecided", "decided", "all"] as const;
export type QueueFilter = (typeof QUEUE_FILTERS)[number];
export const QUEUE_FILTER_LABELS: Readonly<Record<QueueFilter, string>> = {
  undecided: "To do",
  decided: "Decided",
  all: "All",
};
export const QUEUE_PAGE_SIZE = 20;
