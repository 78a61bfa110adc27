import { env } from "./env.server";

/** True when cookies must carry the Secure flag (APP_URL is https). */
export function secureCookies(): boolean {
  return env().APP_URL.startsWith("https://");
}

/** A same-origin path to go back to after sign-in; anything else falls back to "/". */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\"))
    return fallback;
  return to;
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
