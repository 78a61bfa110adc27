import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type SQLite from "better-sqlite3";
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from "kysely";

/**
 * SQLite's own busy handler sleeps inside the event loop (better-sqlite3 is synchronous): keep it to a few
 * milliseconds, enough for another process's commit, and do any longer waiting on timers (below).
 */
export const BUSY_TIMEOUT_MS = 5;
/** How long a statement or a transaction's BEGIN waits in all for a lock held by another process. */
export const DEFAULT_BUSY_WAIT_MS = 2_000;
/** journal_size_limit: the WAL file is cut back to this size whenever it is reset. */
export const DEFAULT_WAL_LIMIT_BYTES = 64 * 1024 * 1024;
/** maintain() checkpoints (TRUNCATE) once the WAL file is this large (autocheckpoints keep it near 4 MB). */
const DEFAULT_CHECKPOINT_ABOVE_BYTES = 16 * 1024 * 1024;
/**
 * The thread copies in PASSIVE rounds until one finds at most this many new frames (SQLite's automatic
 * checkpoint size, 1,000 pages); then a TRUNCATE copies the rest while it holds the write lock.
 */
const HAND_OVER_FRAMES = 1_000;
const CATCH_UP_ROUNDS = 20;
/** A checkpoint in the thread that takes longer than this counts as a failed thread. */
const CHECKPOINT_TIMEOUT_MS = 60_000;
/** A transaction of ours open longer than this is logged (once): it holds the write lock and the WAL. */
const DEFAULT_LONG_TRANSACTION_MS = 5_000;
/** How often the process-wide database (getDb) runs maintain(). */
export const MAINTENANCE_INTERVAL_MS = 1_000;
/** Retry delays on timers: 10 ms doubling to 100 ms, with jitter. */
const FIRST_RETRY_MS = 10;
const MAX_RETRY_MS = 100;
/** /healthz says "busy" while a write met the lock in the last few seconds. */
const BUSY_REPORT_MS = 5_000;

export const DATABASE_BUSY = "WSIS_DATABASE_BUSY";

/**
 * Thrown when another process held the SQLite write lock longer than the bounded wait. Nothing was written
 * by the statement or transaction that failed: answer 503 with Retry-After. Recognise it with
 * isDatabaseBusy(): the Remix build and the server entry each have their own copy of this class.
 */
export class DatabaseBusyError extends Error {
  readonly code = DATABASE_BUSY;
  readonly retryAfterSeconds: number;
  constructor(readonly waitedMs: number) {
    super(`database busy: the write lock was not free after ${Math.round(waitedMs)} ms`);
    this.name = "DatabaseBusyError";
    this.retryAfterSeconds = Math.max(1, Math.ceil(waitedMs / 1000));
  }
}

/** True for a DatabaseBusyError (from any copy of this module). */
export function isDatabaseBusy(error: unknown): error is DatabaseBusyError {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === DATABASE_BUSY;
}

