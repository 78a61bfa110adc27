import { type Kysely, type CreateTableBuilder, PostgresAdapter, sql } from "kysely";

/** Auto-increment primary key that works on SQLite and PostgreSQL. */
function withId(db: Kysely<any>) {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  return <T extends string>(t: CreateTableBuilder<T, never>) =>
    t.addColumn("id", "integer", (c) =>
      pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    );
}

export async function up(db: Kysely<any>): Promise<void> {
  const id = withId(db);

  await id(db.schema.createTable("users"))
    .addColumn("email_canonical", "text", (c) => c.notNull().unique())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("email_verified_at", "text")
    .addColumn("pending_email", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("user_roles")
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) =>
      c.notNull().check(sql`role in ('voter','submitter','expert','organiser')`),
    )
    .addColumn("granted_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("user_roles_pk", ["user_id", "role"])
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .execute();
  await db.schema.createIndex("sessions_user_idx").on("sessions").column("user_id").execute();

  await id(db.schema.createTable("tokens"))
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("new_email", "text")
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("tokens_user_idx").on("tokens").columns(["user_id", "kind"]).execute();

  await id(db.schema.createTable("categories"))
    .addColumn("code", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .execute();

  let editions = id(db.schema.createTable("editions"))
    .addColumn("year", "integer", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("timezone", "text", (c) => c.notNull());
  for (const phase of ["submission", "nomination", "voting", "selection", "announcement"]) {
    editions = editions
      .addColumn(`${phase}_opens_at`, "text", (c) => c.notNull())
      .addColumn(`${phase}_closes_at`, "text", (c) => c.notNull());
  }
  await editions
    .addColumn("min_long_answer_words", "integer", (c) => c.notNull().defaultTo(50))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await id(db.schema.createTable("organisations"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("stakeholder_type", "text", (c) => c.notNull())
    .addColumn("country", "text", (c) => c.notNull())
    .addColumn("region", "text", (c) => c.notNull())
    .addColumn("website", "text")
    .addColumn("contact_name", "text", (c) => c.notNull())
    .addColumn("contact_email", "text", (c) => c.notNull())
    .addColumn("created_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("organisation_members")
    .addColumn("organisation_id", "integer", (c) =>
      c.notNull().references("organisations.id").onDelete("cascade"),
    )
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("organisation_members_pk", ["organisation_id", "user_id"])
    .execute();
  await db.schema
    .createIndex("organisation_members_user_idx")
    .on("organisation_members")
    .column("user_id")
    .execute();

  await id(db.schema.createTable("projects"))
    .addColumn("edition_id", "integer", (c) => c.notNull().references("editions.id").onDelete("cascade"))
    .addColumn("organisation_id", "integer", (c) =>
      c.notNull().references("organisations.id").onDelete("cascade"),
    )
    .addColumn("category_id", "integer", (c) => c.notNull().references("categories.id"))
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('draft','submitted','withdrawn')`))
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("website", "text")
    .addColumn("country", "text", (c) => c.notNull())
    .addColumn("start_year", "integer")
    .addColumn("implementation_status", "text")
    .addColumn("short_description", "text", (c) => c.notNull())
    .addColumn("sdgs", "text", (c) => c.notNull())
    .addColumn("gdc_objectives", "text", (c) => c.notNull())
    .addColumn("action_line_linkage", "text", (c) => c.notNull())
    .addColumn("sdg_linkage", "text", (c) => c.notNull())
    .addColumn("gdc_linkage", "text", (c) => c.notNull())
    .addColumn("impact", "text", (c) => c.notNull())
    .addColumn("partnerships", "text", (c) => c.notNull())
    .addColumn("challenges", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("submitted_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("projects_one_per_org_category", ["edition_id", "organisation_id", "category_id"])
    .execute();
  await db.schema
    .createIndex("projects_edition_category_idx")
    .on("projects")
    .columns(["edition_id", "category_id", "status"])
    .execute();
  await db.schema
    .createIndex("projects_fingerprint_idx")
    .on("projects")
    .columns(["edition_id", "fingerprint"])
    .execute();

  await id(db.schema.createTable("outbox"))
    .addColumn("idempotency_key", "text", (c) => c.notNull().unique())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("to_address", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("html", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('queued','sent','failed')`))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("sent_at", "text")
    .execute();
  await db.schema.createIndex("outbox_status_idx").on("outbox").columns(["status", "id"]).execute();

  await id(db.schema.createTable("audit_log"))
    .addColumn("actor_user_id", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("entity", "text", (c) => c.notNull())
    .addColumn("entity_id", "text")
    .addColumn("before_json", "text")
    .addColumn("after_json", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("audit_log_entity_idx")
    .on("audit_log")
    .columns(["entity", "entity_id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    "audit_log",
    "outbox",
    "projects",
    "organisation_members",
    "organisations",
    "editions",
    "categories",
    "tokens",
    "sessions",
    "user_roles",
    "users",
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
