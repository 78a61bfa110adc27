import { createHash, randomBytes } from "node:crypto";
import { redirect, type AppLoadContext } from "@remix-run/node";
import type { Db } from "../../db/client";
import { prepared } from "../../db/prepared";
import type { Role, User } from "../../db/schema";
import { db } from "./db.server";
import { can, type Permission } from "./permissions";
import { secureCookies } from "./request.server";

const COOKIE = "wsis_session";
const SESSION_DAYS = 30;

/** SHA-256 hex of a token: what the database keeps instead of the token itself. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A fresh unguessable token (256 bits, base64url). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Reads one cookie from a request's Cookie header. */
export function readCookie(request: Request, name: string): string | null {
  return cookieFromHeader(request.headers.get("Cookie"), name);
}

/** Reads one cookie from a raw Cookie header value. */
export function cookieFromHeader(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

function cookieAttributes(maxAgeSeconds: number): string {
  return `Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secureCookies() ? "; Secure" : ""}`;
}

export interface SessionUser {
  user: User;
  roles: Role[];
  sessionId: string;
}

/** Creates a session row for `userId` and returns the Set-Cookie header value carrying its token. */
export async function createSession(
  database: Db,
  userId: number,
  meta: { ip: string; userAgent: string | null },
  now: Date = new Date(),
): Promise<{ token: string; cookie: string }> {
  const token = newToken();
  const expires = new Date(now.getTime() + SESSION_DAYS * 24 * 3600 * 1000);
  await database
    .insertInto("sessions")
    .values({
      id: hashToken(token),
      user_id: userId,
      created_at: now.toISOString(),
      expires_at: expires.toISOString(),
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
    })
    .execute();
  return { token, cookie: `${COOKIE}=${token}; ${cookieAttributes(SESSION_DAYS * 24 * 3600)}` };
}

/**
 * Signs a user in: deletes the session the request came with (if any) and creates a new one, so the
 * session id is always rotated at sign-in. Returns the Set-Cookie value.
 */
export async function signIn(request: Request, context: AppLoadContext, userId: number): Promise<string> {
  const database = db();
  const old = readCookie(request, COOKIE);
  if (old) await database.deleteFrom("sessions").where("id", "=", hashToken(old)).execute();
  const { cookie } = await createSession(database, userId, {
    ip: context.clientIp,
    userAgent: request.headers.get("User-Agent"),
  });
  return cookie;
}

/** Deletes the request's session row and returns the Set-Cookie value that clears the cookie. */
export async function signOut(request: Request): Promise<string> {
  const token = readCookie(request, COOKIE);
  if (token) await db().deleteFrom("sessions").where("id", "=", hashToken(token)).execute();
  return `${COOKIE}=; ${cookieAttributes(0)}`;
}

/** Revokes every session of a user (after a password reset, for instance). */
export async function revokeAllSessions(database: Db, userId: number): Promise<void> {
  await database.deleteFrom("sessions").where("user_id", "=", userId).execute();
}

const perRequest = new WeakMap<Request, Promise<SessionUser | null>>();

/** The session cookie's value from a raw Cookie header (for handlers outside Remix). */
export function sessionTokenFromHeader(header: string | null | undefined): string | null {
  return cookieFromHeader(header, COOKIE);
}

/** The session's user, one row per role (none when the user holds no role), in one query. */
const sessionRows = prepared((database: Db, id: string) =>
  database
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .leftJoin("user_roles", "user_roles.user_id", "users.id")
    .selectAll("users")
    .select([
      "sessions.id as session_id",
      "sessions.expires_at as session_expires_at",
      "user_roles.role as session_role",
    ])
    .where("sessions.id", "=", id),
);

/** The user and roles behind a session token, or null when unknown or expired. */
export async function sessionUserFromToken(token: string | null): Promise<SessionUser | null> {
  if (!token || token.length > 100) return null;
  const database = db();
  const rows = await sessionRows(database, hashToken(token));
  const row = rows[0];
  if (!row) return null;
  if (new Date(row.session_expires_at).getTime() <= Date.now()) {
    await database.deleteFrom("sessions").where("id", "=", row.session_id).execute();
    return null;
  }
  const { session_id, session_expires_at: _expires, session_role: _role, ...user } = row;
  const roles = rows.flatMap((r) => (r.session_role === null ? [] : [r.session_role]));
  return { user, roles, sessionId: session_id };
}

/** The signed-in user with their current roles, or null. Read from the database on every request. */
export function getSessionUser(request: Request): Promise<SessionUser | null> {
  let pending = perRequest.get(request);
  if (!pending) {
    pending = sessionUserFromToken(readCookie(request, COOKIE));
    perRequest.set(request, pending);
  }
  return pending;
}

function loginRedirect(request: Request): Response {
  const url = new URL(request.url);
  const back = url.pathname + url.search;
  return redirect(`/login?redirectTo=${encodeURIComponent(back)}`);
}

/** The signed-in user; otherwise throws a redirect to the sign-in page that comes back here. */
export async function requireUser(request: Request): Promise<SessionUser> {
  const current = await getSessionUser(request);
  if (!current) throw loginRedirect(request);
  return current;
}

/** A signed-in user holding `permission`; throws a redirect to sign in, or a 403 page. */
export async function requirePermission(request: Request, permission: Permission): Promise<SessionUser> {
  const current = await requireUser(request);
  if (!can(current.roles, permission)) {
    throw new Response("You do not have permission to do this.", { status: 403, statusText: "Forbidden" });
  }
  return current;
}
