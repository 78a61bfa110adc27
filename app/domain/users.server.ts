import type { Db } from "../../db/client";
import { isUniqueViolation } from "../../db/client";
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

/** Grants a role (no-op if held); audit-logged. */
export async function grantRole(
  userId: number,
  role: Role,
  actorUserId: number | null,
  now: Date,
  database: Db = db(),
) {
  // Reuses the caller's transaction when given one, so the grant commits (or not) with the caller's change.
  const run = async (trx: Db) => {
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
  };
  if (database.isTransaction) await run(database);
  else await database.transaction().execute(run);
}

/** Revokes a role (no-op if not held); takes effect on the user's very next request; audit-logged. */
export async function revokeRole(
  userId: number,
  role: Role,
  actorUserId: number | null,
  now: Date,
  database: Db = db(),
) {
  await database.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom("user_roles")
      .where("user_id", "=", userId)
      .where("role", "=", role)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) > 0) {
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
