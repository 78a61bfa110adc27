import { Queue, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import { env } from "../app/utils/env.server";
import { log } from "../app/utils/log.server";
import { redisMode } from "../app/utils/redis.server";

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
export const JOB_NAMES: readonly JobName[] = ["send-email", "sweep-outbox", "live-tally", "official-tally", "detect-fraud"];

/** Retries with exponential backoff: 2 s, 4 s, 8 s … about 17 minutes over 10 attempts. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: "exponential", delay: 2000 },
  removeOnComplete: { count: 10_000 },
  removeOnFail: { count: 10_000 },
};

type Holder = { __wsisQueues?: { key: string; connection: Redis; queues: Map<JobName, Queue> } };
const holder = globalThis as Holder;

/** The queue for a job name, on the shared producer connection (fails fast when Redis is down). */
export function queueFor(name: JobName): Queue {
  const mode = redisMode();
  if (mode.mode !== "redis") throw new Error("queueFor() needs Redis; inline mode runs jobs directly");
  const key = `${mode.url}|${env().REDIS_PREFIX}`;
  if (!holder.__wsisQueues || holder.__wsisQueues.key !== key) {
    const connection = new Redis(mode.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    connection.on("error", (e) => log.warn(`redis (queues): ${e.message}`));
    holder.__wsisQueues = { key, connection, queues: new Map() };
  }
  let queue = holder.__wsisQueues.queues.get(name);
  if (!queue) {
    queue = new Queue(name, {
      connection: holder.__wsisQueues.connection,
      prefix: env().REDIS_PREFIX,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
    holder.__wsisQueues.queues.set(name, queue);
  }
  return queue;
}

/**
 * Enqueues a job with a deterministic id (a second enqueue of the same id is a no-op). In inline mode
 * (development without Redis) the job runs in this process right after the current request.
 * Never throws: the database row that caused the job stays, and the sweeper re-enqueues it later.
 */
export async function enqueue<N extends JobName>(name: N, data: JobPayloads[N], jobId: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(jobId) || /^\d+$/.test(jobId)) throw new Error(`invalid job id ${jobId}`);
  const mode = redisMode();
  if (mode.mode === "inline") {
    setImmediate(() => {
      import("./jobs/index")
        .then(({ runInline }) => runInline(name, data))
        .catch((e: unknown) => log.error(`inline job ${name} failed`, { jobId, error: String(e) }));
    });
    return;
  }
  try {
    await queueFor(name).add(name, data, { jobId });
  } catch (e) {
    log.warn(`could not enqueue ${name}; the sweeper will retry`, { jobId, error: String(e) });
  }
}

/** Closes the producer queues and their connection. */
export async function closeQueues(): Promise<void> {
  const current = holder.__wsisQueues;
  holder.__wsisQueues = undefined;
  if (!current) return;
  await Promise.all([...current.queues.values()].map((q) => q.close()));
  await current.connection.quit().catch(() => current.connection.disconnect());
}
