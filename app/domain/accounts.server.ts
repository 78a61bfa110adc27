import type { Transaction } from "kysely";
import { isUniqueViolation, type Db } from "../../db/client";
import type { Database, TokenKind, User } from "../../db/schema";
import { confirmNewEmail, emailChangedNotice, emailInUseNotice } from "../../emails/templates/change-email";
import { resetPassword as resetPasswordEmail } from "../../emails/templates/reset-password";
import { accountExists, verifyEmail as verifyEmailContent } from "../../emails/templates/verify-email";
import { db } from "../utils/db.server";
import { env } from "../utils/env.server";
import { dummyHash, hashPassword, verifyPassword } from "../utils/password.server";
import { hashToken, newToken } from "../utils/session.server";
import { isDisposableEmail } from "./disposable.server";
import { canonicalEmail } from "./email";
import { queueEmail } from "./outbox.server";
import { checkPassword } from "./password-policy.server";
import { findUserByEmail } from "./users.server";

/** How long each emailed link works. */
export const TOKEN_TTL_MINUTES: Record<TokenKind, number> = {
  verify_email: 48 * 60,
  reset_password: 60,
  change_email: 48 * 60,
};

type Trx = Transaction<Database>;

/** Outbox rows written by a call, to hand to dispatchOutbox() once the transaction has committed. */
type Outbox = number[];

// Computed once in the background, so the first sign-in with an unknown address is not slower than the rest.
void dummyHash();

function link(path: string, token: string): string {
  return `${env().APP_URL}${path}?token=${encodeURIComponent(token)}`;
}

/** One-hour bucket for idempotency keys of notices, so a flood of attempts sends the owner one email an hour. */
function hourBucket(now: Date): string {
  return now.toISOString().slice(0, 13);
}

function ids(...rows: Array<number | null>): Outbox {
  return rows.filter((id): id is number => id !== null);
}

/**
 * Stores a new single-use token (hashed) and returns its row id and the clear token for the link.
 * `address` is the address the link is sent to: the token only works while it is still the relevant one.
 */
