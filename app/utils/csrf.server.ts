import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { env } from "./env.server";
import { secureCookies } from "./request.server";
import { cookieFromHeader, getSessionUser, hashToken, readCookie } from "./session.server";

const COOKIE = "wsis_csrf";
export const CSRF_FIELD = "_csrf";
/** Largest form body an action accepts (the express layer refuses larger bodies before they reach Remix). */
export const MAX_FORM_BYTES = 64 * 1024;

/**
 * The MAC of a token. Once signed in, tokens are bound to the session (its id, the hash of the cookie token,
 * is part of what is signed): a token from before sign-in, or from another session, is refused.
 */
function sign(value: string, sessionId: string | null): string {
  const subject = sessionId === null ? `csrf:${value}` : `csrf:${value}:session:${sessionId}`;
  return createHmac("sha256", env().SESSION_SECRET).update(subject).digest("base64url");
}

function isValid(token: string | null, sessionId: string | null): token is string {
  if (!token || token.length > 200) return false;
  const [value, mac] = token.split(".");
  if (!value || !mac) return false;
  const expected = Buffer.from(sign(value, sessionId));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function newCsrfToken(sessionId: string | null): string {
  const value = randomBytes(18).toString("base64url");
  return `${value}.${sign(value, sessionId)}`;
}

/**
 * The CSRF token for this browser (signed double-submit cookie), bound to `sessionId` when signed in. When the
 * browser has none that fits (first visit, just signed in or out), a new one is made and `setCookie` carries
 * it; the root loader sends it so every page's forms can embed it.
 */
export function csrfToken(
  request: Request,
  sessionId: string | null,
): { token: string; setCookie: string | null } {
  const existing = readCookie(request, COOKIE);
  if (isValid(existing, sessionId)) return { token: existing, setCookie: null };
  const token = newCsrfToken(sessionId);
  const attrs = `Path=/; HttpOnly; SameSite=Lax; Max-Age=${60 * 60 * 24 * 365}${secureCookies() ? "; Secure" : ""}`;
  return { token, setCookie: `${COOKIE}=${token}; ${attrs}` };
}

/**
 * A valid CSRF token (cookie value and form field alike) for a client outside a browser that holds the
 * session cookie `sessionToken` (or none): benchmarks and tests.
 */
export function csrfTokenForSession(sessionToken: string | null): string {
  return newCsrfToken(sessionToken === null ? null : hashToken(sessionToken));
}

function forbidden(message: string): Response {
  return new Response(message, { status: 403, statusText: "Forbidden" });
}

/**
 * True when the request comes from our own pages according to Sec-Fetch-Site and Origin (absent headers are
 * accepted: old browsers and non-browser clients still need the CSRF token). An opaque origin (`Origin: null`:
 * sandboxed frames, data: URLs, some cross-site redirects) is never ours.
 */
export function isSameOrigin(get: (name: string) => string | null | undefined): boolean {
  const site = get("Sec-Fetch-Site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = get("Origin");
  if (origin === "null") return false;
  if (origin) {
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (!originHost || (originHost !== get("Host") && originHost !== new URL(env().APP_URL).host))
      return false;
  }
  return true;
}

/**
 * True when the posted token matches this browser's signed CSRF cookie, and that cookie was made for the
 * request's session (`sessionId`, null when not signed in).
 */
export function csrfMatches(
  sent: unknown,
  cookieHeader: string | null | undefined,
  sessionId: string | null,
): boolean {
  const cookie = cookieFromHeader(cookieHeader, COOKIE);
  return typeof sent === "string" && isValid(cookie, sessionId) && sent === cookie;
}

/** Throws a 403 unless the request comes from our own pages (Origin / Sec-Fetch-Site headers). */
export function assertSameOrigin(request: Request): void {
  if (!isSameOrigin((name) => request.headers.get(name))) {
    throw forbidden("This form was sent from another site and has been refused.");
  }
}

/**
 * Reads a state-changing form post: refuses oversized or malformed bodies (4xx), cross-site posts and posts
 * whose CSRF token does not match this browser's cookie and session (403). Every action starts with it.
 */
export async function readForm(request: Request): Promise<FormData> {
  assertSameOrigin(request);
  const length = Number(request.headers.get("Content-Length") ?? "0");
  if (length > MAX_FORM_BYTES) {
    throw new Response("The form is too large.", { status: 413, statusText: "Payload Too Large" });
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new Response("The form could not be read.", { status: 400, statusText: "Bad Request" });
  }
  const current = await getSessionUser(request);
  if (!csrfMatches(form.get(CSRF_FIELD), request.headers.get("Cookie"), current?.sessionId ?? null)) {
    throw forbidden("This form has expired or was not sent from this site. Reload the page and try again.");
  }
  return form;
}
