import { env } from "./env.server";

/** True when cookies must carry the Secure flag (APP_URL is https). */
export function secureCookies(): boolean {
  return env().APP_URL.startsWith("https://");
}

/** C0 and C1 control characters, DEL, and backslashes (which browsers read as slashes). */
const UNSAFE = /[\p{Cc}\\]/u;

/**
 * A same-origin path to go back to (after sign-in, after a vote); anything else falls back to `fallback`.
 * Browsers drop tabs and newlines inside URLs and read `\` as `/`, so `/\t/evil.example` is `//evil.example`:
 * refused are control characters and backslashes, raw or percent-encoded, and anything that does not resolve
 * to APP_URL's origin. The answer is the normalised path (pathname, search and hash, percent-encoded ASCII),
 * which never starts with `//`, so it is safe in a Location header whatever the input.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof to !== "string" || to.length > 2000 || !to.startsWith("/") || to.startsWith("//"))
    return fallback;
  // Three rounds of decoding cover double and triple encoding (%2509); a malformed escape is refused.
  let decoded = to;
  for (let round = 0; round < 3; round++) {
    if (UNSAFE.test(decoded)) return fallback;
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return fallback;
    }
    if (next === decoded) break;
    decoded = next;
  }
  if (UNSAFE.test(decoded) || decoded.startsWith("//")) return fallback;
  let base: URL;
  let url: URL;
  try {
    base = new URL(env().APP_URL);
    url = new URL(to, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base.origin) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // "/.//evil.example" normalises to "//evil.example", which a browser would read as another host.
  if (!path.startsWith("/") || path.startsWith("//") || UNSAFE.test(path)) return fallback;
  return path;
}

/**
 * The client's address: the socket's peer, or — behind `trustedHops` proxies of our own (TRUST_PROXY) — the
 * address the outermost trusted proxy saw, read from the right of X-Forwarded-For. Entries further left were
 * written by the client and never count, so a spoofed header cannot change the address (the same rule as
 * express's numeric "trust proxy").
 */
export function clientIp(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedHops: number,
): string {
  const peer = socketAddress ?? "unknown";
  if (trustedHops <= 0 || !forwardedFor) return peer;
  const chain = forwardedFor
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .reverse();
  return chain[Math.min(trustedHops, chain.length) - 1] ?? peer;
}
