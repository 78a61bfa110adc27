import { successorJobId, type JobDeps, type JobName } from "../jobs/contract";

/**
 * How long ago a kept job must have finished for the row still waiting for it to count as left behind: a job
 * that has just finished may have been read before the update that recorded its work.
 */
export const FINISHED_GRACE_MS = 60_000;

/** Successors followed per call (each needs a restore or a double crash: one is the usual most). */
const MAX_SUCCESSORS = 5;

/**
 * The job id to add for work the database still waits for (an outbox row still queued, an edition without
 * its official tally) whose deterministic job id is `base`, or null when a job BullMQ keeps will do it
 * (waiting, delayed or active). A job kept as finished (completed or failed) while the database still waits
 * left that work behind — the database was restored from a backup taken before the work was recorded, or a
 * worker died twice on it (BullMQ fails a job that stalls twice) — so its successor is the one to add, once
 * the grace period is over; successors of successors likewise.
 */
export async function jobToAdd(
  deps: JobDeps,
  name: JobName,
  base: string,
  now: number,
): Promise<string | null> {
  if (!deps.findJob) return base; // no view of the queue (inline mode): adding a kept id is a no-op anyway
  let jobId = base;
  for (let i = 0; i <= MAX_SUCCESSORS; i++) {
    const job = await deps.findJob(name, jobId);
    if (!job) return jobId;
    if (job.state !== "completed" && job.state !== "failed") return null;
    if (job.finishedOn === undefined || job.finishedOn > now - FINISHED_GRACE_MS) return null;
    jobId = successorJobId(base, job.finishedOn);
  }
  return null;
}
