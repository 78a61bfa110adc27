import type { Kysely } from "kysely";

/** The fraud checks read the votes of the last hour; this index keeps that a range scan. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex("votes_edition_time_idx")
    .on("votes")
    .columns(["edition_id", "created_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("votes_edition_time_idx").ifExists().execute();
}
