import { z } from "zod";

const reason = z
  .string()
  .trim()
  .min(3, "Give a reason (at least 3 characters).")
  .max(500, "Keep the reason under 500 characters.");

/** Organiser actions on the voting admin page, one schema per intent. */
export const VotingAdminAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("rerun-tally") }),
  z.object({ intent: z.literal("invalidate-flag"), flagId: z.coerce.number().int().positive(), reason }),
  z.object({ intent: z.literal("dismiss-flag"), flagId: z.coerce.number().int().positive() }),
  z.object({
    intent: z.literal("invalidate-vote"),
    voteId: z.coerce.number().int().positive("Enter a vote number."),
    reason,
  }),
  z.object({
    intent: z.literal("invalidate-voter"),
    email: z.email("Enter the voter's email address.").max(254),
    reason,
  }),
]);
