import { type Kysely, type CreateTableBuilder, PostgresAdapter, sql } from "kysely";

function withId(db: Kysely<any>) {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  return <T extends string>(t: CreateTableBuilder<T, never>) =>
    t.addColumn("id", "integer", (c) =>
      pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    );
}

export async function up(db: Kysely<any>): Promise<void> {
  const id = withId(db);

  await id(db.schema.createTable("votes"))
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("category_id", "integer", (c) => c.notNull().references("categories.id"))
    .addColumn("project_id", "integer", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("voter_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("ip", "text", (c) => c.notNull())
    /** /24 for IPv4, /48 for IPv6: the "network" of DESIGN §5's fraud patterns. */
    .addColumn("network", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    // One vote per voter per category per edition: the database enforces it (DESIGN §5).
    .addUniqueConstraint("votes_one_per_category", ["edition_id", "category_id", "voter_id"])
    .execute();
  // Covering index for tallies: counts per project without touching the table.
  await db.schema
    .createIndex("votes_tally_idx")
    .on("votes")
    .columns(["edition_id", "category_id", "project_id"])
    .execute();
  await db.schema.createIndex("votes_voter_idx").on("votes").columns(["voter_id"]).execute();
  await db.schema
    .createIndex("votes_project_idx")
    .on("votes")
    .columns(["project_id", "created_at"])
    .execute();

  /** Invalidations are appended events; a vote is never deleted. */
  await id(db.schema.createTable("vote_invalidations"))
    .addColumn("vote_id", "integer", (c) => c.notNull().references("votes.id").onDelete("cascade"))
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("flag_id", "integer")
    .addColumn("created_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("vote_invalidations_vote_idx")
    .on("vote_invalidations")
    .column("vote_id")
    .execute();

  /** Live counts per project, advanced incrementally by the live-tally job (watermarks in tally_state). */
  await db.schema
    .createTable("live_counts")
    .addColumn("project_id", "integer", (c) => c.primaryKey().references("projects.id").onDelete("cascade"))
    .addColumn("edition_id", "integer", (c) => c.notNull())
    .addColumn("category_id", "integer", (c) => c.notNull())
    .addColumn("cast_votes", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("invalid_votes", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex("live_counts_category_idx")
    .on("live_counts")
    .columns(["edition_id", "category_id"])
    .execute();
  await db.schema
    .createTable("tally_state")
    .addColumn("edition_id", "integer", (c) => c.primaryKey().references("editions.id").onDelete("cascade"))
    .addColumn("last_vote_id", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_invalidation_id", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  /** Each full recount (official at close, or re-run by organisers) with its time and vote count. */
  await id(db.schema.createTable("tally_runs"))
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("trigger", "text", (c) => c.notNull())
    .addColumn("votes_counted", "integer", (c) => c.notNull())
    .addColumn("valid_votes", "integer", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text", (c) => c.notNull())
    .addColumn("requested_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .execute();
  await db.schema
    .createTable("tally_results")
    .addColumn("run_id", "integer", (c) => c.notNull().references("tally_runs.id").onDelete("cascade"))
    .addColumn("project_id", "integer", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("category_id", "integer", (c) => c.notNull())
    .addColumn("cast_votes", "integer", (c) => c.notNull())
    .addColumn("valid_votes", "integer", (c) => c.notNull())
    .addColumn("rank", "integer", (c) => c.notNull())
    .addColumn("champion", "integer", (c) => c.notNull())
    .addColumn("tied_at_cutoff", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("tally_results_pk", ["run_id", "project_id"])
    .execute();

  await id(db.schema.createTable("fraud_flags"))
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    /** What the pattern is about, e.g. "ip:203.0.113.7|project:12". Unique per edition and kind. */
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("project_id", "integer", (c) => c.references("projects.id").onDelete("cascade"))
    .addColumn("vote_count", "integer", (c) => c.notNull())
    .addColumn("evidence_json", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('open','invalidated','dismissed')`))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("fraud_flags_unique", ["edition_id", "kind", "subject"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    "fraud_flags",
    "tally_results",
    "tally_runs",
    "tally_state",
    "live_counts",
    "vote_invalidations",
    "votes",
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
