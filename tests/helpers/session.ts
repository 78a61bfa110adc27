import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../../db/client";
import type { Client } from "./app";

/** Signs `client` in as `userId` by creating a session row directly (the sign-in form is tested elsewhere). */
export async function signInDirectly(db: Db, client: Client, userId: number): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  const now = new Date();
  await db
    .insertInto("sessions")
    .values({
      id: createHash("sha256").update(token).digest("hex"),
      user_id: userId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 3600_000).toISOString(),
      ip: null,
      user_agent: null,
    })
    .execute();
  client.setCookie("wsis_session", token);
  return token;
}