function isSqliteBusy(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

export interface DbLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface SqliteOptions {
  /** Total wait for a lock held by another process before DatabaseBusyError (default 2,000 ms). */
  busyWaitMs?: number;
  walLimitBytes?: number;
  checkpointAboveBytes?: number;
  longTransactionMs?: number;
  /** Run maintain() on a timer every this many ms (0: never; tests call maintain() themselves). */
  maintenanceIntervalMs?: number;
  /**
   * Copy a grown WAL into the database from a worker thread with its own connection, so that the catch-up
   * after a long reader (seconds of copying) does not hold the event loop (see maintain()). Default false;
   * the process-wide database of getDb turns it on.
   */
  checkpointInThread?: boolean;
  log?: DbLog;
  /** The clock for the long-transaction check (tests inject one). */
  now?: () => number;
}

export interface MaintenanceResult {
  /** WAL file size before and after; `checkpoint` is null when none was needed. */
  walBytesBefore: number;
  walBytesAfter: number;
  /** done: copied and emptied; blocked: a reader keeps an old snapshot; busy: try again next round. */
  checkpoint: "done" | "blocked" | "busy" | null;
}

/** What the app asks of a SQLite database beyond queries. */
export interface SqliteControl {
  /** Since when (epoch ms) writes have been meeting another process's lock, or null. */
  busySince(): number | null;
  /** One round of WAL upkeep: logs a long transaction of ours; checkpoints (TRUNCATE) a large WAL. */
  maintain(): Promise<MaintenanceResult>;
  walBytes(): number;
}

const quiet: DbLog = { info: () => {}, warn: () => {} };

/** A FIFO lock over the one connection (Kysely's own SqliteDriver has the same, without the order). */
class Mutex {
  #locked = false;
  #waiters: Array<() => void> = [];
  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}

type Turn = "probe" | "open" | "timeout";
interface Waiter {
  resolve: (turn: Turn) => void;
  timer: NodeJS.Timeout;
}

/**
 * Writes waiting for another process's lock. While one write is waiting, later writes queue behind it rather
 * than each trying (each try costs up to BUSY_TIMEOUT_MS of the event loop): one waiter at a time probes,
 * on a timer with backoff; when a write gets through, every waiter is let go (they run one by one through
 * the connection's mutex). Each waiter gives up at its own deadline.
 */
class WriteGate {
  /** performance.now() when writes started failing, or null. */
  since: number | null = null;
  lastBusyAt = 0;
  refused = 0;
  #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | null = null;
  #probing = false;
  #delay = FIRST_RETRY_MS;

  get blocked(): boolean {
    return this.since !== null;
  }

  /** True when a new write should queue rather than try: someone is already waiting on the lock. */
  shouldWait(): boolean {
    return this.since !== null && (this.#queue.length > 0 || this.#probing || this.#timer !== null);
  }

  /** A write met the lock; true when this starts a new busy episode. */
  block(): boolean {
    this.lastBusyAt = performance.now();
    if (this.since !== null) return false;
    this.since = this.lastBusyAt;
    this.#delay = FIRST_RETRY_MS;
    this.refused = 0;
    return true;
  }

  wait(deadline: number, front: boolean): Promise<Turn> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(
          () => {
            const at = this.#queue.indexOf(waiter);
            if (at >= 0) this.#queue.splice(at, 1);
            resolve("timeout");
          },
          Math.max(0, deadline - performance.now()),
        ),
      };
      if (front) this.#queue.unshift(waiter);
      else this.#queue.push(waiter);
      this.#schedule();
    });
  }

  /** A write got through (or failed for another reason than the lock): the lock is free. */
  open(): number | null {
    const since = this.since;
    this.since = null;
    this.#probing = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const waiter of this.#queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve("open");
    }
    return since === null ? null : performance.now() - since;
  }

  /** The probe met the lock again (it queues again at the front). */
  probed(): void {
    this.#probing = false;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#probing || this.#queue.length === 0) return;
    if (this.since === null) {
      this.open();
      return;
    }
    const delay = this.#delay * (0.75 + Math.random() / 2);
    this.#delay = Math.min(this.#delay * 2, MAX_RETRY_MS);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const head = this.#queue.shift();
      if (!head) return;
      clearTimeout(head.timer);
      this.#probing = true;
      head.resolve("probe");
    }, delay);
  }
}

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

/** A thread failure (not one round's SQLite error): checkpoints go back to the main connection. */
class ThreadFailure extends Error {}

/**
 * A worker thread with its own connection to the database file, running checkpoints on request (see
 * BusyAwareSqliteDriver.maintain). Its busy timeout is the main connection's: a TRUNCATE that meets a
 * reader gives up within milliseconds rather than holding up writers.
 */
