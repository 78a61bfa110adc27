/**
 * The entry of a job thread (node:worker_threads), started by workers/job-threads.ts: runs the processors of
 * long jobs (fraud detection, tallies) on its own database connection, so that their queries — synchronous
 * with better-sqlite3 — never hold the event loop of the process that answers requests. The main thread
 * keeps the BullMQ job (lock renewal, retries) and sends the payload (ids only); the thread computes, writes
 * and answers with the processor's result or error. Follow-up jobs are enqueued by the main thread.
 *
 * Compiled, this file must sit beside the bundle that contains workers/job-threads.ts, as job-thread.js.
 */
import { existsSync, unlinkSync } from "node:fs";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { sql } from "kysely";
import { createDb, dialectOf } from "../db/client";
import type { Mailer } from "../emails/transport";
import type { JobDeps, JobName, JobPayloads } from "../app/jobs/contract";
import { jobsFrom } from "../app/jobs/port.server";
import { processorFor } from "./processors";
import { THREAD_CRASH_ENV, type FromThread, type ThreadData, type ToThread } from "./job-threads";

if (!parentPort)
  throw new Error("workers/job-thread.ts runs only as a worker thread (see workers/job-threads.ts)");
const port: MessagePort = parentPort;
const { databaseUrl } = workerData as ThreadData;

// Two connections at most on PostgreSQL: a job runs one query (or one transaction) at a time.
const db = createDb(databaseUrl, { poolSize: 2 });
// SQLite: this thread may wait for the write lock (votes being committed) longer than the web process would:
// waiting blocks only this thread.
const ready =
  dialectOf(db) === "sqlite" ? sql`pragma busy_timeout = 5000`.execute(db).then(() => {}) : Promise.resolve();

/** Jobs in threads send no mail. */
const noMailer: Mailer = {
  kind: "files",
  send: () => Promise.reject(new Error("job threads send no email")),
  close: () => {},
};

let nextEnqueue = 1;
const enqueues = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

function send(message: FromThread): void {
  port.postMessage(message);
}

/** TEST-ONLY fault injection (see THREAD_CRASH_ENV): true once per marker file, never in production. */
function crashAsked(): boolean {
  const marker = process.env[THREAD_CRASH_ENV];
  if (!marker || process.env.NODE_ENV === "production" || !existsSync(marker)) return false;
  unlinkSync(marker);
  return true;
}

async function run(message: Extract<ToThread, { type: "run" }>): Promise<void> {
  // The main thread's clock (tests inject one), moving on at the pace of the real one.
  const offset = message.nowMs - message.sentAtMs;
  const deps: JobDeps = {
    db,
    mailer: noMailer,
    now: () => new Date(Date.now() + offset),
    // Follow-up jobs go through the main thread, which has the queues.
    jobs: jobsFrom(
      (name, data, jobId) =>
        new Promise<void>((resolve, reject) => {
          const id = nextEnqueue++;
          enqueues.set(id, { resolve, reject });
          send({ type: "enqueue", id, name, data, jobId });
        }),
    ),
  };
  try {
    await ready;
    if (crashAsked()) {
      // An uncaught exception ends the thread, as a bug in a native module or running out of memory would.
      setImmediate(() => {
        throw new Error("job thread crashed on purpose (test)");
      });
      await new Promise(() => {});
    }
    const name = message.name as JobName;
    const processor = processorFor(name) as (
      data: JobPayloads[JobName],
      deps: JobDeps,
      context: { finalAttempt: boolean },
    ) => Promise<unknown>;
    const result = await processor(message.data as JobPayloads[JobName], deps, {
      finalAttempt: message.finalAttempt,
    });
    send({ type: "done", id: message.id, result });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    send({
      type: "failed",
      id: message.id,
      error: { name: error.name, message: error.message, stack: error.stack },
    });
  }
}

port.on("message", (message: ToThread) => {
  if (message.type === "run") void run(message);
  else if (message.type === "enqueued") {
    const waiting = enqueues.get(message.id);
    enqueues.delete(message.id);
    if (message.error === undefined) waiting?.resolve();
    else waiting?.reject(new Error(message.error));
  } else if (message.type === "stop") {
    // Idle: close the connection properly, then let the thread end.
    void db.destroy().finally(() => port.close());
  }
});
