import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";

/**
 * Facts about the database itself, one row per key. `instance_id` is a random id drawn once per database: the
 * job ids derived from row ids (outbox deliveries, official tallies) include it, so a second database sharing a
 * Redis key prefix never finds another database's jobs under its own row ids (issue 9 §2).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("app_meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();
  await db
    .insertInto("app_meta")
    .values({ key: "instance_id", value: randomBytes(6).toString("hex") })
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("app_meta").ifExists().execute();
}
