import { type Kysely, sql } from "kysely";

/**
 * A role withdrawn by an organiser stays withdrawn: self-service paths (creating an organisation, accepting an
 * invitation) grant `submitter` only while no revocation stands. One row per (user, role) that an organiser
 * revoked; an organiser granting the role again deletes it. Existing revocations are taken from the audit log:
 * a role whose last change was a revocation and that the user does not hold.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("role_revocations")
    .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) =>
      c.notNull().check(sql`role in ('voter','submitter','expert','organiser')`),
    )
    .addColumn("revoked_by", "integer", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("revoked_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("role_revocations_pk", ["user_id", "role"])
    .execute();

  const changes: Array<{
    action: string;
    entity_id: string | null;
    actor_user_id: number | null;
    before_json: string | null;
    after_json: string | null;
    created_at: string;
  }> = await db
    .selectFrom("audit_log")
    .select(["action", "entity_id", "actor_user_id", "before_json", "after_json", "created_at"])
    .where("entity", "=", "user")
    .where("action", "in", ["role.grant", "role.revoke"])
    .orderBy("id")
    .execute();
  const last = new Map<string, (typeof changes)[number] & { userId: number; role: string }>();
  for (const change of changes) {
    const userId = Number(change.entity_id);
    let role: unknown;
    try {
      role = JSON.parse(
        (change.action === "role.revoke" ? change.before_json : change.after_json) ?? "{}",
      )?.role;
    } catch {
      continue;
    }
    if (!Number.isInteger(userId) || typeof role !== "string") continue;
    last.set(`${userId}:${role}`, { ...change, userId, role });
  }
  for (const change of last.values()) {
    if (change.action !== "role.revoke") continue;
    const held = await db
      .selectFrom("user_roles")
      .select("user_id")
      .where("user_id", "=", change.userId)
      .where("role", "=", change.role)
      .executeTakeFirst();
    const user = await db.selectFrom("users").select("id").where("id", "=", change.userId).executeTakeFirst();
    if (held || !user) continue;
    await db
      .insertInto("role_revocations")
      .values({
        user_id: change.userId,
        role: change.role,
        revoked_by: change.actor_user_id,
        revoked_at: change.created_at,
      })
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("role_revocations").ifExists().execute();
}
