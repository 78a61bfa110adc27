import { dictionary } from "@zxcvbn-ts/language-common";

let common: Set<string> | undefined;

/** Minimum and maximum password length (NIST 800-63B: at least 8; we ask 10, accept passphrases up to 128). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

/** A reason the password is refused, or null when it is acceptable. */
export function checkPassword(password: string, email?: string): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  common ??= new Set(dictionary["passwords-common"].map((p: string) => p.toLowerCase()));
  const lower = password.toLowerCase();
  if (common.has(lower) || /^(.)\1+$/.test(password))
    return "This password is too common. Choose another one.";
  const local = email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local))
    return "Do not use your email address in your password.";
  return null;
}
