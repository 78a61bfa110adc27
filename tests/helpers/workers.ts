/**
 * Set-up for tests of the BullMQ workers (outbox, notifications, tally): a fresh database and a unique Redis
 * key prefix per test, in-process workers, and a worker child process that a test can kill.
 *
 * Run directly (`node --import tsx tests/helpers/workers.ts`, as startWorkerProcess() does) it is that child:
 * startWorkers() as `npm run worker` would run it, configured by DATABASE_URL, REDIS_URL, REDIS_PREFIX,
 * SMTP_URL (optional) and the WORKER_* variables below; it prints "workers ready" once started.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { resetEnvCache } from "../../app/utils/env.server";
import { createDb, type Dialect } from "../../db/client";
import { createMailer } from "../../emails/transport";
import { startWorkers, type StallOptions } from "../../workers/index";
import { closeQueues, createQueues, type JobQueues } from "../../workers/queues";
import { registerProcessJobs } from "../../workers/runner";
import { createTestDb, type TestDb } from "./db";

const READY = "workers ready";

/** Undo steps of a test, run in reverse order (also when its set-up failed half way). */
export class Cleanups {
  private steps: Array<() => Promise<void> | void> = [];

  push(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const step of steps) await step();
  }
}

export interface WorkerTest {
  redisUrl: string;
  /** Unique per test: queues, jobs and schedules never leak between tests or parallel runs. */
  prefix: string;
  t: TestDb;
  /** The test's own producer view of the workers' queues (same Redis, same prefix). */
  queues: JobQueues;
}

/**
 * A fresh `dialect` database, a unique Redis prefix that the process-wide producer (used by domain functions
 * such as dispatchOutbox) is pointed at through REDIS_URL/REDIS_PREFIX, and the test's queues. `cleanups`
 * closes them, deletes the prefix's keys and restores the environment.
 */
export async function setUpWorkerTest(dialect: Dialect, cleanups: Cleanups): Promise<WorkerTest> {
  const redisUrl = process.env.TEST_REDIS_URL ?? "";
  if (!redisUrl)
    throw new Error("TEST_REDIS_URL is not set: these tests need a real Redis (npm test sets it)");
  const prefix = `t${randomBytes(5).toString("hex")}`;
  const savedEnv = { ...process.env };
  process.env.REDIS_URL = redisUrl;
  process.env.REDIS_PREFIX = prefix;
  process.env.LOG_LEVEL = "error";
  resetEnvCache();
  cleanups.push(async () => {
    await closeQueues();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    process.env = savedEnv;
    resetEnvCache();
  });
  const t = await createTestDb(dialect);
  cleanups.push(() => t.cleanup());
  const queues = createQueues({ redisUrl, prefix });
  cleanups.push(() => queues.close());
  return { redisUrl, prefix, t, queues };
}

export interface WorkerProcess {
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Kills the process with SIGKILL; resolves with the signal that ended it once it has exited. */
  kill(): Promise<NodeJS.Signals | null>;
}

/**
 * Starts this file as a worker process on the test's database and prefix and waits until it is ready; killed
 * by `cleanups` if the test has not done it. Without `smtpUrl` its mailer writes files (for tests that send none).
 */
export async function startWorkerProcess(
  w: WorkerTest,
  cleanups: Cleanups,
  options: StallOptions & {
    smtpUrl?: string;
    sendEmailConcurrency?: number;
    /** The outbox lease (JobDeps.leaseMs) instead of LEASE_MS. */
    leaseMs?: number;
    env?: Record<string, string>;
  } = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/workers.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: w.t.url,
      REDIS_URL: w.redisUrl,
      REDIS_PREFIX: w.prefix,
      SMTP_URL: options.smtpUrl ?? "",
      WORKER_LOCK_MS: options.lockDuration?.toString() ?? "",
      WORKER_STALLED_MS: options.stalledInterval?.toString() ?? "",
      WORKER_SEND_EMAIL_CONCURRENCY: options.sendEmailConcurrency?.toString() ?? "",
      WORKER_LEASE_MS: options.leaseMs?.toString() ?? "",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  const output = () => chunks.join("");
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return exited;
  };
  cleanups.push(async () => {
    await kill();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the worker process did not start:\n${output()}`)),
      30_000,
    );
    const collect = (c: Buffer) => {
      chunks.push(c.toString());
      if (output().includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the worker process exited:\n${output()}`));
    });
  });
  return { output, kill };
}

/** An optional numeric setting of the worker process. */
function numberFrom(name: string): number | undefined {
  const value = process.env[name];
  return value ? Number(value) : undefined;
}

async function main(): Promise<void> {
  const required = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  registerProcessJobs(); // as workers/main.ts does
  const db = createDb(required("DATABASE_URL"));
  const mailer = createMailer({ smtpUrl: process.env.SMTP_URL ?? "" });
  const running = await startWorkers({
    redisUrl: required("REDIS_URL"),
    prefix: required("REDIS_PREFIX"),
    // Long jobs in threads on their own connection, as in `npm run worker`.
    deps: {
      db,
      databaseUrl: required("DATABASE_URL"),
      mailer,
      now: () => new Date(),
      leaseMs: numberFrom("WORKER_LEASE_MS"),
    },
    concurrency: { "send-email": numberFrom("WORKER_SEND_EMAIL_CONCURRENCY") },
    lockDuration: numberFrom("WORKER_LOCK_MS"),
    stalledInterval: numberFrom("WORKER_STALLED_MS"),
  });
  process.stdout.write(`${READY}\n`);
  process.once("SIGTERM", () => {
    void running.close().then(async () => {
      mailer.close();
      await db.destroy();
      process.exit(0);
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
