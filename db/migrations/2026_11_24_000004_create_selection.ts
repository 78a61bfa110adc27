import type { Kysely } from "kysely";

export const CRITERIA = [
  "compliance",
  "relevance",
  "impact",
  "empowerment",
  "sdgs",
  "replication",
  "sustainability",
  "partnerships",
  "values",
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  let scores = db.schema
    .createTable("selection_scores")
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("project_id", "integer", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("expert_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"));
  // One column per criterion of DESIGN §4, 1–10 each; null while a draft is incomplete.
  for (const criterion of CRITERIA) scores = scores.addColumn(`score_${criterion}`, "integer");
  await scores
    .addColumn("comment", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("selection_scores_pk", ["project_id", "expert_id"])
    .execute();

  /** An expert's scores for a category become final (and peers' scores visible to them) once submitted. */
  await db.schema
    .createTable("selection_submissions")
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("category_id", "integer", (c) => c.notNull().references("categories.id"))
    .addColumn("expert_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("submitted_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("selection_submissions_pk", ["edition_id", "category_id", "expert_id"])
    .execute();

  /** Conflicts of interest declared by experts (the automatic ones — own organisation — are derived). */
  await db.schema
    .createTable("conflicts")
    .addColumn("project_id", "integer", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("expert_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("declared_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("conflicts_pk", ["project_id", "expert_id"])
    .execute();

  /** Winners confirmed by organisers; a second winner in a category needs an override reason. */
  await db.schema
    .createTable("winners")
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("category_id", "integer", (c) => c.notNull().references("categories.id"))
    .addColumn("project_id", "integer", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("override_reason", "text")
    .addColumn("confirmed_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("confirmed_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("winners_pk", ["edition_id", "project_id"])
    .execute();
  await db.schema
    .createIndex("winners_category_idx")
    .on("winners")
    .columns(["edition_id", "category_id"])
    .execute();

  await db.schema.alterTable("outbox").addColumn("project_id", "integer").execute();
  await db.schema.alterTable("outbox").addColumn("edition_id", "integer").execute();
  await db.schema
    .createIndex("outbox_edition_kind_idx")
    .on("outbox")
    .columns(["edition_id", "kind", "status"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("outbox_edition_kind_idx").ifExists().execute();
  await db.schema.alterTable("outbox").dropColumn("edition_id").execute();
  await db.schema.alterTable("outbox").dropColumn("project_id").execute();
  for (const t of ["winners", "conflicts", "selection_submissions", "selection_scores"]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
