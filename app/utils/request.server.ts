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
