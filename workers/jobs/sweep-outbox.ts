import { emailJobId, enqueue } from "../queues";
import type { JobDeps } from "./deps";

/**
 * Re-enqueues outbox rows still queued a minute after creation (their first enqueue may have been lost).
 * Rows whose delivery job still exists are untouched: the job id is deterministic, so the add is a no-op.
 */
export async function sweepOutbox(deps: JobDeps): Promise<number> {
  const before = new Date(deps.now().getTime() - 60_000).toISOString();
  const rows = await deps.db
    .selectFrom("outbox")
    .select("id")
    .where("status", "=", "queued")
    .where("created_at", "<", before)
    .orderBy("id")
    .limit(5000)
    .execute();
  const add = deps.enqueue ?? enqueue;
  for (const row of rows) await add("send-email", { outboxId: row.id }, emailJobId(row.id));
  return rows.length;
}
