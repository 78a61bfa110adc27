import { z } from "zod";
import { id, reason as reasonText } from "./primitives";

const reason = reasonText(500, { min: 3, minMessage: "Give a reason (at least 3 characters)." });

/** Organiser actions on the voting admin page, one schema per intent. */
export const VotingAdminAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("rerun-tally") }),
  z.object({ intent: z.literal("invalidate-flag"), flagId: id(), reason }),
  z.object({ intent: z.literal("dismiss-flag"), flagId: id() }),
  z.object({
    intent: z.literal("invalidate-vote"),
    voteId: id("Enter a vote number."),
    reason,
  }),
  z.object({
    intent: z.literal("invalidate-voter"),
    email: z.email("Enter the voter's email address.").max(254),
    reason,
  }),
]);
