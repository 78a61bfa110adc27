import { Migrator, sql, type MigrationResultSet } from "kysely";
import { dialectOf, type Db } from "./client";
import { migrations } from "./migrations/index";

/**
 * A migrator whose bookkeeping tables live in the schema the database works in. On PostgreSQL, Kysely looks
 * for them in every schema unless told which one: another schema's kysely_migration table (a second app, a
 * parallel test run) would make it skip creating ours, and the migration would fail.
 */
async function migrator(db: Db): Promise<Migrator> {
  let migrationTableSchema: string | undefined;
  if (dialectOf(db) === "postgres") {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema ?? undefined;
  }
  return new Migrator({ db, migrationTableSchema, provider: { getMigrations: async () => migrations } });
}

/** Throws with the failing migration's name when a run went wrong. */
function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error");
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`Migration ${failed?.migrationName ?? "?"} failed: ${reason}`);
  }
  return result;
}

/** Applies every pending migration; throws with the failing migration's name on error. */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  return check(await (await migrator(db)).migrateToLatest());
}

/** Reverts the most recently applied migration (operators and tests); throws on error. */
export async function migrateDown(db: Db): Promise<MigrationResultSet> {
  return check(await (await migrator(db)).migrateDown());
}
