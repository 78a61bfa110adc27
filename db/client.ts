import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresAdapter, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./schema";
import {
  BusyAwareSqliteDriver,
  busyAwareSqliteDialect,
  MAINTENANCE_INTERVAL_MS,
  type SqliteControl,
  type SqliteOptions,
} from "./sqlite";

export { DatabaseBusyError, isDatabaseBusy } from "./sqlite";

// COUNT(*) and SUM() come back from PostgreSQL as int8 strings; our counts fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export type Db = Kysely<Database>;
export type Dialect = "sqlite" | "postgres";

/** True when the URL names a PostgreSQL server rather than a SQLite file. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export interface CreateDbOptions {
  /** PostgreSQL schema to use (search_path); tests isolate each run in its own. */
  schema?: string;
  poolSize?: number;
  /** SQLite only: lock waits, WAL limit and upkeep, logging (see db/sqlite.ts). */
  sqlite?: SqliteOptions;
}

/**
 * Opens a Kysely instance on a SQLite file (WAL, foreign keys, lock waits on timers: db/sqlite.ts) or a
 * PostgreSQL URL.
 */
export function createDb(url: string, options: CreateDbOptions = {}): Db {
  if (isPostgresUrl(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  if (url !== ":memory:") mkdirSync(dirname(url), { recursive: true });
  const sqlite = new SQLite(url);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  const driver = new BusyAwareSqliteDriver(sqlite, url === ":memory:" ? null : url, options.sqlite);
  const db = new Kysely<Database>({ dialect: busyAwareSqliteDialect(driver) });
  controls().set(db, driver);
  return db;
}

/** Kept on globalThis: the Remix build and the server entry each load this module (see getDb). */
function controls(): WeakMap<Db, SqliteControl> {
  const holder = globalThis as { __wsisSqliteControls?: WeakMap<Db, SqliteControl> };
  return (holder.__wsisSqliteControls ??= new WeakMap());
}

/** Lock and WAL upkeep of a SQLite database (undefined on PostgreSQL). */
export function sqliteControl(db: Db): SqliteControl | undefined {
  return controls().get(db);
}

/** Which engine a Kysely instance talks to. */
export function dialectOf(db: Db): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}

type Holder = { __wsisDb?: { url: string; db: Db } };

/**
 * The process-wide database. Kept on globalThis because the Remix build and the express/worker entry points
 * are separate module graphs that must share one connection (one SQLite handle, one pool).
 */
export function getDb(url: string, sqlite: SqliteOptions = {}): Db {
  const holder = globalThis as Holder;
  if (!holder.__wsisDb || holder.__wsisDb.url !== url)
    holder.__wsisDb = {
      url,
      db: createDb(url, {
        sqlite: { maintenanceIntervalMs: MAINTENANCE_INTERVAL_MS, checkpointInThread: true, ...sqlite },
      }),
    };
  return holder.__wsisDb.db;
}

/** Closes the process-wide database, if open. */
export async function closeDb(): Promise<void> {
  const holder = globalThis as Holder;
  const current = holder.__wsisDb;
  holder.__wsisDb = undefined;
  if (current) await current.db.destroy();
}

/** True when a driver error is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/** The current instant as stored in the database. */
export function iso(date: Date): string {
  return date.toISOString();
}
