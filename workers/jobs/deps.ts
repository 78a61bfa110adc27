import type { Db } from "../../db/client";
import { createMailer, type Mailer } from "../../emails/transport";
import { db } from "../../app/utils/db.server";
import { env } from "../../app/utils/env.server";

/** What jobs need from the outside world; tests pass their own database and SMTP receiver. */
export interface JobDeps {
  db: Db;
  mailer: Mailer;
  now: () => Date;
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
