/**
 * Long jobs run in worker threads (node:worker_threads), reused from one run to the next: the fraud scan and
 * the tallies read up to millions of votes, and better-sqlite3 runs every query synchronously — a whole fraud
 * run, awaits included, never gives the event loop back — so in the web process (WORKERS_IN_PROCESS=true, the
 * default) they would hold every request for as long as they run. The BullMQ job stays in the main thread
 * (lock renewal, retries, stalled-job checks); the thread (workers/job-thread.ts) opens its own database
 * connection, runs the processor and answers with its result. A job that throws in its thread fails; a
 * thread that dies or runs a job longer than `timeoutMs` is stopped, its jobs fail (BullMQ retries them) and
 * the next job starts a new thread.
 */
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { UnrecoverableError } from "bullmq";
import { log } from "../app/utils/log.server";
import {
  PermanentJobError,
  type Enqueue,
  type JobContext,
  type JobDeps,
  type JobName,
  type JobPayloads,
  type Processor,
} from "../app/jobs/contract";

/**
 * The jobs that run in threads, and their thread. live-tally is short at steady state (the votes of the last
 * second), but its first run after the workers were down reads the whole backlog. The two tally jobs share a
 * thread (one connection for the tables they both write; the official tally finds its thread running); the
 * sweeper and email delivery wait on Redis and SMTP, not on the CPU, and stay in the main thread.
 */
export const THREAD_OF = {
  "live-tally": "tally",
  "official-tally": "tally",
  "detect-fraud": "fraud",
} as const satisfies Partial<Record<JobName, string>>;
export type ThreadedJob = keyof typeof THREAD_OF;
export type ThreadName = (typeof THREAD_OF)[ThreadedJob];

/** How long a job may run in its thread before the thread is stopped and the job fails (then retried). */
export const THREAD_TIMEOUT_MS = 10 * 60_000;

/**
 * TEST-ONLY fault injection: when WSIS_TEST_THREAD_CRASH names a file that exists (ignored when NODE_ENV is
 * production), the next job a thread starts deletes it and crashes the thread with an uncaught exception.
 */
export const THREAD_CRASH_ENV = "WSIS_TEST_THREAD_CRASH";

/** What a thread is started with. */
export interface ThreadData {
  databaseUrl: string;
}

/** Main thread → job thread. */
export type ToThread =
  | {
      type: "run";
      id: number;
      name: ThreadedJob;
      data: unknown;
      /** The main thread's clock (deps.now()) when the message was sent, and the real time then. */
      nowMs: number;
      sentAtMs: number;
      finalAttempt: boolean;
    }
  | { type: "enqueued"; id: number; error?: string }
  | { type: "stop" };

/** Job thread → main thread. */
export type FromThread =
  | { type: "done"; id: number; result: unknown }
  | { type: "failed"; id: number; error: { name: string; message: string; stack?: string } }
  | { type: "enqueue"; id: number; name: JobName; data: JobPayloads[JobName]; jobId: string };

/**
 * The thread's entry file beside this one: compiled, job-thread.js beside the bundle; under tsx (development,
 * tests), job-thread-tsx.mjs, which registers tsx in the thread and loads job-thread.ts.
 */
export function threadEntry(): URL {
  return new URL(
    import.meta.url.endsWith(".ts") ? "./job-thread-tsx.mjs" : "./job-thread.js",
    import.meta.url,
  );
}

