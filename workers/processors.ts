/** The job table: which domain function processes each job, and the process's own dependencies. */
import { detectFraud } from "../app/domain/fraud.server";
import { sendEmail, sweepOutbox } from "../app/domain/outbox-delivery.server";
import { liveTally, officialTally } from "../app/domain/tally-jobs.server";
import type { JobDeps, JobName, JobPayloads, Processor } from "../app/jobs/contract";
import { db } from "../app/utils/db.server";
import { env } from "../app/utils/env.server";
import { createMailer } from "../emails/transport";

/** One processor per job name. */
export const processors: { [N in JobName]: Processor<N> } = {
  "send-email": sendEmail,
  "sweep-outbox": (_data, deps) => sweepOutbox(deps),
  "live-tally": (_data, deps) => liveTally(deps),
  "official-tally": officialTally,
  "detect-fraud": (_data, deps) => detectFraud(deps),
};

/** The processor for `name`, typed for its payload. */
export function processorFor<N extends JobName>(name: N): Processor<N> {
  return processors[name];
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

/** Runs a job in this process (inline mode, development without Redis): one attempt, no retry. */
export async function runInline<N extends JobName>(name: N, data: JobPayloads[N]): Promise<void> {
  await processorFor(name)(data, defaultDeps(), { finalAttempt: false });
}
