import { DelayedError, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import { log } from "../app/utils/log.server";
import { workerConnectionOptions } from "../app/utils/redis.server";
import { within } from "../app/utils/shutdown.server";
import { jobToAdd } from "../app/domain/job-successors.server";
import {
  JOB_NAMES,
  PAYLOAD_SCHEMAS,
  PermanentJobError,
  RetryLaterError,
  type JobDeps,
  type JobName,
  type JobPayloads,
  type Processor,
} from "../app/jobs/contract";
import { jobsFrom } from "../app/jobs/port.server";
import { createJobThreads, type JobThreads } from "./job-threads";
import { defaultDeps, processorFor } from "./processors";
import { createQueues, findJobIn, processQueues, type JobQueues } from "./queues";

export interface RunningWorkers {
  /** Stops taking jobs, waits for the jobs in progress however long they take, closes the connections. */
  close(): Promise<void>;
  /**
   * The same within `timeoutMs`: jobs still running at the bound (say, on a hung SMTP relay) are left behind
   * and false is returned. The process is about to exit; their locks expire after `lockDuration` and another
   * worker retries them, which is safe because every job is idempotent (and the outbox sweeper re-enqueues
   * mail still queued).
   */
  closeWithin(timeoutMs: number): Promise<boolean>;
  /** The threads of the long jobs, when they run in threads. */
  threads?: JobThreads;
}

/**
 * How fast a job of a dead worker is taken over: its lock expires after `lockDuration` ms (renewed while the
 * worker lives) and every worker looks for such stalled jobs each `stalledInterval` ms. STALL_DEFAULTS suit
 * production; tests that kill a worker shorten them.
 */
export interface StallOptions {
  lockDuration?: number;
  stalledInterval?: number;
}

/**
 * The production values, set explicitly: a dead worker's job is back in the queue within their sum (60 s),
 * inside the outbox lease (send-email.ts LEASE_MS), so the lease is what bounds the delay of its emails.
 */
export const STALL_DEFAULTS: Required<StallOptions> = { lockDuration: 30_000, stalledInterval: 30_000 };

/**
 * One BullMQ worker for queue `name`: checks the payload, runs the processor, tells it about the last attempt.
 * A processor that throws RetryLaterError (an outbox row another attempt holds) has its job delayed until the
 * time it names, without spending an attempt; one that throws PermanentJobError is not retried. `run` is the processor (in a job thread for long jobs).
 */
function createWorker<N extends JobName>(
  name: N,
  deps: JobDeps,
  connection: Redis,
  prefix: string,
  concurrency: number,
  locks: StallOptions,
  run: Processor<N> = processorFor(name),
) {
  const schema = PAYLOAD_SCHEMAS[name];
  const worker = new Worker<JobPayloads[N]>(
    name,
    async (job, token) => {
      const parsed = schema.safeParse(job.data);
      if (!parsed.success)
        throw new UnrecoverableError(`invalid ${name} payload: ${z.prettifyError(parsed.error)}`);
      try {
        return await run(parsed.data, deps, {
          finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        });
      } catch (e) {
        if (e instanceof PermanentJobError) throw new UnrecoverableError(e.message);
        if (!(e instanceof RetryLaterError) || !token) throw e;
        await job.moveToDelayed(e.at, token);
        throw new DelayedError(e.message);
      }
    },
    { connection, prefix, concurrency, ...locks },
  );
  worker.on("failed", (job, err) =>
    log.warn(`job ${name} failed`, { jobId: job?.id, attempt: job?.attemptsMade, error: err.message }),
  );
  worker.on("error", (err) => log.warn(`worker ${name}: ${err.message}`));
  return worker;
}

/**
 * Starts one BullMQ worker per queue against `redisUrl` and `prefix`; `deps` lets tests use their own database
 * and SMTP. Follow-up jobs (the sweeper's re-enqueues) go to the same Redis and prefix. Long jobs (fraud
 * detection, tallies) run in worker threads on their own connection to `deps.databaseUrl`, unless `threads`
 * is false or that URL is unknown (see workers/job-threads.ts).
 */
export async function startWorkers(
  options: {
    redisUrl: string;
    prefix: string;
    deps?: JobDeps;
    concurrency?: Partial<Record<JobName, number>>;
    threads?: boolean;
  } & StallOptions,
): Promise<RunningWorkers> {
  const producers = createQueues({ redisUrl: options.redisUrl, prefix: options.prefix });
  const base = options.deps ?? defaultDeps();
  const jobs = base.jobs ?? jobsFrom(producers.add);
  const deps: JobDeps = { ...base, jobs, findJob: base.findJob ?? findJobIn(producers) };
  const threads: JobThreads | undefined =
    options.threads !== false && deps.databaseUrl
      ? createJobThreads({
          databaseUrl: deps.databaseUrl,
          // A thread has no view of the queue: its follow-up jobs get their successor id here (jobToAdd).
          enqueue: async (name, data, jobId) => {
            const id = await jobToAdd(deps, name, jobId, deps.now().getTime());
            if (id !== null) await jobs.enqueue(name, data, id);
          },
        })
      : undefined;
  // BullMQ leaves connections it was given open on close(); we keep them to quit them ourselves.
  const connections: Redis[] = [];
  const workers = JOB_NAMES.map((name) => {
    const connection = new Redis(options.redisUrl, workerConnectionOptions());
    connection.on("error", () => {}); // reported through the worker's own "error" event
    connections.push(connection);
    const concurrency = options.concurrency?.[name] ?? (name === "send-email" ? 20 : 1);
    const locks: StallOptions = {
      lockDuration: options.lockDuration ?? STALL_DEFAULTS.lockDuration,
      stalledInterval: options.stalledInterval ?? STALL_DEFAULTS.stalledInterval,
    };
    return createWorker(
      name,
      deps,
      connection,
      options.prefix,
      concurrency,
      locks,
      threads?.processorFor(name),
    );
  });
  return {
    threads,
    async close() {
      // Waits for jobs in progress to finish; new ones stay in Redis for the next worker.
      await Promise.all(workers.map((w) => w.close()));
      await threads?.close();
      await producers.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
    async closeWithin(timeoutMs) {
      const closing = Promise.all(workers.map((w) => w.close()));
      const started = Date.now();
      const left = () => Math.max(0, timeoutMs - (Date.now() - started));
      // A slice of the bound is kept for closing the connections.
      const reserve = Math.min(500, timeoutMs / 5);
      const finished = await within("workers (jobs in progress)", left() - reserve, () => closing);
      // An idle thread closes its connection (up to a second); a busy one is stopped: its job is retried.
      await within("job threads", left(), () => threads?.close() ?? Promise.resolve());
      const closed = await within("job producers", left(), () => producers.close());
      const quit = await Promise.all(
        connections.map((c) => (finished ? within("worker connection", left(), () => c.quit()) : false)),
      );
      connections.forEach((c) => c.disconnect());
      return finished && closed && quit.every(Boolean);
    },
  };
}

/** Periodic jobs: one schedule each, whatever the number of processes (BullMQ job schedulers). */
export const HOUSEKEEPING: ReadonlyArray<{
  name: "sweep-outbox" | "live-tally" | "detect-fraud";
  every: number;
}> = [
  { name: "sweep-outbox", every: 60_000 },
  // Live counts stay within about a second of the votes table (the issue asks for 2 s).
  { name: "live-tally", every: 1_000 },
  { name: "detect-fraud", every: 60_000 },
];

/** Schedules the periodic jobs (idempotent) on `queues`, or on the process's own queues. */
export async function scheduleHousekeeping(queues: JobQueues = processQueues()): Promise<void> {
  await queues.ready();
  for (const h of HOUSEKEEPING) {
    await queues.queue(h.name).upsertJobScheduler(
      `${h.name}-every-${h.every}ms`,
      { every: h.every },
      {
        name: h.name,
        data: {},
        opts: { removeOnComplete: true, removeOnFail: 100 },
      },
    );
  }
}

/**
 * Schedules the periodic jobs now and re-asserts them every 15 s: schedules live in Redis, so they come back
 * by themselves after Redis restarted without its data. Returns a function that stops re-asserting.
 */
export function maintainHousekeeping(queues?: JobQueues): () => void {
  const schedule = () =>
    scheduleHousekeeping(queues).catch((e: unknown) =>
      log.warn(`could not schedule housekeeping: ${String(e)}`),
    );
  void schedule();
  const timer = setInterval(() => void schedule(), 15_000);
  timer.unref();
  return () => clearInterval(timer);
}
