/**
 * Mail side of the chaos runs: a slow SMTP relay, worker processes started as `npm run worker` starts them,
 * and award emails queued as publishResults() queues them (outbox rows, then dispatchOutbox after commit).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { Queue } from "bullmq";
import { SMTPServer } from "smtp-server";
import { dispatchOutbox, queueEmail } from "../../app/domain/outbox.server";
import { resetEnvCache } from "../../app/utils/env.server";
import type { Db } from "../../db/client";
import { instanceId } from "../../db/instance";
import { syntheticAward } from "../helpers/award-email";
import { emailJobId } from "../../app/jobs/contract";
import { closeQueues } from "../../workers/queues";
import { registerProcessJobs } from "../../workers/runner";

export interface Received {
  messageId: string;
  /** Date.now() when the relay accepted it (its 250 reply). */
  at: number;
}

export interface SlowRelay {
  url: string;
  received: Received[];
  /** Messages whose sender went away before the relay answered: not accepted, so not delivered. */
  aborted: number;
  stop(): Promise<void>;
}

/**
 * An SMTP relay that takes `delayMs` to accept each message (a relay checking content, or far away). It accepts
 * a message — and counts it as delivered — only when it gives the 250 reply; a sender that disconnects during
 * the delay (a killed worker) has delivered nothing, as with a real relay that has not yet queued the message.
 * So a duplicate here is a real one: the relay answered 250 and the sender sent the same message again.
 */
export async function startSlowRelay(delayMs: number): Promise<SlowRelay> {
  const received: Received[] = [];
  // Senders' connections that have ended, by remote port: told by the sockets themselves, so as soon as the
  // event loop reads the FIN (smtp-server's onClose comes a turn later).
  const gone = new Set<number>();
  let aborted = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        // After the delay, one more turn of the event loop: should this process have been busy meanwhile,
        // the timer fires before the loop reads a closed connection, and the relay must not accept a message
        // from a sender that is gone.
        setTimeout(
          () =>
            setImmediate(() => {
              if (gone.has(session.remotePort)) {
                aborted++;
                return callback(new Error("sender went away"));
              }
              const raw = Buffer.concat(chunks).toString("utf8");
              const head = raw.slice(0, raw.search(/\r?\n\r?\n/) >>> 0);
              const id = /^message-id:\s*(\S+)/im.exec(head)?.[1] ?? "(none)";
              received.push({ messageId: id, at: Date.now() });
              callback();
            }),
          delayMs,
        );
      });
    },
  });
  server.server.on("connection", (socket: Socket) => {
    const port = socket.remotePort ?? 0;
    gone.delete(port); // a port reused by a new connection
    const mark = () => gone.add(port);
    socket.once("end", mark);
    socket.once("close", mark);
  });
  server.on("error", () => {}); // a killed sender resets its connections
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    get aborted() {
      return aborted;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface WorkerProc {
  pid: number;
  logs: string[];
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM; resolves with the milliseconds it took to exit (SIGKILL after `boundMs`). */
  stop(boundMs?: number): Promise<number>;
}

/** What `npm run worker` runs: the bundled worker (npm run build), or the source in builds that predate it. */
function workerCommand(): string[] {
  if (existsSync("build/server/worker.js")) return ["build/server/worker.js"];
  return ["--import", "tsx", "workers/index.ts"];
}

/** Starts a worker process (`npm run worker`) on this database, Redis and prefix; resolves once it is ready. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProc> {
  const child: ChildProcess = spawn(process.execPath, workerCommand(), {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${logs.join("")}`)), 60_000);
    child.stdout?.on("data", (c: Buffer) => {
      logs.push(c.toString());
      if (/workers started/.test(c.toString())) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on("data", (c: Buffer) => logs.push(c.toString()));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker exited:\n${logs.join("")}`));
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid ?? 0,
    logs,
    async kill() {
      if (!gone()) child.kill("SIGKILL");
      await exited;
    },
    async stop(boundMs = 60_000) {
      const start = Date.now();
      if (gone()) return 0;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), boundMs);
      await exited;
      clearTimeout(timer);
      return Date.now() - start;
    },
  };
}

/** `count` award emails written to the outbox in one transaction, as publishResults() writes them. */
export async function queueAwardEmails(db: Db, count: number, tag: string): Promise<number[]> {
  const now = new Date();
  return db.transaction().execute(async (trx) => {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const { kind, content } = syntheticAward(i);
      const id = await queueEmail(trx, {
        key: `award:${kind}:${tag}:${i}`,
        kind: `award_${kind}`,
        to: `contact${i}@chaos.example`,
        content,
        now,
      });
      if (id !== null) ids.push(id);
    }
    return ids;
  });
}

/**
 * Enqueues delivery jobs for these rows of `db` as a web process does after its commit (dispatchOutbox), on the
 * given Redis and prefix. dispatchOutbox waits a moment and leaves the remaining adds to the background, as a
 * request must; a web process lives on, so this waits until every job is in Redis (at most 30 s) before
 * closing the producer.
 */
export async function dispatch(
  ids: number[],
  db: Db,
  where: { redisUrl: string; prefix: string },
): Promise<void> {
  const saved = { ...process.env };
  process.env.REDIS_URL = where.redisUrl;
  process.env.REDIS_PREFIX = where.prefix;
  resetEnvCache();
  registerProcessJobs(); // as a web process does at start-up
  const queue = new Queue("send-email", { connection: { url: where.redisUrl }, prefix: where.prefix });
  try {
    await dispatchOutbox(ids, db);
    const instance = await instanceId(db);
    const end = Date.now() + 30_000;
    for (const id of ids) {
      while (!(await queue.getJob(emailJobId(instance, id))) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await queue.close();
    await closeQueues();
    process.env = saved;
    resetEnvCache();
  }
}
