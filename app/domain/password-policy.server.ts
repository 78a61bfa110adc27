import { dictionary } from "@zxcvbn-ts/language-common";

let common: Set<string> | undefined;

/** Minimum and maximum password length (NIST 800-63B: at least 8; we ask 10, accept passphrases up to 128). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

/** How many characters of digits and symbols may be appended to a listed password ("Password1!"). */
const MAX_SUFFIX = 4;

/** Common character substitutions, undone before the list is consulted ("P@ssw0rd" is "password"). */
const LEET: Readonly<Record<string, string>> = {
  "@": "a",
  "4": "a",
  "3": "e",
  "1": "i",
  "!": "i",
  "0": "o",
  $: "s",
  "5": "s",
  "7": "t",
  "+": "t",
};

/**
 * The breached-password list of zxcvbn-ts (@zxcvbn-ts/language-common, the 49,233 most common passwords of
 * public breach corpora), lower-cased. Few listed passwords have our minimum length, so the check looks for
 * them inside longer ones the way guessing tools build those: case, substitutions, a short appended run of
 * digits or symbols.
 */
export function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(dictionary["passwords-common"].map((p: string) => p.toLowerCase()));
  return common;
}

function unleet(text: string, one: "i" | "l"): string {
  return Array.from(text, (ch) => (ch === "1" ? one : (LEET[ch] ?? ch))).join("");
}

/** True when `password` is a listed one, possibly capitalised, substituted and with a short suffix. */
export function isCommonPassword(password: string): boolean {
  const list = commonPasswords();
  let base = Array.from(password.toLowerCase());
  for (let cut = 0; cut <= MAX_SUFFIX && base.length > 0; cut++) {
    const text = base.join("");
    if (list.has(text) || list.has(unleet(text, "i")) || list.has(unleet(text, "l"))) return true;
    if (/[\p{L}]/u.test(base[base.length - 1])) break;
    base = base.slice(0, -1);
  }
  return false;
}

/** A reason the password is refused, or null when it is acceptable. */
export function checkPassword(password: string, email?: string): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  const lower = password.toLowerCase();
  if (isCommonPassword(password) || /^(.)\1+$/.test(password))
    return "This password is too common. Choose another one.";
  const local = email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local))
    return "Do not use your email address in your password.";
  return null;
}
