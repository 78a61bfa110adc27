import type { Db } from "../../db/client";
import { createMailer, type Mailer } from "../../emails/transport";
import { db } from "../../app/utils/db.server";
import { env } from "../../app/utils/env.server";
import type { Enqueue } from "../queues";

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
}

/** Facts about the current attempt that a processor may need. */
export interface JobContext {
  /** True on the last attempt BullMQ will make: a transient failure is then final. */
  finalAttempt: boolean;
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