async function issueToken(
  trx: Trx,
  input: { userId: number; kind: TokenKind; address: string; now: Date },
): Promise<{ id: number; token: string }> {
  const token = newToken();
  const expires = new Date(input.now.getTime() + TOKEN_TTL_MINUTES[input.kind] * 60_000);
  const row = await trx
    .insertInto("tokens")
    .values({
      user_id: input.userId,
      kind: input.kind,
      token_hash: hashToken(token),
      new_email: input.address,
      expires_at: expires.toISOString(),
      used_at: null,
      created_at: input.now.toISOString(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: row.id, token };
}

/** A usable token of one of `kinds` (unused, unexpired) with its user, or undefined. Reads only. */
async function findLiveToken(database: Db | Trx, token: string, kinds: readonly TokenKind[], now: Date) {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
  return database
    .selectFrom("tokens")
    .innerJoin("users", "users.id", "tokens.user_id")
    .select([
      "tokens.id",
      "tokens.kind",
      "tokens.user_id",
      "tokens.new_email",
      "users.name",
      "users.email",
      "users.email_canonical",
      "users.pending_email",
    ])
    .where("tokens.token_hash", "=", hashToken(token))
    .where("tokens.kind", "in", kinds)
    .where("tokens.used_at", "is", null)
    .where("tokens.expires_at", ">", now.toISOString())
    .executeTakeFirst();
}

/**
 * Marks a token used if it still is usable. The condition sits in the UPDATE itself, so of two concurrent
 * uses exactly one sees a row affected.
 */
async function consumeToken(trx: Trx, tokenId: number, now: Date): Promise<boolean> {
  const result = await trx
    .updateTable("tokens")
    .set({ used_at: now.toISOString() })
    .where("id", "=", tokenId)
    .where("used_at", "is", null)
    .where("expires_at", ">", now.toISOString())
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Thrown inside a transaction to roll it back when a token turned out to be already used. */
class TokenAlreadyUsed extends Error {}

async function queueVerification(
  trx: Trx,
  user: Pick<User, "id" | "name" | "email">,
  now: Date,
): Promise<number | null> {
  const { id, token } = await issueToken(trx, {
    userId: user.id,
    kind: "verify_email",
    address: user.email,
    now,
  });
  return queueEmail(trx, {
    key: `verify_email:${id}`,
    kind: "verify_email",
    to: user.email,
    content: verifyEmailContent({
      name: user.name,
      url: link("/verify-email", token),
      hours: TOKEN_TTL_MINUTES.verify_email / 60,
    }),
    now,
  });
}

export type RegisterResult =
  | { ok: true; created: boolean; outbox: Outbox }
  | { ok: false; errors: { password?: string; email?: string } };

/**
 * Registers a voter and emails a confirmation link. When the address (in any spelling that canonicalises
 * the same) already has an account, nothing is created and its owner is told instead; the caller answers
 * the same in both cases, and both cost one password hash, so the answer and its timing reveal nothing.
 */
export async function register(
  input: { name: string; email: string; password: string; now: Date },
  database: Db = db(),
): Promise<RegisterResult> {
  const weak = checkPassword(input.password, input.email);
  if (weak) return { ok: false, errors: { password: weak } };
  // Disposable addresses are refused (DESIGN §5): saying so reveals nothing about any account.
  if (isDisposableEmail(input.email)) {
    return {
      ok: false,
      errors: { email: "Disposable email addresses cannot be used. Please use an address you will keep." },
    };
  }
  const email = input.email.trim();
  const passwordHash = await hashPassword(input.password);
  const existing = await findUserByEmail(email, database);
  if (existing)
    return { ok: true, created: false, outbox: await notifyExistingOwner(database, existing, input.now) };
  try {
    const outboxId = await database.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto("users")
        .values({
          email,
          email_canonical: canonicalEmail(email),
          name: input.name.trim(),
          password_hash: passwordHash,
          email_verified_at: null,
          pending_email: null,
          created_at: input.now.toISOString(),
        })
        .returning(["id", "name", "email"])
        .executeTakeFirstOrThrow();
      await trx
        .insertInto("user_roles")
        .values({ user_id: user.id, role: "voter", granted_by: null, created_at: input.now.toISOString() })
        .execute();
      return queueVerification(trx, user, input.now);
    });
    return { ok: true, created: true, outbox: ids(outboxId) };
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    // Registered by a concurrent request between our read and our insert: same answer as above.
    const raced = await findUserByEmail(email, database);
    if (!raced) throw e;
    return { ok: true, created: false, outbox: await notifyExistingOwner(database, raced, input.now) };
  }
}

async function notifyExistingOwner(database: Db, user: User, now: Date): Promise<Outbox> {
  const base = env().APP_URL;
  const id = await queueEmail(database, {
    key: `account_exists:${user.id}:${hourBucket(now)}`,
    kind: "account_exists",
    to: user.email,
    content: accountExists({
      name: user.name,
      signInUrl: `${base}/login`,
      resetUrl: `${base}/forgot-password`,
    }),
    now,
  });
  return ids(id);
}

/** Sends a new confirmation link to an unverified user; refuses when the address is already confirmed. */
export async function resendVerification(
  input: { userId: number; now: Date },
  database: Db = db(),
): Promise<{ ok: true; outbox: Outbox } | { ok: false; reason: "already_verified" | "no_user" }> {
  const user = await database
    .selectFrom("users")
    .selectAll()
    .where("id", "=", input.userId)
    .executeTakeFirst();
  if (!user) return { ok: false, reason: "no_user" };
  if (user.email_verified_at !== null) return { ok: false, reason: "already_verified" };
  const id = await database.transaction().execute((trx) => queueVerification(trx, user, input.now));
  return { ok: true, outbox: ids(id) };
}

/** What a GET of an emailed link may show before the user confirms with a POST (nothing is written). */
export async function inspectToken(
  input: { token: string; kinds: readonly TokenKind[]; now: Date },
  database: Db = db(),
): Promise<{ kind: TokenKind; newEmail: string | null } | null> {
  const row = await findLiveToken(database, input.token, input.kinds, input.now);
  if (!row || !tokenStillApplies(row)) return null;
  return { kind: row.kind, newEmail: row.kind === "change_email" ? row.new_email : null };
}

/**
 * A token is tied to the address it was sent to: a confirmation or reset link for an address the account
 * no longer uses, or a change link that is not the latest change asked for, no longer works.
 */
function tokenStillApplies(row: {
  kind: TokenKind;
  new_email: string | null;
  email_canonical: string;
  pending_email: string | null;
}): boolean {
  if (row.new_email === null) return false;
  if (row.kind === "change_email") return row.pending_email === row.new_email;
  return canonicalEmail(row.new_email) === row.email_canonical;
}

export type TokenResult =
  { ok: true; userId: number; outbox: Outbox } | { ok: false; reason: "invalid" | "taken" };

/** Confirms a registration address with a verify_email token: works once, before it expires. */
export async function verifyEmail(
  input: { token: string; now: Date },
  database: Db = db(),
): Promise<TokenResult> {
  const row = await findLiveToken(database, input.token, ["verify_email"], input.now);
  if (!row || !tokenStillApplies(row)) return { ok: false, reason: "invalid" };
  const used = await database.transaction().execute(async (trx) => {
    if (!(await consumeToken(trx, row.id, input.now))) return false;
    await trx
      .updateTable("users")
      .set({ email_verified_at: input.now.toISOString() })
      .where("id", "=", row.user_id)
      .where("email_verified_at", "is", null)
      .execute();
    return true;
  });
  return used ? { ok: true, userId: row.user_id, outbox: [] } : { ok: false, reason: "invalid" };
}

/** Asks to move an account to a new address: checks the current password, emails a link to the new one. */
export async function requestEmailChange(
  input: { userId: number; currentPassword: string; newEmail: string; now: Date },
  database: Db = db(),
): Promise<
  { ok: true; outbox: Outbox } | { ok: false; errors: { currentPassword?: string; email?: string } }
> {
  const user = await database
    .selectFrom("users")
    .selectAll()
    .where("id", "=", input.userId)
    .executeTakeFirst();
  if (!user || !(await verifyPassword(input.currentPassword, user.password_hash))) {
    return { ok: false, errors: { currentPassword: "Your current password is incorrect." } };
  }
  const newEmail = input.newEmail.trim();
  if (canonicalEmail(newEmail) === user.email_canonical) {
    return { ok: false, errors: { email: "This is already the email address of your account." } };
  }
  const owner = await findUserByEmail(newEmail, database);
  // The answer, and what the account page shows afterwards (the pending address), are the same whether or not
  // the address has an account, so the form cannot be used to find out. Only the mail differs: a taken
  // address gets a notice to its owner, never a link, so the change cannot complete.
  const id = await database.transaction().execute(async (trx) => {
    await trx.updateTable("users").set({ pending_email: newEmail }).where("id", "=", user.id).execute();
    if (owner) {
      return queueEmail(trx, {
        key: `email_in_use:${owner.id}:${hourBucket(input.now)}`,
        kind: "email_in_use",
        to: owner.email,
        content: emailInUseNotice({ name: owner.name }),
        now: input.now,
      });
    }
    const issued = await issueToken(trx, {
      userId: user.id,
      kind: "change_email",
      address: newEmail,
      now: input.now,
    });
    return queueEmail(trx, {
      key: `change_email:${issued.id}`,
      kind: "change_email",
      to: newEmail,
      content: confirmNewEmail({
        name: user.name,
        url: link("/verify-email", issued.token),
        hours: TOKEN_TTL_MINUTES.change_email / 60,
      }),
      now: input.now,
    });
  });
  return { ok: true, outbox: ids(id) };
}

/**
 * Completes a change of email with a change_email token: the new address becomes the account's (and counts
 * as confirmed), and the old address is told. Refused, writing nothing, when another account took the address
 * meanwhile (the unique address decides, so two accounts never share one); only the holder of the link,
 * who reads that mailbox, learns it.
 */
export async function confirmEmailChange(
  input: { token: string; now: Date },
  database: Db = db(),
): Promise<TokenResult> {
  const row = await findLiveToken(database, input.token, ["change_email"], input.now);
  if (!row || !tokenStillApplies(row) || row.new_email === null) return { ok: false, reason: "invalid" };
  const newEmail = row.new_email;
  try {
    const id = await database.transaction().execute(async (trx) => {
      if (!(await consumeToken(trx, row.id, input.now))) throw new TokenAlreadyUsed();
      await trx
        .updateTable("users")
        .set({
          email: newEmail,
          email_canonical: canonicalEmail(newEmail),
          email_verified_at: input.now.toISOString(),
          pending_email: null,
        })
        .where("id", "=", row.user_id)
        .execute();
      return queueEmail(trx, {
        key: `email_changed:${row.id}`,
        kind: "email_changed",
        to: row.email,
        content: emailChangedNotice({ name: row.name, newEmail }),
        now: input.now,
      });
    });
    return { ok: true, userId: row.user_id, outbox: ids(id) };
  } catch (e) {
    if (e instanceof TokenAlreadyUsed) return { ok: false, reason: "invalid" };
    if (isUniqueViolation(e)) return { ok: false, reason: "taken" };
    throw e;
  }
}

/** Confirms whichever address an emailed /verify-email link is about (registration or change of email). */
export async function confirmEmailLink(
  input: { token: string; now: Date },
  database: Db = db(),
): Promise<TokenResult> {
  const found = await inspectToken({ ...input, kinds: ["verify_email", "change_email"] }, database);
  if (!found) return { ok: false, reason: "invalid" };
  return found.kind === "change_email" ? confirmEmailChange(input, database) : verifyEmail(input, database);
}

/**
 * The user with this email and password, or null. An unknown address costs one password check too (against
 * a dummy hash), so the answer time does not tell whether the address is registered.
 */
export async function authenticate(
  input: { email: string; password: string },
  database: Db = db(),
): Promise<User | null> {
  const user = await findUserByEmail(input.email, database);
  if (!user) {
    await verifyPassword(input.password, await dummyHash());
    return null;
  }
  return (await verifyPassword(input.password, user.password_hash)) ? user : null;
}

/**
 * Emails a reset link when the address has an account; does nothing otherwise. The caller answers the same
 * either way.
 */
export async function requestPasswordReset(
  input: { email: string; now: Date },
  database: Db = db(),
): Promise<{ outbox: Outbox }> {
  const user = await findUserByEmail(input.email, database);
  if (!user) return { outbox: [] };
  const id = await database.transaction().execute(async (trx) => {
    const issued = await issueToken(trx, {
      userId: user.id,
      kind: "reset_password",
      address: user.email,
      now: input.now,
    });
    return queueEmail(trx, {
      key: `reset_password:${issued.id}`,
      kind: "reset_password",
      to: user.email,
      content: resetPasswordEmail({
        name: user.name,
        url: link("/reset-password", issued.token),
        minutes: TOKEN_TTL_MINUTES.reset_password,
      }),
      now: input.now,
    });
  });
  return { outbox: ids(id) };
}

/** Ends every unused reset link of a user (after a reset or a change of password). */
async function retireResetTokens(trx: Trx, userId: number, now: Date): Promise<void> {
  await trx
    .updateTable("tokens")
    .set({ used_at: now.toISOString() })
    .where("user_id", "=", userId)
    .where("kind", "=", "reset_password")
    .where("used_at", "is", null)
    .execute();
}

/**
 * Sets a new password with a reset token: works once, before it expires. Signs the user out everywhere and
 * ends their other reset links. The link reached the account's address, so that address counts as confirmed.
 */
export async function resetPassword(
  input: { token: string; password: string; now: Date },
  database: Db = db(),
): Promise<
  | { ok: true; userId: number }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "weak"; message: string }
