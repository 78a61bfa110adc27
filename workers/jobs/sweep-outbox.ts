import { emailJobId, enqueue, retryEmailJobId } from "../queues";
import type { JobDeps } from "./deps";

/**
 * The job id a queued row's delivery job has (or would have had, had its enqueue not been lost). A row put back
 * in the queue after it failed (retryFailed) has attempts > 0 and, until its new job first tries it, neither an
 * error nor a lease: its job is retryEmailJobId(id, attempts), since BullMQ keeps the old email-<id> job and
 * would ignore a new one under that id. Any other row is in its first delivery, or in a later one that has
 * already been tried (its job exists and retries it by itself), and keeps email-<id>: the add is then a no-op.
 */
function jobIdOf(row: { id: number; attempts: number; last_error: string | null; sent_at: string | null }) {
  const requeued = row.attempts > 0 && row.last_error === null && row.sent_at === null;
  return requeued ? retryEmailJobId(row.id, row.attempts) : emailJobId(row.id);
}

/**
 * Re-enqueues outbox rows still queued a minute after creation (their enqueue may have been lost). Rows whose
 * delivery job still exists are untouched: the job id is deterministic, so the add is a no-op.
 */
export async function sweepOutbox(deps: JobDeps): Promise<number> {
  const before = new Date(deps.now().getTime() - 60_000).toISOString();
  const rows = await deps.db
    .selectFrom("outbox")
    .select(["id", "attempts", "last_error", "sent_at"])
    .where("status", "=", "queued")
    .where("created_at", "<", before)
    .orderBy("id")
    .limit(5000)
    .execute();
  const add = deps.enqueue ?? enqueue;
  for (const row of rows) await add("send-email", { outboxId: row.id }, jobIdOf(row));
  return rows.length;
}
