import { Queue, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import { env } from "../app/utils/env.server";
import { log } from "../app/utils/log.server";
import {
  redisDegraded,
  redisFailed,
  redisMode,
  requestPathRedisOptions,
  resetRedisBreaker,
  unwatchRedis,
  watchRedis,
} from "../app/utils/redis.server";

/**
 * Queue names and payloads. Payloads carry ids only — never personal data or secrets; the job reads the
 * rest from the database, which is the system of record.
 */
export interface JobPayloads {
  /** Deliver one outbox row. */
  "send-email": { outboxId: number };
  /** Re-enqueue outbox rows still queued (after a Redis outage, for instance). */
  "sweep-outbox": Record<string, never>;
  /** Advance live vote counts; enqueue official tallies of editions whose voting closed. Every second. */
  "live-tally": Record<string, never>;
  /** Full recount of an edition's votes, stored with its champions. */
  "official-tally": { editionId: number; trigger: "close" | "rerun"; requestedBy: number | null };
  /** Look for suspicious voting patterns and list them for organisers. */
  "detect-fraud": Record<string, never>;
}
export type JobName = keyof JobPayloads;
export const JOB_NAMES: readonly JobName[] = [
  "send-email",
  "sweep-outbox",
  "live-tally",
  "official-tally",
  "detect-fraud",
];

const id = z.number().int().positive();
const noData = z.record(z.string(), z.never());

/** Payload schemas: workers refuse (without retrying) a job whose payload does not match. */
export const PAYLOAD_SCHEMAS: { [N in JobName]: z.ZodType<JobPayloads[N]> } = {
  "send-email": z.strictObject({ outboxId: id }),
  "sweep-outbox": noData,
  "live-tally": noData,
  "official-tally": z.strictObject({
    editionId: id,
    trigger: z.enum(["close", "rerun"]),
    requestedBy: id.nullable(),
  }),
  "detect-fraud": noData,
};

/** Retries with exponential backoff: 2 s, 4 s, 8 s … about 17 minutes over 10 attempts. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: "exponential", delay: 2000 },
  removeOnComplete: { count: 10_000 },
  removeOnFail: { count: 10_000 },
};

/**
 * The job id that delivers outbox row `outboxId` of the database whose instance id (db/instance.ts) is
 * `instance`: the same row is never queued twice at once, and another database's row with the same id (a
 * second database on the same Redis key prefix) has another job.
 */
export function emailJobId(instance: string, outboxId: number): string {
  return `email-${instance}-${outboxId}`;
}

/**
 * The job id of an outbox row put back in the queue after it failed, `attempts` being its attempts count at
 * that moment. BullMQ keeps a failed job under its id (emailJobId), and adding a job with an id it keeps is a
 * no-op; the attempts count makes every re-queue's id new while a repeated click (or a sweep) still maps to
 * the same id.
 */
export function retryEmailJobId(instance: string, outboxId: number, attempts: number): string {
  return `${emailJobId(instance, outboxId)}-r${attempts}`;
}

/**
 * The job that takes over from a job BullMQ keeps as finished (completed or failed, at `finishedOn` ms) while
 * its database row still waits for it (a database restored from a backup, a worker that died twice); `base`
 * is the row's own job id. Derived from the finished job, so concurrent sweeps add the same one.
 */
export function successorJobId(base: string, finishedOn: number): string {
  return `${base}-s${finishedOn}`;
}

/** The official tally run when edition `editionId` closes (one per database and edition). */
export function tallyCloseJobId(instance: string, editionId: number): string {
  return `tally-close-${instance}-${editionId}`;
}

/** An official recount an organiser asked for at `at`. */
export function tallyRerunJobId(instance: string, editionId: number, at: Date): string {
  return `tally-rerun-${instance}-${editionId}-${at.getTime()}`;
}

/** Adds a job; a second add with the same job id while the first is kept is a no-op. */
export type Enqueue = <N extends JobName>(name: N, data: JobPayloads[N], jobId: string) => Promise<void>;

function checkJobId(jobId: string): void {
  // BullMQ refuses ids containing ":" and treats all-digit ids as its own counters.
  if (!/^[A-Za-z0-9_-]+$/.test(jobId) || /^\d+$/.test(jobId)) throw new Error(`invalid job id ${jobId}`);
}

/** The producer side of every queue on one Redis and key prefix. */
export interface JobQueues {
  readonly prefix: string;
  queue(name: JobName): Queue;
  /** Resolves once Redis answers; rejects after `timeoutMs` (BullMQ itself would wait for ever). */
  ready(timeoutMs?: number): Promise<void>;
  /** Adds a job (deterministic id); throws when Redis does not answer within its command timeout. */
  add: Enqueue;
  /** Resolves when Redis answers a PING on the producer connection (the breaker's probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** How long a producer waits for Redis before giving up (a web request must not hang on it). */
const READY_TIMEOUT_MS = 2000;

/**
 * Producer queues on their own connection, which fails fast when Redis is down or frozen: no offline queue, a
 * command timeout, and a bounded wait for the connection (BullMQ waits for a connection to be ready for as
 * long as it takes).
 */
export function createQueues(options: { redisUrl: string; prefix: string }): JobQueues {
  const connection = new Redis(options.redisUrl, requestPathRedisOptions());
  connection.on("error", (e) => log.warn(`redis (queues): ${e.message}`));
  const queues = new Map<JobName, Queue>();
  const queue = (name: JobName): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix: options.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      q.on("error", (e) => log.warn(`queue ${name}: ${e.message}`));
      queues.set(name, q);
    }
    return q;
  };
  const ready = (timeoutMs = READY_TIMEOUT_MS) =>
    new Promise<void>((resolve, reject) => {
      if (connection.status === "ready") return resolve();
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        connection.off("ready", onReady);
        reject(new Error(`Redis at ${options.redisUrl} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      connection.once("ready", onReady);
    });
  return {
    prefix: options.prefix,
    queue,
    ready,
    async add(name, data, jobId) {
      checkJobId(jobId);
      const payload = PAYLOAD_SCHEMAS[name].parse(data);
      await ready();
      const q = queue(name);
      try {
        await q.add(name, payload, { jobId });
      } catch (e) {
        // A Queue whose start-up (BullMQ's INFO) timed out stays broken for good: make a fresh one next time.
        q.waitUntilReady().catch(() => {
          if (queues.get(name) !== q) return;
          queues.delete(name);
          q.close().catch(() => {});
        });
        throw e;
      }
    },
    async ping() {
      await connection.ping();
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

type Holder = { __wsisQueues?: Map<string, JobQueues> };
const holder = globalThis as Holder;

/** The process's producer queues (REDIS_URL or the probed local Redis, REDIS_PREFIX); one set per URL and prefix. */
export function processQueues(): JobQueues {
  const mode = redisMode();
  if (mode.mode !== "redis") throw new Error("queueFor() needs Redis; inline mode runs jobs directly");
  const prefix = env().REDIS_PREFIX;
  const key = `${mode.url}|${prefix}`;
  holder.__wsisQueues ??= new Map();
  let queues = holder.__wsisQueues.get(key);
  if (!queues) {
    const created = createQueues({ redisUrl: mode.url, prefix });
    holder.__wsisQueues.set(key, created);
    watchRedis(`job queues ${key}`, () => created.ping());
    queues = created;
  }
  return queues;
}

/** The queue for a job name, on the process's shared producer connection (fails fast when Redis is down). */
export function queueFor(name: JobName): Queue {
  return processQueues().queue(name);
}

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
    if (queues && [...(holder.__wsisQueues?.values() ?? [])].includes(queues)) redisFailed("job enqueue", e);
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
        import("./jobs/index")
          .then(({ runInline }) => runInline(name, data))
          .catch((e: unknown) => log.error(`inline job ${name} failed`, { jobId, error: String(e) }));
      });
    }
    return;
  }
  const all = (async () => {
    for (const { data, jobId } of jobs) await addQuietly(name, data, jobId);
  })();
  await waitAtMost(all, ENQUEUE_WAIT_MS);
}

/** Closes the process's producer queues and their connections, and forgets the Redis breaker's state. */
export async function closeQueues(): Promise<void> {
  const all = holder.__wsisQueues;
  holder.__wsisQueues = undefined;
  if (!all) return;
  for (const key of all.keys()) unwatchRedis(`job queues ${key}`);
  resetRedisBreaker();
  await Promise.all([...all.values()].map((q) => q.close()));
}
