import { z } from "zod";
import type { OutboxStatus, Role } from "../../db/schema";

const ROLE_VALUES = ["voter", "submitter", "expert", "organiser"] as const satisfies readonly Role[];

/** A grant or revoke button on the users page. */
export const RoleChangeSchema = z.object({
  intent: z.enum(["grant", "revoke"], { error: "Choose grant or revoke." }),
  userId: z.coerce
    .number({ error: "Choose a user." })
    .int("Choose a user.")
    .positive("Choose a user.")
    .max(2 ** 31 - 1, "Choose a user."),
  role: z.enum(ROLE_VALUES, { error: "Choose one of the four roles." }),
});

/** ?page= on admin lists: a positive whole number, anything else reads as page 1. */
export const PageParam = z.coerce.number().int().min(1).max(1_000_000).catch(1);

/** ?q= on the users page: trimmed, at most 200 characters. */
export const SearchParam = z
  .string()
  .trim()
  .transform((q) => q.slice(0, 200))
  .catch("");

/** The outbox statuses, in the order the outbox page offers them. */
export const OUTBOX_STATUSES = ["queued", "sent", "failed"] as const satisfies readonly OutboxStatus[];

/** ?status= on the outbox page. */
export const OutboxStatusParam = z.enum(OUTBOX_STATUSES).nullable().catch(null);

/** ?entity= and ?id= on the audit page: short plain identifiers, anything else means no filter. */
export const AuditFilterParam = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
  .nullable()
  .catch(null);
