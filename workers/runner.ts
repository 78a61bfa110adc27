/**
 * The process's implementation of the "jobs" port (app/jobs/contract.ts), registered at start-up by
 * app/server.ts and workers/main.ts (registerProcessJobs()): BullMQ on the process's producer queues, or — in
 * inline mode (development without Redis) — the job run in this process right after the current request.
 */
import { z } from "zod";
import { checkJobId, type JobName, type JobPayloads, type Jobs } from "../app/jobs/contract";
import { setProcessJobs } from "../app/jobs/port.server";
import { log } from "../app/utils/log.server";
import { redisDegraded, redisFailed, redisMode } from "../app/utils/redis.server";
import { runInline } from "./processors";
import { isProcessQueues, processQueues, type JobQueues } from "./queues";

/**
 * How long a request waits for its after-commit enqueues before answering. Adds still running carry on in
 * the background (each bounded by the command timeout); a lost add is harmless, as the row stays queued.
 */
export const ENQUEUE_WAIT_MS = 300;

/** Waits for `work` at most `ms`; `work` carries on after that (it must handle its own errors). */
function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const lapse = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, lapse]).finally(() => clearTimeout(timer));
}

/** Jobs that sweep-outbox enqueues again when their add is lost (their outbox row stays queued). */
const SWEPT: ReadonlySet<JobName> = new Set(["send-email"]);

/**
 * One add on the process's producer; never throws. While the Redis breaker is open, swept jobs are left to
 * the sweeper (the breaker's warning says so once); any other job is still tried (bounded by the timeout).
 */
async function addQuietly<N extends JobName>(name: N, data: JobPayloads[N], jobId: string): Promise<void> {
  const swept = SWEPT.has(name);
  if (swept && redisDegraded()) {
    log.debug(`Redis degraded: ${name} left to the sweeper`, { jobId });
    return;
  }
  let queues: JobQueues | undefined;
  try {
    queues = processQueues();
    await queues.add(name, data, jobId);
  } catch (e) {
    if (e instanceof z.ZodError) {
      log.warn(`could not enqueue ${name}: invalid payload`, { jobId, error: e.message });
      return;
    }
    // An add cut short by closeQueues() (shutdown, tests) says nothing about Redis.
    if (queues && isProcessQueues(queues)) redisFailed("job enqueue", e);
    if (swept) log.debug(`could not enqueue ${name}; the sweeper will retry`, { jobId, error: String(e) });
    else log.warn(`could not enqueue ${name}`, { jobId, error: String(e) });
  }
}

/**
 * Enqueues a job with a deterministic id (a second enqueue of the same id is a no-op). In inline mode
 * (development without Redis) the job runs in this process right after the current request.
 * Never throws for Redis trouble and never holds the caller longer than ENQUEUE_WAIT_MS: the database row that
 * caused the job stays, and the sweeper re-enqueues it if the add is lost.
 */
export async function enqueue<N extends JobName>(
  name: N,
  data: JobPayloads[N],
  jobId: string,
): Promise<void> {
  await enqueueEach(name, [{ data, jobId }]);
}

/**
 * Enqueues several jobs of one queue, one after the other, waiting at most ENQUEUE_WAIT_MS in all: the rest
 * are added in the background (emails are skipped while the Redis breaker is open: the sweeper re-enqueues
 * them).
 */
export async function enqueueEach<N extends JobName>(
  name: N,
  jobs: ReadonlyArray<{ data: JobPayloads[N]; jobId: string }>,
): Promise<void> {
  for (const job of jobs) checkJobId(job.jobId);
  const mode = redisMode();
  if (mode.mode === "inline") {
    for (const { data, jobId } of jobs) {
      setImmediate(() => {
        runInline(name, data).catch((e: unknown) =>
          log.error(`inline job ${name} failed`, { jobId, error: String(e) }),
        );
      });
    }
    return;
  }
  const all = (async () => {
    for (const { data, jobId } of jobs) await addQuietly(name, data, jobId);
  })();
  await waitAtMost(all, ENQUEUE_WAIT_MS);
}

/** The process's port: see enqueue() and enqueueEach(). */
export const processRunner: Jobs = { enqueue, enqueueEach };

/** Makes processRunner the process's "jobs" port (start-up of the web server and of `npm run worker`). */
export function registerProcessJobs(): void {
  setProcessJobs(processRunner);
}
