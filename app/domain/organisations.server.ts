import type { Db } from "../../db/client";
import { db } from "../utils/db.server";

/** True when `userId` is a member of organisation `organisationId`. */
export async function isMember(userId: number, organisationId: number, database: Db = db()): Promise<boolean> {
  const row = await database
    .selectFrom("organisation_members")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("organisation_id", "=", organisationId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Throws a 404 unless `userId` is a member of the organisation: someone else's organisation looks exactly
 * like one that does not exist.
 */
export async function requireMembership(userId: number, organisationId: number, database: Db = db()): Promise<void> {
  if (!(await isMember(userId, organisationId, database))) {
    throw new Response("This organisation does not exist or you are not one of its members.", {
      status: 404,
      statusText: "Not Found",
    });
  }
}