> {
  const row = await findLiveToken(database, input.token, ["reset_password"], input.now);
  if (!row || !tokenStillApplies(row)) return { ok: false, reason: "invalid" };
  // Judged before the token is used, so a refused password does not spend the link.
  const weak = checkPassword(input.password, row.email);
  if (weak) return { ok: false, reason: "weak", message: weak };
  const passwordHash = await hashPassword(input.password);
  const now = input.now.toISOString();
  const used = await database.transaction().execute(async (trx) => {
    if (!(await consumeToken(trx, row.id, input.now))) return false;
    await trx
      .updateTable("users")
      .set((eb) => ({
        password_hash: passwordHash,
        email_verified_at: eb.fn.coalesce("email_verified_at", eb.val(now)),
      }))
      .where("id", "=", row.user_id)
      .execute();
    await retireResetTokens(trx, row.user_id, input.now);
    await trx.deleteFrom("sessions").where("user_id", "=", row.user_id).execute();
    return true;
  });
  return used ? { ok: true, userId: row.user_id } : { ok: false, reason: "invalid" };
}

/**
 * Changes the password of a signed-in user who knows the current one; every other session of theirs is
 * signed out (the one in `keepSessionId` stays).
 */
export async function changePassword(
  input: { userId: number; currentPassword: string; newPassword: string; keepSessionId: string; now: Date },
  database: Db = db(),
): Promise<{ ok: true } | { ok: false; errors: { currentPassword?: string; newPassword?: string } }> {
  const user = await database
    .selectFrom("users")
    .selectAll()
    .where("id", "=", input.userId)
    .executeTakeFirst();
  if (!user || !(await verifyPassword(input.currentPassword, user.password_hash))) {
    return { ok: false, errors: { currentPassword: "Your current password is incorrect." } };
  }
  const weak = checkPassword(input.newPassword, user.email);
  if (weak) return { ok: false, errors: { newPassword: weak } };
  const passwordHash = await hashPassword(input.newPassword);
  await database.transaction().execute(async (trx) => {
    await trx.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", user.id).execute();
    await retireResetTokens(trx, user.id, input.now);
    await trx
      .deleteFrom("sessions")
      .where("user_id", "=", user.id)
      .where("id", "!=", input.keepSessionId)
      .execute();
  });
  return { ok: true };
}
