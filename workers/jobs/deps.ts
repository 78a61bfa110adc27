import type { Db } from "../../db/client";
import { createMailer, type Mailer } from "../../emails/transport";
import { db } from "../../app/utils/db.server";
import { env } from "../../app/utils/env.server";
import type { Enqueue } from "../queues";

/** What jobs need from the outside world; tests pass their own database and SMTP receiver. */
export interface JobDeps {
  db: Db;
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
    mailer: createMailer({ smtpUrl: env().SMTP_URL, from: env().MAIL_FROM, outboxDir: env().OUTBOX_DIR }),
    now: () => new Date(),
  };
  return defaults;
}
