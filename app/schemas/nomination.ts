import { z } from "zod";
import {
  DECISION_VALUES,
  MAX_REASON_TEXT,
  QUEUE_FILTERS,
  REJECT_REASONS,
  type DecisionInput,
} from "./nomination-options";
import { EDITION_YEAR_MAX, EDITION_YEAR_MIN } from "./edition-options";
import { checkbox, id as rowId, pageParam } from "./primitives";

export * from "./nomination-options";

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
  page: pageParam(10_000),
  edition: z.coerce.number().int().min(EDITION_YEAR_MIN).max(EDITION_YEAR_MAX).optional().catch(undefined),
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

const id = rowId("Unknown identifier.");

/** The expert-assignment form: one expert and the full set of categories they review at nomination. */
export const AssignmentFormSchema = z.object({
  editionId: id,
  userId: id,
  categoryIds: z.array(id).max(100, "Too many categories."),
});

/** The publish form: the edition and the "publish anyway" acknowledgement for undecided projects. */
export const PublishFormSchema = z.object({
  editionId: id,
  includeUndecided: checkbox.default(false),
});
