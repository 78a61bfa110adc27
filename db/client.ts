import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, type SqliteDatabase } from "kysely";
import pg from "pg";
import type { Database } from "./schema";

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
}

/** Opens a Kysely instance on a SQLite file (WAL, foreign keys, busy timeout) or a PostgreSQL URL. */
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
  sqlite.pragma("busy_timeout = 5000");
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

/**
 * Kysely prepares every query anew; on the hot paths (votes, sessions) preparing costs as much as running.
 * Statements are cached by SQL text (SQLite re-prepares them itself after a schema change); the cache is
 * emptied when it grows past 500 distinct texts (queries with variable IN lists).
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (!statement) {
        if (cache.size >= 500) cache.clear();
        statement = sqlite.prepare(sqlText);
        cache.set(sqlText, statement);
      }
      return statement;
    },
  };
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
export function getDb(url: string): Db {
  const holder = globalThis as Holder;
  if (!holder.__wsisDb || holder.__wsisDb.url !== url) holder.__wsisDb = { url, db: createDb(url) };
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
