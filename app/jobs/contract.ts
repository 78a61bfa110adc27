/**
 * The job contract (docs/decisions/0006-job-contract.md): what the domain and the job runner (workers/) agree
 * on — job names, payload schemas, deterministic job ids, the "jobs" port through which the domain enqueues,
 * and what a job's processor is handed. Both sides import this module; the domain never imports workers/.
 */
import { z } from "zod";
import type { Db } from "../../db/client";
import type { Mailer } from "../../emails/transport";

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

/** Throws for an id BullMQ would refuse (":") or take for one of its own counters (all digits). */
export function checkJobId(jobId: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(jobId) || /^\d+$/.test(jobId)) throw new Error(`invalid job id ${jobId}`);
}

/** Adds a job; a second add with the same job id while the first is kept is a no-op. */
export type Enqueue = <N extends JobName>(name: N, data: JobPayloads[N], jobId: string) => Promise<void>;

/** Adds several jobs of one queue. */
export type EnqueueEach = <N extends JobName>(
  name: N,
  jobs: ReadonlyArray<{ data: JobPayloads[N]; jobId: string }>,
) => Promise<void>;

/**
 * The "jobs" port: how the domain asks for work after a commit. The process's implementation
 * (app/jobs/port.server.ts, set at start-up) is bounded in time and never throws for Redis trouble: the
 * database row that caused the job stays, and the sweeper (or the next live tally) enqueues it again.
 */
export interface Jobs {
  enqueue: Enqueue;
  enqueueEach: EnqueueEach;
}

/** What the job runner knows of a kept job: BullMQ's state name and, once finished, when (ms). */
export interface KeptJob {
  state: string;
  finishedOn?: number;
}

/** Looks a job up by id; undefined when the runner keeps no job under that id. */
export type FindJob = (name: JobName, jobId: string) => Promise<KeptJob | undefined>;

/** What a job's processor needs from the outside world; tests pass their own database and SMTP receiver. */
export interface JobDeps {
  db: Db;
  /**
   * The URL that opens `db` again (DATABASE_URL): long jobs run in threads with their own connection
   * (workers/job-threads.ts). Without it, or for an in-memory SQLite database, they run in the main thread.
   */
  databaseUrl?: string;
  mailer: Mailer;
  now: () => Date;
  /** How processors enqueue follow-up jobs; the process's port (processJobs()) when absent. */
  jobs?: Jobs;
  /** How processors look kept jobs up (the sweeper); startWorkers() supplies it, absent in inline mode. */
  findJob?: FindJob;
  /** How long a delivery attempt holds an outbox row; LEASE_MS unless a test shortens it. */
  leaseMs?: number;
}

/** Facts about the current attempt that a processor may need. */
export interface JobContext {
  /** True on the last attempt the runner will make: a transient failure is then final. */
  finalAttempt: boolean;
}

/** A job's processor: the payload (ids only), the dependencies, and facts about this attempt. */
export type Processor<N extends JobName> = (
  data: JobPayloads[N],
  deps: JobDeps,
  context: JobContext,
) => Promise<unknown>;

/**
 * Thrown by a processor whose job must run again at `at` (ms since the epoch) — not a failure: the runner
 * puts the job back as delayed without spending one of its attempts.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Thrown by a processor whose job must not be retried (BullMQ's UnrecoverableError, in workers/). */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}
