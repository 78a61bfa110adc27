import type { Db } from "./client";
import { migrateToLatest } from "./migrate";
import { seedCategories } from "./seed";

/** Brings a database to the current schema and reference data (categories). Safe to run at every start. */
export async function prepareDatabase(db: Db): Promise<void> {
  await migrateToLatest(db);
  await seedCategories(db);
}
