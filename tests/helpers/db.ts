import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { createDb, type Db, type Dialect } from "../../db/client";
import { prepareDatabase } from "../../db/prepare";
import type { Database } from "../../db/schema";

/** The engines the integration suite runs against: SQLite always, PostgreSQL when TEST_POSTGRES_URL is set. */
export const DIALECTS: Dialect[] = process.env.TEST_POSTGRES_URL ? ["sqlite", "postgres"] : ["sqlite"];

export interface TestDb {
  db: Db;
  dialect: Dialect;
  /** A DATABASE_URL that opens this same isolated database (for a server child process). */
  url: string;
  cleanup(): Promise<void>;
}

/**
 * A fresh, migrated database with the 18 categories: a temporary SQLite file, or a new PostgreSQL schema
 * (dropped at cleanup) so parallel runs never see each other's rows.
 */
export async function createTestDb(dialect: Dialect): Promise<TestDb> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "wsis-test-"));
    const url = join(dir, "test.sqlite");
    const db = createDb(url);
    await prepareDatabase(db);
    return {
      db,
      dialect,
      url,
      async cleanup() {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = process.env.TEST_POSTGRES_URL;
  if (!base) throw new Error("TEST_POSTGRES_URL is not set");
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const db = createDb(base, { schema, poolSize: 5 });
  await prepareDatabase(db);
  const sep = base.includes("?") ? "&" : "?";
  return {
    db,
    dialect,
    url: `${base}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async cleanup() {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    },
  };
}

/** The number of rows in `table`. */
export async function countRows(db: Db, table: keyof Database): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
