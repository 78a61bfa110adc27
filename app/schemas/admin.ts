import { z } from "zod";
import type { Role } from "../../db/schema";
import { OUTBOX_STATUSES } from "./admin-options";
import { id, pageParam } from "./primitives";

export * from "./admin-options";

const ROLE_VALUES = ["voter", "submitter", "expert", "organiser"] as const satisfies readonly Role[];

/** A grant or revoke button on the users page. */
export const RoleChangeSchema = z.object({
  intent: z.enum(["grant", "revoke"], { error: "Choose grant or revoke." }),
  userId: id("Choose a user."),
  role: z.enum(ROLE_VALUES, { error: "Choose one of the four roles." }),
});

/** ?page= on admin lists: a positive whole number, anything else reads as page 1. */
export const PageParam = pageParam(1_000_000);

/** ?q= on the users page: trimmed, at most 200 characters. */
export const SearchParam = z
  .string()
  .trim()
  .transform((q) => q.slice(0, 200))
  .catch("");

/** ?status= on the outbox page. */
export const OutboxStatusParam = z.enum(OUTBOX_STATUSES).nullable().catch(null);

/** ?entity= and ?id= on the audit page: short plain identifiers, anything else means no filter. */
export const AuditFilterParam = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
  .nullable()
  .catch(null);
