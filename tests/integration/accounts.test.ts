import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TOKEN_TTL_MINUTES,
  authenticate,
  changePassword,
  confirmEmailChange,
  confirmEmailLink,
  inspectToken,
  register,
  requestEmailChange,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  verifyEmail,
} from "../../app/domain/accounts.server";
import { hashToken } from "../../app/utils/session.server";
import { createSession } from "../../app/utils/session.server";
import type { Db } from "../../db/client";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";

const T0 = new Date("2026-03-01T09:00:00.000Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const STRONG = "correct-horse-battery-staple";

/** The one-time token in an emailed link. */
function tokenIn(text: string): string {
  const m = /\?token=([A-Za-z0-9_-]+)/.exec(text);
  if (!m) throw new Error(`no token link in:\n${text}`);
  return m[1];
}

async function outboxTo(db: Db, to: string) {
  return db.selectFrom("outbox").selectAll().where("to_address", "=", to).orderBy("id").execute();
}

async function userBy(db: Db, email: string) {
  return db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirstOrThrow();
}

async function counts(db: Db) {
  const [users, tokens, outbox, sessions] = await Promise.all(
    (["users", "tokens", "outbox", "sessions"] as const).map((t) =>
      db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ),
  );
  return { users: users.n, tokens: tokens.n, outbox: outbox.n, sessions: sessions.n };
}

/** A full snapshot of the account tables, to prove that a refused call wrote nothing. */
async function snapshot(db: Db) {
  return {
    users: await db.selectFrom("users").selectAll().orderBy("id").execute(),
    tokens: await db.selectFrom("tokens").selectAll().orderBy("id").execute(),
    outbox: await db.selectFrom("outbox").select(["id", "idempotency_key"]).orderBy("id").execute(),
    sessions: await db.selectFrom("sessions").select(["id", "user_id"]).orderBy("id").execute(),
  };
}

describe.each(DIALECTS)("accounts on %s", (dialect) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    db = t.db;
  });
  afterAll(async () => {
    await t.cleanup();
  });

  /** Registers and returns the user and the token of its confirmation email. */
  async function registered(email: string, name = "Ada Lovelace", password = STRONG) {
    const result = await register({ name, email, password, now: T0 }, db);
    expect(result).toMatchObject({ ok: true, created: true });
    const mail = (await outboxTo(db, email)).find((m) => m.kind === "verify_email");
    if (!mail) throw new Error("no confirmation email");
    return { user: await userBy(db, email), token: tokenIn(mail.text), result };
  }

  describe("register", () => {
    it("creates an unverified voter, stores the token hashed and queues the confirmation email", async () => {
      const { user, token, result } = await registered("ada@example.org");
      expect(user).toMatchObject({
        name: "Ada Lovelace",
        email: "ada@example.org",
        email_canonical: "ada@example.org",
        email_verified_at: null,
        created_at: T0.toISOString(),
      });
      expect(user.password_hash).toMatch(/^scrypt\$/);
      expect(user.password_hash).not.toContain(STRONG);
      const roles = await db.selectFrom("user_roles").select("role").where("user_id", "=", user.id).execute();
      expect(roles.map((r) => r.role)).toEqual(["voter"]);

      const tokens = await db.selectFrom("tokens").selectAll().where("user_id", "=", user.id).execute();
      expect(tokens).toHaveLength(1);
      expect(tokens[0]).toMatchObject({
        kind: "verify_email",
        token_hash: hashToken(token),
        used_at: null,
        expires_at: minutes(TOKEN_TTL_MINUTES.verify_email).toISOString(),
      });
      expect(tokens[0].token_hash).not.toBe(token);
      expect(TOKEN_TTL_MINUTES.verify_email).toBe(48 * 60);

      const [mail] = await outboxTo(db, "ada@example.org");
      expect(result.ok && result.outbox).toEqual([mail.id]);
      expect(mail).toMatchObject({
        kind: "verify_email",
        status: "queued",
        subject: "Confirm your email address for the WSIS Prizes",
        idempotency_key: `verify_email:${tokens[0].id}`,
      });
      expect(mail.text).toContain(`http://127.0.0.1:3000/verify-email?token=${token}`);
      expect(mail.html).toContain(`http://127.0.0.1:3000/verify-email?token=${token}`);
      expect(mail.text).toContain("Hello Ada Lovelace");
    });

    it("refuses a common password before anything is written, even for a taken address", async () => {
      const before = await snapshot(db);
      for (const email of ["new@example.org", "ada@example.org"]) {
        const result = await register({ name: "X", email, password: "password123", now: T0 }, db);
        expect(result).toEqual({
          ok: false,
          errors: { password: "This password is too common. Choose another one." },
        });
      }
      expect(await snapshot(db)).toEqual(before);
    });

    it("creates one account per mailbox: other spellings notify the owner instead, once an hour", async () => {
      await registered("jane.doe@gmail.com", "Jane Doe");
      const before = await counts(db);
      for (const email of ["janedoe@gmail.com", "Jane.Doe+prizes@googlemail.com", "JANE.DOE@GMAIL.COM"]) {
        const result = await register(
          { name: "Mallory", email, password: "another-long-passphrase", now: T0 },
          db,
        );
        expect(result).toMatchObject({ ok: true, created: false });
      }
      const after = await counts(db);
      expect(after.users).toBe(before.users);
      expect(after.tokens).toBe(before.tokens);
      const notices = (await outboxTo(db, "jane.doe@gmail.com")).filter((m) => m.kind === "account_exists");
      expect(notices).toHaveLength(1);
      expect(notices[0].subject).toBe("Someone tried to register with your email address");
      expect(notices[0].text).toContain("Hello Jane Doe");
      expect(notices[0].text).toContain("http://127.0.0.1:3000/forgot-password");
      // The first account's password is untouched.
      expect(await authenticate({ email: "jane.doe@gmail.com", password: STRONG }, db)).not.toBeNull();
      expect(
        await authenticate({ email: "jane.doe@gmail.com", password: "another-long-passphrase" }, db),
      ).toBeNull();

      const later = await register(
        { name: "M", email: "janedoe@gmail.com", password: STRONG, now: minutes(61) },
        db,
      );
      expect(later).toMatchObject({ ok: true, created: false });
      expect(
        (await outboxTo(db, "jane.doe@gmail.com")).filter((m) => m.kind === "account_exists"),
      ).toHaveLength(2);
    });

    it("two concurrent registrations of one address make one account", async () => {
      const results = await Promise.all(
        ["race@example.org", "Race@Example.org", "race+1@example.org"].map((email) =>
          register({ name: "Racer", email, password: STRONG, now: T0 }, db),
        ),
      );
      expect(results.filter((r) => r.ok && r.created)).toHaveLength(1);
      const rows = await db
        .selectFrom("users")
        .select("id")
        .where("email_canonical", "=", "race@example.org")
        .execute();
      expect(rows).toHaveLength(1);
    });
  });

  describe("verifyEmail", () => {
    it("confirms the address once; the link then no longer works", async () => {
      const { user, token } = await registered("grace@example.org", "Grace Hopper");
      expect(await inspectToken({ token, kinds: ["verify_email"], now: minutes(5) }, db)).toEqual({
        kind: "verify_email",
        newEmail: null,
      });
      expect(await verifyEmail({ token, now: minutes(5) }, db)).toEqual({
        ok: true,
        userId: user.id,
        outbox: [],
      });
      expect((await userBy(db, "grace@example.org")).email_verified_at).toBe(minutes(5).toISOString());
      const before = await snapshot(db);
      expect(await verifyEmail({ token, now: minutes(6) }, db)).toEqual({ ok: false, reason: "invalid" });
      expect(await inspectToken({ token, kinds: ["verify_email"], now: minutes(6) }, db)).toBeNull();
      expect(await snapshot(db)).toEqual(before);
    });

    it("refuses an expired link (48 hours) and writes nothing", async () => {
      const { token } = await registered("late@example.org");
      const before = await snapshot(db);
      const expiry = minutes(TOKEN_TTL_MINUTES.verify_email);
      expect(await verifyEmail({ token, now: expiry }, db)).toEqual({ ok: false, reason: "invalid" });
      expect(await verifyEmail({ token, now: minutes(49 * 60) }, db)).toEqual({
        ok: false,
        reason: "invalid",
      });
      expect(await snapshot(db)).toEqual(before);
      // One millisecond earlier it still works.
      const justBefore = new Date(expiry.getTime() - 1);
      expect(await verifyEmail({ token, now: justBefore }, db)).toMatchObject({ ok: true });
    });

    it("refuses unknown, malformed and wrong-kind tokens", async () => {
      const before = await snapshot(db);
      for (const token of ["", "x", "a".repeat(43), "not a token!", "a".repeat(500)]) {
        expect(await verifyEmail({ token, now: T0 }, db)).toEqual({ ok: false, reason: "invalid" });
        expect(await confirmEmailLink({ token, now: T0 }, db)).toEqual({ ok: false, reason: "invalid" });
      }
      await registered("kinds@example.org");
      await requestPasswordReset({ email: "kinds@example.org", now: T0 }, db);
      const reset = (await outboxTo(db, "kinds@example.org")).find((m) => m.kind === "reset_password");
      const resetToken = tokenIn(reset?.text ?? "");
      expect(await verifyEmail({ token: resetToken, now: T0 }, db)).toEqual({ ok: false, reason: "invalid" });
      expect(await confirmEmailLink({ token: resetToken, now: T0 }, db)).toEqual({
        ok: false,
        reason: "invalid",
      });
      expect(before.users.length + 1).toBe((await snapshot(db)).users.length);
      expect((await userBy(db, "kinds@example.org")).email_verified_at).toBeNull();
    });

    it("a link works once even when used twice at the same moment", async () => {
      const { token } = await registered("twice@example.org");
      const results = await Promise.all([1, 2, 3, 4].map(() => verifyEmail({ token, now: minutes(1) }, db)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    it("resendVerification sends a new link; the old one keeps working until used or expired", async () => {
      const { user, token } = await registered("resend@example.org");
      const again = await resendVerification({ userId: user.id, now: minutes(10) }, db);
      expect(again.ok).toBe(true);
      const mails = (await outboxTo(db, "resend@example.org")).filter((m) => m.kind === "verify_email");
      expect(mails).toHaveLength(2);
      const second = tokenIn(mails[1].text);
      expect(second).not.toBe(token);
      expect(await verifyEmail({ token: second, now: minutes(11) }, db)).toMatchObject({ ok: true });
      expect(await resendVerification({ userId: user.id, now: minutes(12) }, db)).toEqual({
        ok: false,
        reason: "already_verified",
      });
      expect(await resendVerification({ userId: 999_999, now: minutes(12) }, db)).toEqual({
        ok: false,
        reason: "no_user",
      });
    });
  });

  describe("authenticate", () => {
    it("answers null alike for an unknown address and a wrong password", async () => {
      await registered("turing@example.org", "Alan Turing");
      const ok = await authenticate({ email: "Turing@Example.org", password: STRONG }, db);
      expect(ok?.email).toBe("turing@example.org");
      expect(await authenticate({ email: "turing+x@example.org", password: STRONG }, db)).not.toBeNull();
      expect(await authenticate({ email: "turing@example.org", password: `${STRONG}!` }, db)).toBeNull();
      expect(await authenticate({ email: "nobody@example.org", password: STRONG }, db)).toBeNull();
    });
  });

  describe("password reset", () => {
    it("does nothing for an unknown address", async () => {
      const before = await snapshot(db);
      expect(await requestPasswordReset({ email: "ghost@example.org", now: T0 }, db)).toEqual({ outbox: [] });
      expect(await snapshot(db)).toEqual(before);
    });

    it("sets the new password once, signs the user out everywhere and confirms the address", async () => {
      const { user } = await registered("reset@example.org", "Rosalind Franklin");
      await createSession(db, user.id, { ip: "192.0.2.1", userAgent: "a" }, T0);
      await createSession(db, user.id, { ip: "192.0.2.2", userAgent: "b" }, T0);
      const { outbox } = await requestPasswordReset({ email: "RESET@example.org", now: T0 }, db);
      expect(outbox).toHaveLength(1);
      const mail = (await outboxTo(db, "reset@example.org")).find((m) => m.kind === "reset_password");
      expect(mail?.subject).toBe("Reset your WSIS Prizes password");
      const token = tokenIn(mail?.text ?? "");
      expect(mail?.text).toContain(`http://127.0.0.1:3000/reset-password?token=${token}`);
      expect(mail?.text).toContain("expires in 60 minutes");

      // A refused password does not spend the link.
      expect(await resetPassword({ token, password: "password123", now: minutes(5) }, db)).toEqual({
        ok: false,
        reason: "weak",
        message: "This password is too common. Choose another one.",
      });
      expect(await resetPassword({ token, password: "a-brand-new-passphrase", now: minutes(6) }, db)).toEqual(
        {
          ok: true,
          userId: user.id,
        },
      );
      const sessions = await db.selectFrom("sessions").select("id").where("user_id", "=", user.id).execute();
      expect(sessions).toHaveLength(0);
      expect(
        await authenticate({ email: "reset@example.org", password: "a-brand-new-passphrase" }, db),
      ).not.toBeNull();
      expect(await authenticate({ email: "reset@example.org", password: STRONG }, db)).toBeNull();
      expect((await userBy(db, "reset@example.org")).email_verified_at).toBe(minutes(6).toISOString());

      const before = await snapshot(db);
      expect(await resetPassword({ token, password: "yet-another-passphrase", now: minutes(7) }, db)).toEqual(
        {
          ok: false,
          reason: "invalid",
        },
      );
      expect(await snapshot(db)).toEqual(before);
    });

    it("expires after 60 minutes, and a reset ends the user's other reset links", async () => {
      const { user } = await registered("expire@example.org");
      await requestPasswordReset({ email: "expire@example.org", now: T0 }, db);
      await requestPasswordReset({ email: "expire@example.org", now: minutes(30) }, db);
      const [first, second] = (await outboxTo(db, "expire@example.org"))
        .filter((m) => m.kind === "reset_password")
        .map((m) => tokenIn(m.text));
      const before = await snapshot(db);
      expect(
        await resetPassword({ token: first, password: "a-brand-new-passphrase", now: minutes(60) }, db),
      ).toEqual({
        ok: false,
        reason: "invalid",
      });
      expect(
        await inspectToken({ token: first, kinds: ["reset_password"], now: minutes(60) }, db),
      ).toBeNull();
      expect(await snapshot(db)).toEqual(before);
      expect(
        await inspectToken({ token: second, kinds: ["reset_password"], now: minutes(60) }, db),
      ).not.toBeNull();
      expect(
        await resetPassword({ token: second, password: "a-brand-new-passphrase", now: minutes(61) }, db),
      ).toEqual({
        ok: true,
        userId: user.id,
      });
      const open = await db
        .selectFrom("tokens")
        .select("id")
        .where("user_id", "=", user.id)
        .where("kind", "=", "reset_password")
        .where("used_at", "is", null)
        .execute();
      expect(open).toHaveLength(0);
    });

    it("a reset link works once under concurrency", async () => {
      await registered("concurrent-reset@example.org");
      await requestPasswordReset({ email: "concurrent-reset@example.org", now: T0 }, db);
      const mail = (await outboxTo(db, "concurrent-reset@example.org")).find(
        (m) => m.kind === "reset_password",
      );
      const token = tokenIn(mail?.text ?? "");
      const results = await Promise.all(
        ["first-new-passphrase", "second-new-passphrase", "third-new-passphrase"].map((password) =>
          resetPassword({ token, password, now: minutes(1) }, db),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });
  });

  describe("change of email", () => {
    it("checks the current password and refuses the same address", async () => {
      const { user } = await registered("change@example.org", "Katherine Johnson");
      const before = await snapshot(db);
      expect(
        await requestEmailChange(
          { userId: user.id, currentPassword: "wrong", newEmail: "kj@example.org", now: T0 },
          db,
        ),
      ).toEqual({ ok: false, errors: { currentPassword: "Your current password is incorrect." } });
      expect(
        await requestEmailChange(
          { userId: user.id, currentPassword: STRONG, newEmail: "Change+x@example.org", now: T0 },
          db,
        ),
      ).toEqual({ ok: false, errors: { email: "This is already the email address of your account." } });
      expect(await snapshot(db)).toEqual(before);
    });

    it("moves the account to the new address once confirmed, and tells the old address", async () => {
      const { user, token: verifyToken } = await registered("old@example.org", "Dorothy Vaughan");
      const asked = await requestEmailChange(
        { userId: user.id, currentPassword: STRONG, newEmail: " new@example.org ", now: T0 },
        db,
      );
      expect(asked.ok).toBe(true);
      expect((await userBy(db, "old@example.org")).pending_email).toBe("new@example.org");
      const [mail] = await outboxTo(db, "new@example.org");
      expect(mail).toMatchObject({
        kind: "change_email",
        subject: "Confirm your new email address for the WSIS Prizes",
      });
      const token = tokenIn(mail.text);
      expect(mail.text).toContain(`http://127.0.0.1:3000/verify-email?token=${token}`);
      expect(
        await inspectToken({ token, kinds: ["verify_email", "change_email"], now: minutes(1) }, db),
      ).toEqual({
        kind: "change_email",
        newEmail: "new@example.org",
      });
      // Signing in still uses the old address until the change is confirmed.
      expect(await authenticate({ email: "new@example.org", password: STRONG }, db)).toBeNull();

      expect(await confirmEmailLink({ token, now: minutes(2) }, db)).toMatchObject({
        ok: true,
        userId: user.id,
      });
      const after = await db
        .selectFrom("users")
        .selectAll()
        .where("id", "=", user.id)
        .executeTakeFirstOrThrow();
      expect(after).toMatchObject({
        email: "new@example.org",
        email_canonical: "new@example.org",
        email_verified_at: minutes(2).toISOString(),
        pending_email: null,
      });
      const notice = (await outboxTo(db, "old@example.org")).find((m) => m.kind === "email_changed");
      expect(notice?.subject).toBe("Your WSIS Prizes email address was changed");
      expect(notice?.text).toContain("new@example.org");
      expect(await authenticate({ email: "new@example.org", password: STRONG }, db)).not.toBeNull();
      expect(await authenticate({ email: "old@example.org", password: STRONG }, db)).toBeNull();

      // Spent, and the confirmation link for the old address no longer applies.
      expect(await confirmEmailChange({ token, now: minutes(3) }, db)).toEqual({
        ok: false,
        reason: "invalid",
      });
      expect(await verifyEmail({ token: verifyToken, now: minutes(3) }, db)).toEqual({
        ok: false,
        reason: "invalid",
      });
    });

    it("only the latest change asked for can be confirmed", async () => {
      const { user } = await registered("latest@example.org");
      for (const newEmail of ["first@example.org", "second@example.org"]) {
        await requestEmailChange({ userId: user.id, currentPassword: STRONG, newEmail, now: T0 }, db);
      }
      const first = tokenIn((await outboxTo(db, "first@example.org"))[0].text);
      const second = tokenIn((await outboxTo(db, "second@example.org"))[0].text);
      expect(await confirmEmailChange({ token: first, now: minutes(1) }, db)).toEqual({
        ok: false,
        reason: "invalid",
      });
      expect(await confirmEmailChange({ token: second, now: minutes(1) }, db)).toMatchObject({ ok: true });
      expect(
        (await db.selectFrom("users").select("email").where("id", "=", user.id).executeTakeFirstOrThrow())
          .email,
      ).toBe("second@example.org");
    });

    it("an address that has an account gets a notice; the requester sees exactly what a free one gives", async () => {
      const { user } = await registered("mover@example.org");
      const { user: other } = await registered("mover-2@example.org");
      await registered("owner@example.org", "Owner");
      const taken = await requestEmailChange(
        { userId: user.id, currentPassword: STRONG, newEmail: "OWNER+x@example.org", now: T0 },
        db,
      );
      const free = await requestEmailChange(
        { userId: other.id, currentPassword: STRONG, newEmail: "nobody-yet@example.org", now: T0 },
        db,
      );
      // Same answer, same pending address stored and shown on the account page.
      expect(taken.ok && free.ok).toBe(true);
      expect(Object.keys(taken)).toEqual(Object.keys(free));
      expect((await userBy(db, "mover@example.org")).pending_email).toBe("OWNER+x@example.org");
      expect((await userBy(db, "mover-2@example.org")).pending_email).toBe("nobody-yet@example.org");
      // The owner is told, with no link; the account keeps its address and no link can move it.
      const notices = (await outboxTo(db, "owner@example.org")).filter((m) => m.kind === "email_in_use");
      expect(notices).toHaveLength(1);
      expect(notices[0].text).not.toMatch(/token=/);
      expect(await outboxTo(db, "OWNER+x@example.org")).toEqual([]);
      const tokens = await db
        .selectFrom("tokens")
        .select("id")
        .where("user_id", "=", user.id)
        .where("kind", "=", "change_email")
        .execute();
      expect(tokens).toEqual([]);
      expect((await userBy(db, "mover@example.org")).email_canonical).toBe("mover@example.org");
    });

    it("refuses, writing nothing, when another account took the address meanwhile", async () => {
      const { user } = await registered("slow@example.org");
      await requestEmailChange(
        { userId: user.id, currentPassword: STRONG, newEmail: "contested@example.org", now: T0 },
        db,
      );
      const token = tokenIn((await outboxTo(db, "contested@example.org"))[0].text);
      await registered("contested@example.org", "Quick");
      const before = await snapshot(db);
      expect(await confirmEmailLink({ token, now: minutes(1) }, db)).toEqual({ ok: false, reason: "taken" });
      expect(await snapshot(db)).toEqual(before);
    });

    it("expires after 48 hours", async () => {
      const { user } = await registered("slowpoke@example.org");
      await requestEmailChange(
        { userId: user.id, currentPassword: STRONG, newEmail: "later@example.org", now: T0 },
        db,
      );
      const token = tokenIn((await outboxTo(db, "later@example.org"))[0].text);
      const before = await snapshot(db);
      expect(await confirmEmailLink({ token, now: minutes(48 * 60) }, db)).toEqual({
        ok: false,
        reason: "invalid",
      });
      expect(await snapshot(db)).toEqual(before);
    });
  });

  describe("changePassword", () => {
    it("needs the current password, applies the policy, keeps this session and ends the others", async () => {
      const { user } = await registered("sessions@example.org");
      const here = await createSession(db, user.id, { ip: "192.0.2.1", userAgent: null }, T0);
      await createSession(db, user.id, { ip: "192.0.2.2", userAgent: null }, T0);
      const keepSessionId = hashToken(here.token);
      const base = { userId: user.id, keepSessionId, now: minutes(1) };
      const before = await snapshot(db);
      expect(
        await changePassword({ ...base, currentPassword: "nope", newPassword: "a-brand-new-passphrase" }, db),
      ).toEqual({
        ok: false,
        errors: { currentPassword: "Your current password is incorrect." },
      });
      expect(
        await changePassword({ ...base, currentPassword: STRONG, newPassword: "qwertyuiop" }, db),
      ).toEqual({
        ok: false,
        errors: { newPassword: "This password is too common. Choose another one." },
      });
      expect(await snapshot(db)).toEqual(before);
      expect(
        await changePassword({ ...base, currentPassword: STRONG, newPassword: "a-brand-new-passphrase" }, db),
      ).toEqual({
        ok: true,
      });
      const left = await db.selectFrom("sessions").select("id").where("user_id", "=", user.id).execute();
      expect(left.map((s) => s.id)).toEqual([keepSessionId]);
      expect(
        await authenticate({ email: "sessions@example.org", password: "a-brand-new-passphrase" }, db),
      ).not.toBeNull();
    });
  });
});
