import type { Kysely } from "kysely";

/**
 * A voter's votes in an edition (progress "7 of 18", "my votes", the ballot of every catalogue page) were read
 * through the unique constraint's index, which starts with edition_id: a scan of the whole edition's votes.
 * This index leads with the voter, so those reads touch only the voter's own rows; it replaces the index on
 * voter_id alone (the same b-tree count on every vote insert).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex("votes_voter_edition_idx")
    .on("votes")
    .columns(["voter_id", "edition_id", "category_id"])
    .execute();
  await db.schema.dropIndex("votes_voter_idx").ifExists().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("votes_voter_idx").on("votes").columns(["voter_id"]).execute();
  await db.schema.dropIndex("votes_voter_edition_idx").ifExists().execute();
}
