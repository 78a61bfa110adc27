import { describe, expect, it } from "vitest";
import { dictionary } from "@zxcvbn-ts/language-common";
import {
  PASSWORD_MAX,
  PASSWORD_MIN,
  checkPassword,
  commonPasswords,
  isCommonPassword,
} from "../../app/domain/password-policy.server";
import {
  ChangePasswordSchema,
  LoginSchema,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  RegisterSchema,
  ResetPasswordSchema,
} from "../../app/schemas/auth";

describe("checkPassword", () => {
  it("accepts a long, uncommon passphrase", () => {
    expect(checkPassword("correct-horse-battery-staple", "ada@example.org")).toBeNull();
    expect(checkPassword("Tr0ub4dor&3xyz")).toBeNull();
  });

  it.each([
    ["", "Use at least 10 characters."],
    ["short", "Use at least 10 characters."],
    ["123456789", "Use at least 10 characters."],
    ["x".repeat(129).replace(/^x/, "y"), "Use at most 128 characters."],
  ])("refuses %j by length", (password, message) => {
    expect(checkPassword(password)).toBe(message);
  });

  it("takes exactly the bounds", () => {
    expect(checkPassword("kq7-vmz-pl")).toBeNull();
    expect(checkPassword(`${"kq7-vmz-pl".repeat(12)}abcdefgh`)).toBeNull();
    expect(`${"kq7-vmz-pl".repeat(12)}abcdefgh`).toHaveLength(128);
  });

  it.each(["password123", "Password123", "qwertyuiop", "1234567890", "1q2w3e4r5t", "PASSWORD1234"])(
    "refuses the common password %j, whatever its case",
    (password) => {
      expect(checkPassword(password)).toBe("This password is too common. Choose another one.");
    },
  );

  it.each([
    "Password1!",
    "P@ssw0rd123",
    "qwerty12345",
    "Iloveyou123",
    "Monkey2024!",
    "Dragon!!!!",
    "Sunflower2026",
  ])("refuses %j: a listed password with the usual capital, substitutions or suffix", (password) => {
    expect(checkPassword(password)).toBe("This password is too common. Choose another one.");
  });

  it("consults a breached-password list far larger than the top 3,000 (ASVS 6.2.4)", () => {
    expect(commonPasswords().size).toBeGreaterThanOrEqual(3000);
    expect(commonPasswords().size).toBe(
      new Set(dictionary["passwords-common"].map((p) => p.toLowerCase())).size,
    );
  });

  it("refuses each of the top 3,000 listed passwords in every form that meets the length rule", () => {
    const ranked: string[] = dictionary["passwords-common"];
    const capital = (p: string) => p.charAt(0).toUpperCase() + p.slice(1);
    const tried = new Set<string>();
    for (const listed of ranked.slice(0, 3000)) {
      for (const form of [
        listed,
        capital(listed),
        `${listed}1!`,
        `${capital(listed)}123`,
        `${listed}2024`,
        `${listed}!!`,
      ]) {
        if (form.length >= PASSWORD_MIN && form.length - listed.length <= 4) tried.add(form);
      }
    }
    expect(tried.size).toBeGreaterThanOrEqual(3000);
    const accepted = [...tried].filter((p) => !isCommonPassword(p));
    expect(accepted).toEqual([]);
  });

  it("does not refuse a passphrase for containing a listed word", () => {
    for (const password of ["correct-horse-battery-staple", "sunflower meadow at dawn", "wsis-demo-2027!"])
      expect(checkPassword(password)).toBeNull();
  });

  it("refuses one character repeated", () => {
    expect(checkPassword("aaaaaaaaaaaa")).toBe("This password is too common. Choose another one.");
    expect(checkPassword("............")).toBe("This password is too common. Choose another one.");
  });

  it("refuses a password containing the local part of the email address", () => {
    expect(checkPassword("my-ada.lovelace-2026", "ada.lovelace@example.org")).toBe(
      "Do not use your email address in your password.",
    );
    expect(checkPassword("xxADA.LOVELACExx", "ada.lovelace@example.org")).toBe(
      "Do not use your email address in your password.",
    );
    // Very short local parts are too common a substring to refuse on.
    expect(checkPassword("ada-and-bob-rule", "ada@example.org")).toBeNull();
  });
});

