import { z } from "zod";
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

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** The decision form: nominate, or reject with a reason from the list (and text for "other"). */
export const DecisionFormSchema = z
  .object({
    decision: z.enum(DECISION_VALUES, { message: "Choose whether to nominate or reject this project." }),
    reason: z.preprocess(
      blankToUndefined,
      z.enum(REJECT_REASONS, { message: "Choose a reason from the list." }).optional(),
    ),
    reason_text: z.preprocess(
      blankToUndefined,
      z
        .string()
        .trim()
        .max(MAX_REASON_TEXT, `Keep the explanation under ${MAX_REASON_TEXT} characters.`)
        .optional(),
    ),
  })
  .superRefine((v, ctx) => {
    if (v.decision !== "reject") return;
    if (!v.reason) {
      ctx.addIssue({
        code: "custom",
        path: ["reason"],
        message: "Choose the reason for rejecting this project.",
      });
    } else if (v.reason === "other" && !v.reason_text) {
      ctx.addIssue({
        code: "custom",
        path: ["reason_text"],
        message: "Explain the reason in a few words: the submitter reads it.",
      });
    }
  })
  .transform((v): DecisionInput => {
    if (v.decision === "nominate") return { decision: "nominate" };
    const reason = v.reason ?? "other";
    return { decision: "reject", reason, reasonText: reason === "other" ? (v.reason_text ?? null) : null };
  });

export const QUEUE_FILTERS = ["undecided", "decided", "all"] as const;
export type QueueFilter = (typeof QUEUE_FILTERS)[number];
export const QUEUE_FILTER_LABELS: Readonly<Record<QueueFilter, string>> = {
  undecided: "To do",
  decided: "Decided",
  all: "All",
};
export const QUEUE_PAGE_SIZE = 20;

/** Query parameters of the review queue; a bad value falls back to its default rather than failing. */
export const QueueQuerySchema = z.object({
  show: z.enum(QUEUE_FILTERS).catch("undecided"),
  category: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{1,20}$/)
    .transform((v) => v.toUpperCase())
    .optional()
    .catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  edition: z.coerce.number().int().min(2000).max(2100).optional().catch(undefined),
});
export type QueueQuery = z.infer<typeof QueueQuerySchema>;

/** Reads the queue's query string ("?show=decided&category=C4&page=2"). */
export function parseQueueQuery(params: URLSearchParams): QueueQuery {
  return QueueQuerySchema.parse({
    show: params.get("show") ?? undefined,
    category: params.get("category") ?? undefined,
    page: params.get("page") ?? undefined,
    edition: params.get("edition") ?? undefined,
  });
}

const id = z.coerce
  .number({ message: "Unknown identifier." })
  .int("Unknown identifier.")
  .positive("Unknown identifier.")
  .max(2_147_483_647, "Unknown identifier.");

/** The expert-assignment form: one expert and the full set of categories they review at nomination. */
export const AssignmentFormSchema = z.object({
  editionId: id,
  userId: id,
  categoryIds: z.array(id).max(100, "Too many categories."),
});

/** The publish form: the edition and the "publish anyway" acknowledgement for undecided projects. */
export const PublishFormSchema = z.object({
  editionId: id,
  includeUndecided: z.preprocess((v) => v === "on" || v === "true" || v === "1", z.boolean()).default(false),
});
