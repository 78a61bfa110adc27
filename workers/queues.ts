import { Queue, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import { checkJobId, PAYLOAD_SCHEMAS, type Enqueue, type FindJob, type JobName } from "../app/jobs/contract";
import { env } from "../app/utils/env.server";
import { log } from "../app/utils/log.server";
import {
  redisMode,
  requestPathRedisOptions,
  resetRedisBreaker,
  unwatchRedis,
  watchRedis,
} from "../app/utils/redis.server";

/** Retries with exponential backoff: 2 s, 4 s, 8 s … about 17 minutes over 10 attempts. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: "exponential", delay: 2000 },
  removeOnComplete: { count: 10_000 },
  removeOnFail: { count: 10_000 },
};

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

/** True while `queues` is the process's producer (closeQueues() has not dropped it). */
export function isProcessQueues(queues: JobQueues): boolean {
  return [...(holder.__wsisQueues?.values() ?? [])].includes(queues);
}

/** A FindJob reading the queues of `queues` (the producer side of the workers' Redis and prefix). */
export function findJobIn(queues: Pick<JobQueues, "queue">): FindJob {
  return async (name, jobId) => {
    const job = await queues.queue(name).getJob(jobId);
    return job ? { state: await job.getState(), finishedOn: job.finishedOn } : undefined;
  };
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
