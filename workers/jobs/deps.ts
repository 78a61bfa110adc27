import type { Db } from "../../db/client";
import { createMailer, type Mailer } from "../../emails/transport";
import { db } from "../../app/utils/db.server";
import { env } from "../../app/utils/env.server";
import type { Enqueue, JobName } from "../queues";

/** What the sweeper needs to know of a kept job: BullMQ's state name and, once finished, when (ms). */
export interface KeptJob {
  state: string;
  finishedOn?: number;
}

/** Looks a job up by id; undefined when BullMQ keeps no job under that id. */
export type FindJob = (name: JobName, jobId: string) => Promise<KeptJob | undefined>;

/** What jobs need from the outside world; tests pass their own database and SMTP receiver. */
export interface JobDeps {
  db: Db;
  /**
   * The URL that opens `db` again (DATABASE_URL): long jobs run in threads with their own connection
   * (workers/job-threads.ts). Without it, or for an in-memory SQLite database, they run in the main thread.
   */
  databaseUrl?: string;
  mailer: Mailer;
  now: () => Date;
  /**
   * How jobs enqueue follow-up jobs. startWorkers() supplies its own Redis and prefix; when absent, the
   * process-wide enqueue() of workers/queues.ts is used (inline mode, npm start).
   */
  enqueue?: Enqueue;
  /** How jobs look kept jobs up (the sweeper); startWorkers() supplies it, absent in inline mode. */
  findJob?: FindJob;
  /** How long a delivery attempt holds an outbox row; send-email.ts LEASE_MS unless a test shortens it. */
  leaseMs?: number;
}

/** Facts about the current attempt that a processor may need. */
export interface JobContext {
  /** True on the last attempt BullMQ will make: a transient failure is then final. */
  finalAttempt: boolean;
}

/**
 * Thrown by a processor whose job must run again at `at` (ms since the epoch) — not a failure: the worker
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

let defaults: JobDeps | undefined;

/** The process's own dependencies, from the environment. */
export function defaultDeps(): JobDeps {
  defaults ??= {
    db: db(),
    databaseUrl: env().DATABASE_URL,
    mailer: createMailer({ smtpUrl: env().SMTP_URL, from: env().MAIL_FROM, outboxDir: env().OUTBOX_DIR }),
    now: () => new Date(),
  };
  return defaults;
}
