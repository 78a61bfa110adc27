import { instanceId } from "../../db/instance";
import { emailJobId, enqueue, retryEmailJobId } from "../queues";
import type { JobDeps } from "./deps";
import { jobToAdd } from "./successor";

/** A queued row is swept once it is this old (its own enqueue may still be on the way before). */
export const SWEEP_AFTER_MS = 60_000;

type SweptRow = { id: number; attempts: number; last_error: string | null; sent_at: string | null };

/**
 * The job id a queued row's delivery job has (or would have had, had its enqueue not been lost). A row put back
 * in the queue after it failed (retryFailed) has attempts > 0 and, until its new job first tries it, neither an
 * error nor a lease: its job is retryEmailJobId(id, attempts), since BullMQ keeps the old job and would ignore
 * a new one under that id. Any other row is in its first delivery, or in a later one that has already been
 * tried (its job exists and retries it by itself), and keeps emailJobId.
 */
function jobIdOf(instance: string, row: SweptRow): string {
  const requeued = row.attempts > 0 && row.last_error === null && row.sent_at === null;
  return requeued ? retryEmailJobId(instance, row.id, row.attempts) : emailJobId(instance, row.id);
}

/**
 * Re-enqueues outbox rows still queued a minute after creation: their enqueue was lost (Redis was down), or
 * their job is kept as finished although the row was not sent (jobToAdd adds a successor). Rows whose job is
 * still to run are untouched. Rows a dead attempt still holds need nothing either: their job comes back
 * through BullMQ's stalled-job check and runs when the lease ends.
 */
export async function sweepOutbox(deps: JobDeps): Promise<number> {
  const now = deps.now().getTime();
  const before = new Date(now - SWEEP_AFTER_MS).toISOString();
  const rows = await deps.db
    .selectFrom("outbox")
    .select(["id", "attempts", "last_error", "sent_at"])
    .where("status", "=", "queued")
    .where("created_at", "<", before)
    .orderBy("id")
    .limit(5000)
    .execute();
  if (!rows.length) return 0;
  const instance = await instanceId(deps.db);
  const add = deps.enqueue ?? enqueue;
  let added = 0;
  for (const row of rows) {
    const jobId = await jobToAdd(deps, "send-email", jobIdOf(instance, row), now);
    if (jobId === null) continue;
    await add("send-email", { outboxId: row.id }, jobId);
    added++;
  }
  return added;
}
