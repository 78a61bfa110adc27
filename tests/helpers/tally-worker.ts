/**
 * A worker process for tests that kill it: `node --import tsx tests/helpers/tally-worker.ts` with
 * WORKER_DATABASE_URL (SQLite file or postgres:// URL), WORKER_REDIS_URL, WORKER_PREFIX, and optionally
 * WORKER_LOCK_MS / WORKER_STALLED_MS and WSIS_TEST_TALLY_PAUSE_MS. Prints "workers ready" once started.
 */
import { createDb } from "../../db/client";
import { createMailer } from "../../emails/transport";
import { startWorkers } from "../../workers/index";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const db = createDb(required("WORKER_DATABASE_URL"));
const workers = await startWorkers({
  redisUrl: required("WORKER_REDIS_URL"),
  prefix: required("WORKER_PREFIX"),
  // No job of these tests sends mail; the file mailer would write .eml files under var/outbox.
  deps: { db, mailer: createMailer({ smtpUrl: "" }), now: () => new Date() },
  lockDuration: Number(process.env.WORKER_LOCK_MS ?? 30_000),
  stalledInterval: Number(process.env.WORKER_STALLED_MS ?? 30_000),
});
process.stdout.write("workers ready\n");
process.once("SIGTERM", () => {
  void workers
    .close()
    .then(() => db.destroy())
    .then(() => process.exit(0));
});