/** A thread's error, as an Error of the main thread (a permanent failure stays unrecoverable for BullMQ). */
function rebuild(error: { name: string; message: string; stack?: string }): Error {
  const rebuilt =
    error.name === "UnrecoverableError"
      ? new UnrecoverableError(error.message)
      : error.name === "PermanentJobError"
        ? new PermanentJobError(error.message)
        : new Error(error.message);
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A thread, started on its first job and reused; replaced after a crash or a timeout. */
class JobThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly name: ThreadName,
    private readonly options: { databaseUrl: string; enqueue: Enqueue; timeoutMs: number },
  ) {}

  /** The running thread, if any. */
  get current(): Worker | undefined {
    return this.worker;
  }

  private start(): Worker {
    const entry = threadEntry();
    const data: ThreadData = { databaseUrl: this.options.databaseUrl };
    // The environment as this process sees it now (tests change process.env; Node would copy the original).
    const worker = new Worker(entry, { workerData: data, env: { ...process.env } });
    // The BullMQ worker keeps the process alive while jobs run; an idle thread must not.
    worker.unref();
    worker.on("message", (message: FromThread) => this.receive(worker, message));
    worker.on("error", (e) => this.lost(worker, `crashed: ${e.message}`));
    worker.on("exit", (code) => this.lost(worker, `exited with code ${code}`));
    log.debug(`job thread ${this.name} started`, { entry: fileURLToPath(entry) });
    return worker;
  }

  private receive(worker: Worker, message: FromThread): void {
    if (message.type === "enqueue") {
      this.options.enqueue(message.name, message.data, message.jobId).then(
        () => worker.postMessage({ type: "enqueued", id: message.id } satisfies ToThread),
        (e: unknown) =>
          worker.postMessage({ type: "enqueued", id: message.id, error: String(e) } satisfies ToThread),
      );
      return;
    }
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.type === "done") waiting.resolve(message.result);
    else waiting.reject(rebuild(message.error));
  }

  /** The thread ended or crashed: its jobs fail (BullMQ retries them) and the next job starts a new one. */
  private lost(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    void worker.terminate();
    log.warn(`job thread ${this.name} ${why}`, { jobs: this.pending.size });
    this.failAll(new Error(`the ${this.name} thread ${why}`));
  }

  private failAll(error: Error): void {
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
  }

  run(job: ThreadedJob, data: unknown, deps: JobDeps, context: JobContext): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`the ${this.name} thread is closed`));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${job} took longer than ${this.options.timeoutMs} ms; its thread was stopped`));
        // Stopping the thread ends the job's queries; another job running in the thread fails too (retried).
        this.lost(worker, `was stopped: ${job} took longer than ${this.options.timeoutMs} ms`);
      }, this.options.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const message: ToThread = {
        type: "run",
        id,
        name: job,
        data,
        nowMs: deps.now().getTime(),
        sentAtMs: Date.now(),
        finalAttempt: context.finalAttempt,
      };
      worker.postMessage(message);
    });
  }

  /** Ends the thread: an idle one closes its connection first (up to a second), a busy one is stopped. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    const busy = this.pending.size > 0;
    this.failAll(new Error(`the ${this.name} thread was closed`));
    if (!worker) return;
    if (busy) {
      await worker.terminate();
      return;
    }
    const ended = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage({ type: "stop" } satisfies ToThread);
    const timer = setTimeout(() => void worker.terminate(), 1000);
    await ended;
    clearTimeout(timer);
  }
}

/** The job threads of one startWorkers(): a processor per threaded job kind, and close(). */
export interface JobThreads {
  /** The processor that runs job `name` in its thread, or undefined when `name` runs in the main thread. */
  processorFor<N extends JobName>(name: N): Processor<N> | undefined;
  /** The thread of `name` running now, if any (tests: its threadId becomes -1 once it has ended). */
  worker(name: ThreadedJob): Worker | undefined;
  close(): Promise<void>;
}

/**
 * Job threads on the database at `databaseUrl`. An in-memory SQLite database cannot be opened twice: its jobs
 * stay in the main thread (as when `databaseUrl` is unknown).
 */
export function createJobThreads(options: {
  databaseUrl: string;
  enqueue: Enqueue;
  timeoutMs?: number;
}): JobThreads {
  const shareable = options.databaseUrl !== ":memory:" && options.databaseUrl !== "";
  const threads = new Map<ThreadName, JobThread>();
  for (const name of new Set(Object.values(THREAD_OF)))
    threads.set(
      name,
      new JobThread(name, {
        databaseUrl: options.databaseUrl,
        enqueue: options.enqueue,
        timeoutMs: options.timeoutMs ?? THREAD_TIMEOUT_MS,
      }),
    );
  const threadOf = (name: JobName): JobThread | undefined =>
    name in THREAD_OF ? threads.get(THREAD_OF[name as ThreadedJob]) : undefined;
  return {
    processorFor<N extends JobName>(name: N): Processor<N> | undefined {
      const thread = shareable ? threadOf(name) : undefined;
      if (!thread) return undefined;
      return (data, deps, context) => thread.run(name as ThreadedJob, data, deps, context);
    },
    worker: (name) => threadOf(name)?.current,
    async close() {
      await Promise.all([...threads.values()].map((t) => t.close()));
    },
  };
}