class CheckpointThread {
  static readonly SOURCE = `
    const { parentPort, workerData } = require("node:worker_threads");
    const Database = require(workerData.module);
    const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
    parentPort.on("message", ({ id, mode }) => {
      try {
        parentPort.postMessage({ id, row: db.pragma("wal_checkpoint(" + mode + ")")[0] });
      } catch (error) {
        parentPort.postMessage({ id, code: String((error && error.code) || error) });
      }
    });
  `;
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { resolve: (row: CheckpointRow) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  #next = 0;
  #failure: Error | null = null;

  constructor(file: string) {
    this.#worker = new Worker(CheckpointThread.SOURCE, {
      eval: true,
      workerData: {
        file,
        busyTimeoutMs: BUSY_TIMEOUT_MS,
        module: createRequire(import.meta.url).resolve("better-sqlite3"),
      },
    });
    this.#worker.unref();
    this.#worker.on("message", (m: { id: number; row?: CheckpointRow; code?: string }) => {
      const pending = this.#pending.get(m.id);
      if (!pending) return;
      this.#pending.delete(m.id);
      clearTimeout(pending.timer);
      if (m.row) pending.resolve(m.row);
      else if (m.code?.startsWith("SQLITE_BUSY")) pending.resolve({ busy: 1, log: -1, checkpointed: -1 });
      else pending.reject(new Error(`WAL checkpoint failed: ${m.code}`));
    });
    this.#worker.on("error", (e) => this.#fail(new ThreadFailure(`checkpoint thread: ${e.message}`)));
    this.#worker.on("exit", (code) => this.#fail(new ThreadFailure(`checkpoint thread exited with ${code}`)));
  }

  run(mode: "PASSIVE" | "TRUNCATE"): Promise<CheckpointRow> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const id = ++this.#next;
      const timer = setTimeout(() => {
        this.#fail(new ThreadFailure(`checkpoint took longer than ${CHECKPOINT_TIMEOUT_MS} ms`));
        void this.#worker.terminate();
      }, CHECKPOINT_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      this.#worker.postMessage({ id, mode });
    });
  }

  async close(): Promise<void> {
    this.#fail(new ThreadFailure("checkpoint thread closed"));
    await this.#worker.terminate();
  }

  #fail(failure: Error): void {
    this.#failure ??= failure;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(failure);
    }
    this.#pending.clear();
  }
}

