import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { env } from "./env.server";
import { secureCookies } from "./request.server";
import { cookieFromHeader, readCookie } from "./session.server";

const COOKIE = "wsis_csrf";
export const CSRF_FIELD = "_csrf";
/** Largest form body an action accepts (the express layer refuses larger bodies before they reach Remix). */
export const MAX_FORM_BYTES = 64 * 1024;

function sign(value: string): string {
  return createHmac("sha256", env().SESSION_SECRET).update(`csrf:${value}`).digest("base64url");
}

function isValid(token: string | null): token is string {
  if (!token || token.length > 200) return false;
  const [value, mac] = token.split(".");
  if (!value || !mac) return false;
  const expected = Buffer.from(sign(value));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * The CSRF token for this browser (signed double-submit cookie). When the browser has none yet, a new one
 * is made and `setCookie` carries it; the root loader sends it so every page's forms can embed it.
 */
export function csrfToken(request: Request): { token: string; setCookie: string | null } {
  const existing = readCookie(request, COOKIE);
  if (isValid(existing)) return { token: existing, setCookie: null };
  const value = randomBytes(18).toString("base64url");
  const token = `${value}.${sign(value)}`;
  const attrs = `Path=/; HttpOnly; SameSite=Lax; Max-Age=${60 * 60 * 24 * 365}${secureCookies() ? "; Secure" : ""}`;
  return { token, setCookie: `${COOKIE}=${token}; ${attrs}` };
}

function forbidden(message: string): Response {
  return new Response(message, { status: 403, statusText: "Forbidden" });
}

/**
 * True when the request comes from our own pages according to Sec-Fetch-Site and Origin (absent headers are
 * accepted: old browsers and non-browser clients still need the CSRF token).
 */
export function isSameOrigin(get: (name: string) => string | null | undefined): boolean {
  const site = get("Sec-Fetch-Site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = get("Origin");
  if (origin && origin !== "null") {
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

/** True when the posted token matches this browser's signed CSRF cookie. */
export function csrfMatches(sent: unknown, cookieHeader: string | null | undefined): boolean {
  const cookie = cookieFromHeader(cookieHeader, COOKIE);
  return typeof sent === "string" && isValid(cookie) && sent === cookie;
}

/** Throws a 403 unless the request comes from our own pages (Origin / Sec-Fetch-Site headers). */
export function assertSameOrigin(request: Request): void {
  if (!isSameOrigin((name) => request.headers.get(name))) {
    throw forbidden("This form was sent from another site and has been refused.");
  }
}

/**
 * Reads a state-changing form post: refuses oversized or malformed bodies (4xx), cross-site posts and posts
 * whose CSRF token does not match this browser's cookie (403). Every action starts with it.
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
  if (!csrfMatches(form.get(CSRF_FIELD), request.headers.get("Cookie"))) {
    throw forbidden("This form has expired or was not sent from this site. Reload the page and try again.");
  }
  return form;
}
