import type { Db } from "../../db/client";
import { dialectOf, isUniqueViolation } from "../../db/client";
import { ROLES, type Role, type User } from "../../db/schema";
import { db } from "../utils/db.server";
import { hashPassword } from "../utils/password.server";
import { audit } from "./audit.server";
import { canonicalEmail } from "./email";

export { ROLES };

/** Finds a user by any spelling of their address (canonical match). */
export async function findUserByEmail(email: string, database: Db = db()): Promise<User | undefined> {
  return database
    .selectFrom("users")
    .selectAll()
    .where("email_canonical", "=", canonicalEmail(email))
    .executeTakeFirst();
}

/**
 * Creates a user with roles. `verified` marks the email as confirmed (operator CLI, seed). Returns null when
 * the address is already taken (a unique constraint decides, not a prior read).
 */
export async function createUser(
  input: { email: string; name: string; password: string; roles: Role[]; verified: boolean; now: Date },
  database: Db = db(),
): Promise<User | null> {
  const passwordHash = await hashPassword(input.password);
  try {
    return await database.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto("users")
        .values({
          email: input.email.trim(),
          email_canonical: canonicalEmail(input.email),
          name: input.name,
          password_hash: passwordHash,
          email_verified_at: input.verified ? input.now.toISOString() : null,
          pending_email: null,
          created_at: input.now.toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      for (const role of new Set(input.roles)) {
        await trx
          .insertInto("user_roles")
          .values({ user_id: user.id, role, granted_by: null, created_at: input.now.toISOString() })
          .execute();
      }
      return user;
    });
  } catch (e) {
    if (isUniqueViolation(e)) return null;
    throw e;
  }
}

/**
 * Locks the user's row on PostgreSQL for the rest of the transaction, so a revocation and a self-service grant
 * of the same user are never interleaved (SQLite has one writer at a time anyway).
 */
async function lockUser(trx: Db, userId: number): Promise<void> {
  if (dialectOf(trx) !== "postgres") return;
  await trx.selectFrom("users").select("id").where("id", "=", userId).forUpdate().executeTakeFirst();
}

async function insertRole(trx: Db, userId: number, role: Role, actorUserId: number | null, now: Date) {
  const inserted = await trx
    .insertInto("user_roles")
    .values({ user_id: userId, role, granted_by: actorUserId, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(["user_id", "role"]).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
    await audit(trx, {
      actorUserId,
      action: "role.grant",
      entity: "user",
      entityId: userId,
      after: { role },
      now,
    });
  }
}

/** Runs `work` in the caller's transaction when given one, else in a new one. */
function inTransaction<T>(database: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return database.isTransaction ? work(database) : database.transaction().execute(work);
}

/**
 * Grants a role on someone's decision (an organiser, the operator CLI): no-op if held, audit-logged. It also
 * lifts a standing revocation of that role, since the decision is explicit.
 */
export async function grantRole(
  userId: number,
  role: Role,
  actorUserId: number | null,
  now: Date,
  database: Db = db(),
) {
  // Reuses the caller's transaction when given one, so the grant commits (or not) with the caller's change.
  await inTransaction(database, async (trx) => {
    await lockUser(trx, userId);
    await trx.deleteFrom("role_revocations").where("user_id", "=", userId).where("role", "=", role).execute();
    await insertRole(trx, userId, role, actorUserId, now);
  });
}

/** Why a self-service path may not grant a role. */
export type RoleGrantRefusal = "role_revoked";

/**
 * Grants a role that a self-service path gives automatically (creating an organisation, accepting an
 * invitation make the person a submitter), the person being the actor. Refused while a revocation of that
 * role stands: what an organiser withdrew does not come back by itself. Call it inside the transaction of the
 * change it goes with, so a refusal writes nothing.
 */
export async function grantRoleUnlessRevoked(
  userId: number,
  role: Role,
  now: Date,
  database: Db,
): Promise<{ ok: true } | { ok: false; refusal: RoleGrantRefusal }> {
  return inTransaction(database, async (trx) => {
    await lockUser(trx, userId);
    if (await isRoleRevoked(userId, role, trx)) return { ok: false, refusal: "role_revoked" };
    await insertRole(trx, userId, role, userId, now);
    return { ok: true };
  });
}

/** True while an organiser's revocation of `role` stands for this user. */
export async function isRoleRevoked(userId: number, role: Role, database: Db = db()): Promise<boolean> {
  const row = await database
    .selectFrom("role_revocations")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("role", "=", role)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Revokes a role (no-op if not held); takes effect on the user's very next request; audit-logged. The
 * revocation stands (self-service paths cannot grant the role again) until someone grants it explicitly.
 */
export async function revokeRole(
  userId: number,
  role: Role,
  actorUserId: number | null,
  now: Date,
  database: Db = db(),
) {
  await database.transaction().execute(async (trx) => {
    await lockUser(trx, userId);
    const deleted = await trx
      .deleteFrom("user_roles")
      .where("user_id", "=", userId)
      .where("role", "=", role)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) > 0) {
      await trx
        .insertInto("role_revocations")
        .values({ user_id: userId, role, revoked_by: actorUserId, revoked_at: now.toISOString() })
        .onConflict((oc) =>
          oc
            .columns(["user_id", "role"])
            .doUpdateSet({ revoked_by: actorUserId, revoked_at: now.toISOString() }),
        )
        .execute();
      await audit(trx, {
        actorUserId,
        action: "role.revoke",
        entity: "user",
        entityId: userId,
        before: { role },
        now,
      });
    }
  });
}