function runStatement(statement: SQLite.Statement, parameters: readonly unknown[]): QueryResult<never> {
  if (statement.reader) return { rows: statement.all(parameters) as never[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Kysely's SQLite driver for better-sqlite3, with lock waits that keep the event loop free: SQLITE_BUSY is
 * retried on timers with backoff (the connection is released meanwhile, so reads and other work go on), up
 * to a bounded total wait, then DatabaseBusyError. Transactions begin with BEGIN IMMEDIATE, so a transaction
 * that waits for the lock waits at its start, as a whole, before doing anything, and never meets the lock
 * half-way (a "read only" transaction begins deferred). Statements are prepared once per SQL text: on the
 * hot paths (votes, sessions) preparing costs as much as running.
 */
export class BusyAwareSqliteDriver implements Driver, SqliteControl {
  readonly #sqlite: SQLite.Database;
  readonly #walFile: string | null;
  readonly #mutex = new Mutex();
  readonly #gate = new WriteGate();
  readonly #cache = new Map<string, SQLite.Statement>();
  readonly #connection: DatabaseConnection;
  readonly #busyWaitMs: number;
  readonly #walLimitBytes: number;
  readonly #checkpointAboveBytes: number;
  readonly #longTransactionMs: number;
  readonly #intervalMs: number;
  readonly #log: DbLog;
  readonly #now: () => number;
  #transaction: { startedAt: number; logged: boolean } | null = null;
  #checkpointBlocked: { since: number; logged: boolean } | null = null;
  #maintaining = false;
  #timer: NodeJS.Timeout | undefined;
  #thread: CheckpointThread | null = null;
  /** Our thread's TRUNCATE holds the write lock: our writes wait for it, and that is no news. */
  #ownCheckpoint = false;
  #episodeLogged = false;
  /** The thread is catching up with a grown WAL (see #catchUp). */
  #behind = false;
  #closed = false;
  readonly #threadWanted: boolean;

  constructor(sqlite: SQLite.Database, file: string | null, options: SqliteOptions = {}) {
    this.#sqlite = sqlite;
    this.#walFile = file ? `${file}-wal` : null;
    this.#busyWaitMs = options.busyWaitMs ?? DEFAULT_BUSY_WAIT_MS;
    this.#walLimitBytes = options.walLimitBytes ?? DEFAULT_WAL_LIMIT_BYTES;
    this.#checkpointAboveBytes = options.checkpointAboveBytes ?? DEFAULT_CHECKPOINT_ABOVE_BYTES;
    this.#longTransactionMs = options.longTransactionMs ?? DEFAULT_LONG_TRANSACTION_MS;
    this.#intervalMs = options.maintenanceIntervalMs ?? 0;
    this.#log = options.log ?? quiet;
    this.#now = options.now ?? Date.now;
    this.#threadWanted = Boolean(options.checkpointInThread && file);
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    sqlite.pragma(`journal_size_limit = ${this.#walLimitBytes}`);
    this.#connection = {
      executeQuery: (compiled) => this.#execute(compiled),
      streamQuery: (compiled) => this.#stream(compiled),
    };
  }

  async init(): Promise<void> {
    if (this.#threadWanted && !this.#thread) {
      this.#thread = new CheckpointThread(this.#walFile!.slice(0, -"-wal".length));
    }
    if (this.#intervalMs > 0 && this.#walFile && !this.#timer) {
      this.#timer = setInterval(() => {
        this.maintain().catch((e: unknown) => this.#log.warn(`WAL maintenance failed: ${String(e)}`));
      }, this.#intervalMs);
      this.#timer.unref();
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async beginTransaction(_connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.#execute(CompiledQuery.raw(settings.accessMode === "read only" ? "begin" : "begin immediate"));
    this.#transaction = { startedAt: this.#now(), logged: false };
  }

  async commitTransaction(): Promise<void> {
    await this.#execute(CompiledQuery.raw("commit"));
    this.#endTransaction();
  }

  async rollbackTransaction(): Promise<void> {
    try {
      await this.#execute(CompiledQuery.raw("rollback"));
    } finally {
      this.#endTransaction();
    }
  }

  async savepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    await this.#execute(CompiledQuery.raw(`savepoint "${name.replaceAll('"', '""')}"`));
  }

  async rollbackToSavepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    await this.#execute(CompiledQuery.raw(`rollback to "${name.replaceAll('"', '""')}"`));
  }

  async releaseSavepoint(_connection: DatabaseConnection, name: string): Promise<void> {
    await this.#execute(CompiledQuery.raw(`release "${name.replaceAll('"', '""')}"`));
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#thread?.close();
    this.#thread = null;
    this.#sqlite.close();
  }

  busySince(): number | null {
    const since = this.#gate.since;
    if (since === null || performance.now() - this.#gate.lastBusyAt > BUSY_REPORT_MS) return null;
    return Date.now() - (performance.now() - since);
  }

  walBytes(): number {
    return this.#walFile ? fileSize(this.#walFile) : 0;
  }

  async maintain(): Promise<MaintenanceResult> {
    const now = this.#now();
    const open = this.#transaction;
    if (open && !open.logged && now - open.startedAt >= this.#longTransactionMs) {
      open.logged = true;
      this.#log.warn("a database transaction has been open for a long time", {
        openMs: now - open.startedAt,
        why: "it holds the write lock, and the WAL cannot be checkpointed past it",
      });
    }
    const walBytesBefore = this.walBytes();
    const result: MaintenanceResult = { walBytesBefore, walBytesAfter: walBytesBefore, checkpoint: null };
    // Nothing to do while the WAL is small, while our writes wait for another process's lock, or while a
    // transaction of ours is open (the checkpoint could not pass it).
    if (this.#closed || this.#maintaining || this.#gate.shouldWait() || this.#transaction) return result;
    if (walBytesBefore < this.#checkpointAboveBytes && this.#checkpointBlocked === null && !this.#behind)
      return result;
    this.#maintaining = true;
    try {
      result.checkpoint = await this.#catchUp();
    } finally {
      this.#maintaining = false;
    }
    result.walBytesAfter = this.walBytes();
    if (result.checkpoint === "blocked") {
      const state = (this.#checkpointBlocked ??= { since: now, logged: false });
      // A short read holds up a round or two; a long reader holds up round after round.
      const blockedMs = this.#now() - state.since;
      if (
        !state.logged &&
        (blockedMs >= this.#longTransactionMs || result.walBytesAfter > this.#walLimitBytes)
      ) {
        state.logged = true;
        this.#log.warn(
          "WAL checkpoint blocked: a reader (here or in another process) keeps an old snapshot",
          {
            walBytes: result.walBytesAfter,
            blockedMs,
          },
        );
      }
    } else if (result.checkpoint === "done") {
      const state = this.#checkpointBlocked;
      this.#checkpointBlocked = null;
      if (state?.logged)
        this.#log.info("WAL checkpoint completed", {
          blockedMs: this.#now() - state.since,
          walBytesBefore,
          walBytes: result.walBytesAfter,
        });
    }
    return result;
  }

  /**
   * The WAL has grown (a long reader, a burst): copy it into the database, then empty the file.
   *
   * With the thread, all of it happens there. Copying a grown WAL takes seconds, and cutting a large file
   * hundreds of milliseconds; SQLite would do both in the event loop (the automatic checkpoint after the
   * next commit, and the cut to journal_size_limit when the WAL starts over), so both are off on the main
   * connection until the thread is done ("catch-up"). The thread copies in PASSIVE rounds, which wait for
   * nobody and hold up no writer, until a round finds little new; then a TRUNCATE copies the rest and
   * empties the file, holding the write lock for that time only (our writes wait on timers meanwhile).
   *
   * Without the thread, a TRUNCATE here does it all.
   */
  async #catchUp(): Promise<"done" | "blocked" | "busy"> {
    if (this.#thread) {
      this.#catchingUp(true);
      let copied = 0;
      for (let round = 0; ; round++) {
        const row = await this.#inThread("PASSIVE");
        if (!row) break; // the thread failed: below, in the event loop
        if (row.busy !== 0 || row.checkpointed < row.log) return "blocked";
        const fresh = row.log - copied;
        copied = row.log;
        if (fresh < 0 || fresh <= HAND_OVER_FRAMES) {
          this.#ownCheckpoint = true;
          const last = await this.#inThread("TRUNCATE").finally(() => (this.#ownCheckpoint = false));
          if (!last) break;
          if (last.checkpointed < last.log) return "blocked";
          if (last.busy !== 0) return "busy"; // readers still on the WAL: next round
          this.#catchingUp(false);
          return "done";
        }
        if (round === CATCH_UP_ROUNDS) return "busy";
      }
    }
    if (this.#closed) return "busy";
    await this.#mutex.lock();
    let row: CheckpointRow;
    try {
      // Waits BUSY_TIMEOUT_MS at most for a writer (another process) and for readers still on the WAL.
      [row] = this.#sqlite.pragma("wal_checkpoint(TRUNCATE)") as CheckpointRow[];
    } catch (error) {
      if (!isSqliteBusy(error)) throw error;
      return "busy";
    } finally {
      this.#mutex.unlock();
    }
    if (row.checkpointed < row.log) return "blocked";
    return row.busy ? "busy" : "done";
  }

  /** Automatic checkpoints and the WAL size limit on the main connection: off while the thread catches up. */
  #catchingUp(on: boolean): void {
    if (this.#behind === on) return;
    this.#behind = on;
    this.#sqlite.pragma(`wal_autocheckpoint = ${on ? 0 : 1000}`);
    this.#sqlite.pragma(`journal_size_limit = ${on ? -1 : this.#walLimitBytes}`);
  }

  /** A checkpoint in the thread; null if the thread failed (checkpoints go back to the main connection). */
  async #inThread(mode: "PASSIVE" | "TRUNCATE"): Promise<CheckpointRow | null> {
    try {
      return await this.#thread!.run(mode);
    } catch (error) {
      if (!(error instanceof ThreadFailure)) throw error;
      if (this.#closed) return null;
      this.#log.warn("the WAL checkpoint thread failed: checkpoints run in the event loop from now on", {
        error: error.message,
      });
      const thread = this.#thread;
      this.#thread = null;
      void thread?.close();
      this.#catchingUp(false);
      return null;
    }
  }

  #endTransaction(): void {
    const open = this.#transaction;
    this.#transaction = null;
    if (!open || open.logged) return;
    const openMs = this.#now() - open.startedAt;
    if (openMs >= this.#longTransactionMs)
      this.#log.warn("a database transaction was open for a long time", {
        openMs,
        why: "it held the write lock, and the WAL could not be checkpointed past it",
      });
  }

  #prepare(sqlText: string): SQLite.Statement {
    let statement = this.#cache.get(sqlText);
    if (!statement) {
      // Queries with variable IN lists make many texts: start over rather than grow without bound.
      if (this.#cache.size >= 500) this.#cache.clear();
      statement = this.#sqlite.prepare(sqlText);
      this.#cache.set(sqlText, statement);
    }
    return statement;
  }

  #isWrite(sqlText: string): boolean {
    try {
      return !this.#prepare(sqlText).readonly;
    } catch {
      return false;
    }
  }

  #execute<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const inTransaction = this.#sqlite.inTransaction;
    if (!inTransaction && this.#gate.shouldWait() && this.#isWrite(compiled.sql))
      return this.#retry(compiled, true);
    try {
      const result = runStatement(this.#prepare(compiled.sql), compiled.parameters);
      if (this.#gate.blocked && !inTransaction && this.#isWrite(compiled.sql)) this.#opened();
      return Promise.resolve(result);
    } catch (error) {
      if (!isSqliteBusy(error)) return Promise.reject(error);
      // Inside an open transaction the lock cannot be waited for statement by statement: the transaction
      // fails as a whole (BEGIN IMMEDIATE makes this rare: the lock is taken before the first statement).
      if (inTransaction) return Promise.reject(new DatabaseBusyError(0));
      return this.#retry(compiled, false);
    }
  }

  /**
   * Waits on timers and tries again until `busyWaitMs` has passed. The connection is released while waiting
   * (nothing of ours is open on it: no transaction) and taken back before each try and before returning.
   */
  async #retry<R>(compiled: CompiledQuery, queued: boolean): Promise<QueryResult<R>> {
    const started = performance.now();
    const deadline = started + this.#busyWaitMs;
    const write = this.#isWrite(compiled.sql);
    if (write && !queued) this.#blocked();
    let delay = FIRST_RETRY_MS;
    let front = false;
    for (;;) {
      this.#mutex.unlock();
      let turn: Turn;
      try {
        if (write) turn = await this.#gate.wait(deadline, front);
        else {
          const wait = Math.min(delay, deadline - performance.now());
          turn = wait > 0 ? await new Promise<Turn>((r) => setTimeout(() => r("probe"), wait)) : "timeout";
          delay = Math.min(delay * 2, MAX_RETRY_MS);
        }
      } finally {
        await this.#mutex.lock();
      }
      if (turn === "timeout") {
        if (write) this.#gate.refused += 1;
        throw new DatabaseBusyError(performance.now() - started);
      }
      // Let go because another write got through, but the lock was taken again meanwhile: queue again.
      if (turn === "open" && this.#gate.shouldWait()) {
        front = true;
        continue;
      }
      try {
        const result = runStatement(this.#prepare(compiled.sql), compiled.parameters);
        if (write) this.#opened();
        return result as QueryResult<R>;
      } catch (error) {
        if (!isSqliteBusy(error)) {
          if (write) this.#opened();
          throw error;
        }
        if (write) {
          this.#blocked();
          if (turn === "probe") this.#gate.probed();
        }
        front = true;
      }
    }
  }

  #blocked(): void {
    if (this.#gate.block()) this.#episodeLogged = false;
    if (this.#episodeLogged || this.#ownCheckpoint) return;
    this.#episodeLogged = true;
    this.#log.warn("database busy: another process holds the SQLite write lock", {
      waitMs: this.#busyWaitMs,
      then: "503 with Retry-After",
    });
  }

  #opened(): void {
    const refused = this.#gate.refused;
    const busyMs = this.#gate.open();
    if (busyMs !== null && this.#episodeLogged)
      this.#log.info("database writable again", { busyMs: Math.round(busyMs), refused });
    this.#episodeLogged = false;
  }

  async *#stream<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    let rows: IterableIterator<unknown>;
    try {
      rows = this.#prepare(compiled.sql).iterate(compiled.parameters);
    } catch (error) {
      throw isSqliteBusy(error) ? new DatabaseBusyError(0) : error;
    }
    for (const row of rows) yield { rows: [row as R] };
  }
}

/** A Kysely dialect around an open better-sqlite3 database (see BusyAwareSqliteDriver). */
export function busyAwareSqliteDialect(driver: BusyAwareSqliteDriver): Dialect {
  return {
    createDriver: () => driver,
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
  };
}
