import type { Db } from "../../db/client";
import { createSession } from "../../app/utils/session.server";
import type { Client } from "./app";

/** The token of a new session of `userId`, made as sign-in makes it (the sign-in form is tested elsewhere). */
export async function sessionToken(db: Db, userId: number, userAgent = "vitest"): Promise<string> {
  const { token } = await createSession(db, userId, { ip: "127.0.0.1", userAgent });
  return token;
}

/** Signs `client` in as `userId` by creating a session row directly. */
export async function signInDirectly(db: Db, client: Client, userId: number): Promise<string> {
  const token = await sessionToken(db, userId);
  client.setCookie("wsis_session", token);
  return token;
}
