/** Admin pages' options, without zod (browser-safe). */
import type { OutboxStatus } from "../../db/schema";

/** The outbox statuses, in the order the outbox page offers them. */
export const OUTBOX_STATUSES = ["queued", "sent", "failed"] as const satisfies readonly OutboxStatus[];
