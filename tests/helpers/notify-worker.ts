/**
 * A BullMQ worker process for the "worker killed mid-batch" test: startWorkers() against the test's database,
 * Redis prefix and SMTP receiver, as `npm run worker` would run. Prints "ready" once started; the test kills it
 * with SIGKILL. Environment: DATABASE_URL, REDIS_URL, REDIS_PREFIX, SMTP_URL, SEND_EMAIL_CONCURRENCY.
 */
import { createDb } from "../../db/client";
import { createMailer } from "../../emails/transport";
import { startWorkers } from "../../workers/index";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const db = createDb(required("DATABASE_URL"));
  const mailer = createMailer({ smtpUrl: required("SMTP_URL") });
  const running = await startWorkers({
    redisUrl: required("REDIS_URL"),
    prefix: required("REDIS_PREFIX"),
    deps: { db, mailer, now: () => new Date() },
    concurrency: { "send-email": Number(process.env.SEND_EMAIL_CONCURRENCY ?? 1) },
  });
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => {
    void running.close().then(async () => {
      mailer.close();
      await db.destroy();
      process.exit(0);
    });
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