describe("password rules in the browser-safe schemas", () => {
  it("agree with the server policy on length", () => {
    expect(PASSWORD_MIN_LENGTH).toBe(PASSWORD_MIN);
    expect(PASSWORD_MAX_LENGTH).toBe(PASSWORD_MAX);
  });

  const base = { name: "Ada Lovelace", email: "ada@example.org" };

  it("register: refuses short and overlong passwords with the policy's messages", () => {
    const short = RegisterSchema.safeParse({ ...base, password: "short" });
    expect(short.success).toBe(false);
    expect(short.error?.issues[0]).toMatchObject({
      path: ["password"],
      message: "Use at least 10 characters.",
    });
    const long = RegisterSchema.safeParse({ ...base, password: "k".repeat(129) });
    expect(long.error?.issues[0]).toMatchObject({
      path: ["password"],
      message: "Use at most 128 characters.",
    });
    expect(RegisterSchema.safeParse({ ...base, password: "correct-horse-battery-staple" }).success).toBe(
      true,
    );
  });

  it("register: missing fields give one readable message each", () => {
    const result = RegisterSchema.safeParse({});
    expect(result.success).toBe(false);
    const byField = Object.fromEntries(
      (result.error?.issues ?? []).map((i) => [String(i.path[0]), i.message]),
    );
    expect(byField).toEqual({
      name: "Enter your full name.",
      email: "Enter your email address.",
      password: "Choose a password.",
    });
  });

  it("register: trims the name and the address, refuses a 10 kB address", () => {
    const ok = RegisterSchema.safeParse({
      ...base,
      name: "  Ada  ",
      email: " ada@example.org ",
      password: "kq7-vmz-pl-x",
    });
    expect(ok.data).toMatchObject({ name: "Ada", email: "ada@example.org" });
    const huge = RegisterSchema.safeParse({
      ...base,
      email: `${"a".repeat(10_000)}@example.org`,
      password: "kq7-vmz-pl-x",
    });
    expect(huge.error?.issues[0]).toMatchObject({
      path: ["email"],
      message: "An email address has at most 254 characters.",
    });
    const bad = RegisterSchema.safeParse({ ...base, email: "not an address", password: "kq7-vmz-pl-x" });
    expect(bad.error?.issues[0]).toMatchObject({
      path: ["email"],
      message: "Enter an email address such as name@example.org.",
    });
  });

  it.each([
    "Ada Lovelace",
    "José María Ñúñez-O'Brien",
    "J.R.R. Tolkien",
    "Dr. Ada Lovelace Jr.",
    "李小龙",
    "محمد‌رضا",
    "N. 2",
  ])("register: accepts the plain name %j", (name) => {
    expect(RegisterSchema.safeParse({ ...base, name, password: "kq7-vmz-pl-x" }).success).toBe(true);
  });

  it.each([
    ["Win a prize at https://evil.example", "Enter your name only, without web or email addresses."],
    ["Visit www.evil.example now", "Enter your name only, without web or email addresses."],
    ["claim evil.example", "Enter your name only, without web or email addresses."],
    ["bit.ly/abc", "Enter your name only, without web or email addresses."],
    ["x.com", "Enter your name only, without web or email addresses."],
    ["hxxp://evil", "Enter your name only, without web or email addresses."],
    ["write to me@evil.example", "Enter your name only, without web or email addresses."],
    ["Ada\u0000Lovelace", "Your name cannot contain control or invisible characters."],
    ["Ada\nClick here", "Your name cannot contain control or invisible characters."],
    ["Ada \u202eelpmaxe.live", "Your name cannot contain control or invisible characters."],
    ["A".repeat(101), "Use at most 100 characters."],
  ])("register: refuses the name %j with a field error", (name, message) => {
    const result = RegisterSchema.safeParse({ ...base, name, password: "kq7-vmz-pl-x" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ["name"], message });
  });

  it("sign-in never judges the stored password by today's policy", () => {
    expect(LoginSchema.safeParse({ email: "ada@example.org", password: "old" }).success).toBe(true);
    expect(LoginSchema.safeParse({ email: "ada@example.org", password: "" }).error?.issues[0].message).toBe(
      "Enter your password.",
    );
  });

  it("sign-in drops an odd redirectTo instead of refusing the form", () => {
    const parsed = LoginSchema.safeParse({
      email: "ada@example.org",
      password: "x",
      redirectTo: "/".repeat(3000),
    });
    expect(parsed.success).toBe(true);
    expect(parsed.data?.redirectTo).toBeUndefined();
  });

  it("reset and change of password apply the length rule to the new password", () => {
    const token = "a".repeat(43);
    expect(ResetPasswordSchema.safeParse({ token, password: "short" }).error?.issues[0].path).toEqual([
      "password",
    ]);
    expect(ResetPasswordSchema.safeParse({ token: "bad token!", password: "kq7-vmz-pl-x" }).success).toBe(
      false,
    );
    const change = ChangePasswordSchema.safeParse({
      intent: "change-password",
      currentPassword: "x",
      newPassword: "y",
    });
    expect(change.error?.issues[0]).toMatchObject({
      path: ["newPassword"],
      message: "Use at least 10 characters.",
    });
  });
});
