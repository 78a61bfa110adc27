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

  await db.schema.alterTable("editions").addColumn("nominees_published_at", "text").execute();
  await db.schema.alterTable("editions").addColumn("results_published_at", "text").execute();
  await db.schema
    .alterTable("projects")
    .addColumn("title_normalised", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema
    .createIndex("projects_org_idx")
    .on("projects")
    .columns(["organisation_id", "edition_id"])
    .execute();

  await id(db.schema.createTable("organisation_invitations"))
    .addColumn("organisation_id", "integer", (c) =>
      c.notNull().references("organisations.id").onDelete("cascade"),
    )
    .addColumn("email_canonical", "text", (c) => c.notNull())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("invited_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("accepted_at", "text")
    .execute();

  await db.schema
    .createTable("expert_assignments")
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("category_id", "integer", (c) => c.notNull().references("categories.id"))
    .addColumn("stage", "text", (c) => c.notNull().check(sql`stage in ('nomination','selection')`))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("expert_assignments_pk", ["edition_id", "user_id", "category_id", "stage"])
    .execute();

  /** The current decision per project; its history lives in the audit log. */
  await db.schema
    .createTable("nomination_decisions")
    .addColumn("project_id", "integer", (c) => c.primaryKey().references("projects.id").onDelete("cascade"))
    .addColumn("decision", "text", (c) => c.notNull().check(sql`decision in ('nominate','reject')`))
    .addColumn("reason", "text")
    .addColumn("reason_text", "text")
    .addColumn("decided_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("decided_at", "text", (c) => c.notNull())
    .execute();

  await id(db.schema.createTable("project_flags"))
    .addColumn("project_id", "integer", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('near_duplicate','previous_winner')`))
    .addColumn("match_project_id", "integer", (c) => c.references("projects.id").onDelete("cascade"))
    .addColumn("score", "real", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("project_flags_unique", ["project_id", "kind", "match_project_id"])
    .execute();

  /** Champions and winners of an edition, once results are published (and earlier editions' winners). */
  await db.schema
    .createTable("awards")
    .addColumn("project_id", "integer", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('champion','winner')`))
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("awards_pk", ["project_id", "kind"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    "awards",
    "project_flags",
    "nomination_decisions",
    "expert_assignments",
    "organisation_invitations",
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
  await db.schema.dropIndex("projects_org_idx").ifExists().execute();
  await db.schema.alterTable("projects").dropColumn("title_normalised").execute();
  await db.schema.alterTable("editions").dropColumn("results_published_at").execute();
  await db.schema.alterTable("editions").dropColumn("nominees_published_at").execute();
}
