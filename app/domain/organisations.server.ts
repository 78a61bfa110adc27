import type { Db } from "../../db/client";
import { dialectOf } from "../../db/client";
import type { ItuRegion, Organisation, StakeholderType } from "../../db/schema";
import { organisationInvitation } from "../../emails/templates/organisation-invitation";
import { InviteSchema, OrganisationSchema, type OrganisationInput } from "../schemas/organisation";
import { db } from "../utils/db.server";
import { env } from "../utils/env.server";
import { hashToken, newToken } from "../utils/session.server";
import { audit } from "./audit.server";
import { canonicalEmail } from "./email";
import { queueEmail } from "./outbox.server";
import { grantRoleUnlessRevoked, isRoleRevoked, type RoleGrantRefusal } from "./users.server";

/** How long an invitation link stays valid. */
export const INVITATION_DAYS = 7;

/** Field name → message, shown beside the fields. */
export type FieldErrors = Partial<Record<string, string>>;

/** True when `userId` is a member of organisation `organisationId`. */
export async function isMember(
  userId: number,
  organisationId: number,
  database: Db = db(),
): Promise<boolean> {
  const row = await database
    .selectFrom("organisation_members")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("organisation_id", "=", organisationId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Throws a 404 unless `userId` is a member of the organisation: someone else's organisation looks exactly
 * like one that does not exist.
 */
export async function requireMembership(
  userId: number,
  organisationId: number,
  database: Db = db(),
): Promise<void> {
  if (!(await isMember(userId, organisationId, database))) {
    throw new Response("This organisation does not exist or you are not one of its members.", {
      status: 404,
      statusText: "Not Found",
    });
  }
}

function errorsOf(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) out[String(issue.path[0] ?? "form")] ??= issue.message;
  return out;
}

function forbidden(message: string): Response {
  return new Response(message, { status: 403, statusText: "Forbidden" });
}

/** The profile fields as the audit log records them. */
function profileOf(
  o: Pick<
    Organisation,
    "name" | "stakeholder_type" | "country" | "region" | "website" | "contact_name" | "contact_email"
  >,
) {
  return {
    name: o.name,
    stakeholder_type: o.stakeholder_type,
    country: o.country,
    region: o.region,
    website: o.website,
    contact_name: o.contact_name,
    contact_email: o.contact_email,
  };
}

function columnsOf(input: OrganisationInput) {
  return {
    name: input.name,
    stakeholder_type: input.stakeholderType,
    country: input.country,
    region: input.region,
    website: input.website,
    contact_name: input.contactName,
    contact_email: input.contactEmail,
  };
}

/** A refusal with field errors (shown beside the fields), or with a `refusal` code for the whole form. */
export type OrganisationResult =
  { ok: true; organisation: Organisation } | { ok: false; errors: FieldErrors; refusal?: RoleGrantRefusal };

/** Status and words for a refused self-service grant of the submitter role, shown next to the form. */
export const ROLE_REVOKED_STATUS = 403;
export const ROLE_REVOKED_MESSAGE =
  "An organiser has withdrawn your submitter role, so you cannot create or join an organisation yourself. " +
  "If you think this is a mistake, write to the organisers of the WSIS Prizes.";

/**
 * Creates an organisation for a signed-in user with a verified email (403 otherwise). The creator becomes its
 * first member and is granted the submitter role — refused ("role_revoked", nothing written) while an
 * organiser's revocation of that role stands. `values` are raw form values or the route's parsed ones
 * (the schema is idempotent): they are validated here, and invalid ones write nothing.
 */
export async function createOrganisation(
  input: { userId: number; values: unknown; now: Date },
  database: Db = db(),
): Promise<OrganisationResult> {
  const parsed = OrganisationSchema.safeParse(input.values);
  if (!parsed.success) return { ok: false, errors: errorsOf(parsed.error.issues) };
  const user = await database
    .selectFrom("users")
    .select(["id", "email_verified_at"])
    .where("id", "=", input.userId)
    .executeTakeFirst();
  if (!user?.email_verified_at) {
    throw forbidden("Confirm your email address before creating an organisation: use the link we sent you.");
  }
  const now = input.now.toISOString();
  // The role and the organisation commit together: an organisation whose only member cannot manage it would
  // be stuck.
  return database.transaction().execute(async (trx): Promise<OrganisationResult> => {
    const granted = await grantRoleUnlessRevoked(input.userId, "submitter", input.now, trx);
    if (!granted.ok) return { ok: false, errors: {}, refusal: granted.refusal };
    const created = await trx
      .insertInto("organisations")
      .values({ ...columnsOf(parsed.data), created_by: input.userId, created_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto("organisation_members")
      .values({ organisation_id: created.id, user_id: input.userId, created_at: now })
      .execute();
    await audit(trx, {
      actorUserId: input.userId,
      action: "organisation.create",
      entity: "organisation",
      entityId: created.id,
      after: profileOf(created),
      now: input.now,
    });
    return { ok: true, organisation: created };
  });
}

/** Updates the profile of an organisation the user is a member of (404 otherwise); audit-logged. */
export async function updateOrganisation(
  input: { userId: number; organisationId: number; values: unknown; now: Date },
  database: Db = db(),
): Promise<OrganisationResult> {
  await requireMembership(input.userId, input.organisationId, database);
  const parsed = OrganisationSchema.safeParse(input.values);
  if (!parsed.success) return { ok: false, errors: errorsOf(parsed.error.issues) };
  const organisation = await database.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom("organisations")
      .selectAll()
      .where("id", "=", input.organisationId)
      .executeTakeFirstOrThrow();
    const after = await trx
      .updateTable("organisations")
      .set(columnsOf(parsed.data))
      .where("id", "=", input.organisationId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, {
      actorUserId: input.userId,
      action: "organisation.update",
      entity: "organisation",
      entityId: input.organisationId,
      before: profileOf(before),
      after: profileOf(after),
      now: input.now,
    });
    return after;
  });
  return { ok: true, organisation };
}

export interface OrganisationSummary {
  id: number;
  name: string;
  stakeholder_type: StakeholderType;
  country: string;
  region: ItuRegion;
}

/** The organisations `userId` is a member of, by name. */
export async function listOrganisationsOf(
  userId: number,
  database: Db = db(),
): Promise<OrganisationSummary[]> {
  return database
    .selectFrom("organisations")
    .innerJoin("organisation_members", "organisation_members.organisation_id", "organisations.id")
    .select([
      "organisations.id",
      "organisations.name",
      "organisations.stakeholder_type",
      "organisations.country",
      "organisations.region",
    ])
    .where("organisation_members.user_id", "=", userId)
    .orderBy("organisations.name")
    .orderBy("organisations.id")
    .execute();
}

/** One organisation, for one of its members only (404 for anyone else, as if it did not exist). */
export async function getOrganisationForMember(
  userId: number,
  organisationId: number,
  database: Db = db(),
): Promise<Organisation> {
  await requireMembership(userId, organisationId, database);
  return database
    .selectFrom("organisations")
    .selectAll()
    .where("id", "=", organisationId)
    .executeTakeFirstOrThrow();
}

export interface MemberRow {
  userId: number;
  name: string;
  email: string;
  since: string;
}

/** The members of an organisation, oldest first. Callers check membership first. */
export async function listMembers(organisationId: number, database: Db = db()): Promise<MemberRow[]> {
  const rows = await database
    .selectFrom("organisation_members")
    .innerJoin("users", "users.id", "organisation_members.user_id")
    .select(["users.id", "users.name", "users.email", "organisation_members.created_at"])
    .where("organisation_members.organisation_id", "=", organisationId)
    .orderBy("organisation_members.created_at")
    .orderBy("users.id")
    .execute();
  return rows.map((r) => ({ userId: r.id, name: r.name, email: r.email, since: r.created_at }));
}

/** Invitations of an organisation neither accepted nor expired at `now`, newest first. */
export async function listPendingInvitations(organisationId: number, now: Date, database: Db = db()) {
  return database
    .selectFrom("organisation_invitations")
    .select(["id", "email", "created_at", "expires_at"])
    .where("organisation_id", "=", organisationId)
    .where("accepted_at", "is", null)
    .where("expires_at", ">", now.toISOString())
    .orderBy("id", "desc")
    .execute();
}

export type InviteResult =
  | { ok: true; invitationId: number; outboxId: number | null; token: string }
  | { ok: false; errors: FieldErrors };

/**
 * A member invites a colleague by email (404 for non-members). The invitation (token stored hashed, valid
 * INVITATION_DAYS days, single use) and its email are written in one transaction; the caller passes
 * `outboxId` to dispatchOutbox() after this returns. The token is returned for tests; pages never show it.
 */
export async function inviteMember(
  input: { userId: number; organisationId: number; email: string; now: Date },
  database: Db = db(),
): Promise<InviteResult> {
  const organisation = await getOrganisationForMember(input.userId, input.organisationId, database);
  const parsed = InviteSchema.safeParse({ email: input.email });
  if (!parsed.success) return { ok: false, errors: errorsOf(parsed.error.issues) };
  const address = parsed.data.email;
  const canonical = canonicalEmail(address);
  const existing = await database
    .selectFrom("organisation_members")
    .innerJoin("users", "users.id", "organisation_members.user_id")
    .select("users.id")
    .where("organisation_members.organisation_id", "=", input.organisationId)
    .where("users.email_canonical", "=", canonical)
    .executeTakeFirst();
  if (existing)
    return { ok: false, errors: { email: "This person is already a member of the organisation." } };
  const inviter = await database
    .selectFrom("users")
    .select("name")
    .where("id", "=", input.userId)
    .executeTakeFirstOrThrow();
  const token = newToken();
  const expires = new Date(input.now.getTime() + INVITATION_DAYS * 24 * 3600 * 1000);
  return database.transaction().execute(async (trx): Promise<InviteResult> => {
    const invitation = await trx
      .insertInto("organisation_invitations")
      .values({
        organisation_id: input.organisationId,
        email_canonical: canonical,
        email: address,
        token_hash: hashToken(token),
        invited_by: input.userId,
        created_at: input.now.toISOString(),
        expires_at: expires.toISOString(),
        accepted_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const outboxId = await queueEmail(trx, {
      key: `organisation-invitation-${invitation.id}`,
      kind: "organisation_invitation",
      to: address,
      content: organisationInvitation({
        inviterName: inviter.name,
        organisationName: organisation.name,
        url: `${env().APP_URL}/invitations/${token}`,
        days: INVITATION_DAYS,
      }),
      now: input.now,
    });
    await audit(trx, {
      actorUserId: input.userId,
      action: "organisation.invite",
      entity: "organisation",
      entityId: input.organisationId,
      after: { invitation_id: invitation.id, email: address },
      now: input.now,
    });
    return { ok: true, invitationId: invitation.id, outboxId, token };
  });
}

/** Why an invitation cannot be accepted, or "valid". */
export type InvitationState =
  "valid" | "used" | "expired" | "wrong_account" | "unverified" | RoleGrantRefusal;

/** The HTTP status that goes with each refusal. */
export const INVITATION_STATUS: Readonly<Record<Exclude<InvitationState, "valid">, number>> = {
  used: 410,
  expired: 410,
  wrong_account: 403,
  unverified: 403,
  role_revoked: ROLE_REVOKED_STATUS,
};

/** Readable explanations of each refusal. */
export const INVITATION_MESSAGES: Readonly<Record<Exclude<InvitationState, "valid">, string>> = {
  used: "This invitation has already been used. Ask a member of the organisation to invite you again if needed.",
  expired: `This invitation has expired (invitations are valid for ${INVITATION_DAYS} days). Ask a member of the organisation to invite you again.`,
  wrong_account:
    "This invitation was sent to another email address. Sign out, then sign in with the account of the invited address (or register with it).",
  unverified:
    "Confirm your email address first (use the link we sent you when you registered), then open this invitation again.",
  role_revoked: ROLE_REVOKED_MESSAGE,
};

export interface InvitationView {
  state: InvitationState;
  organisationId: number;
  organisationName: string;
  invitedEmail: string;
  expiresAt: string;
}

/**
 * What the holder of an invitation link sees, checked against the signed-in user; null when the token is
 * unknown (404). Reads only.
 */
export async function viewInvitation(
  input: { token: string; userId: number; now: Date },
  database: Db = db(),
): Promise<InvitationView | null> {
  const row = await database
    .selectFrom("organisation_invitations")
    .innerJoin("organisations", "organisations.id", "organisation_invitations.organisation_id")
    .select([
      "organisation_invitations.id",
      "organisation_invitations.organisation_id",
      "organisation_invitations.email",
      "organisation_invitations.email_canonical",
      "organisation_invitations.expires_at",
      "organisation_invitations.accepted_at",
      "organisations.name",
    ])
    .where("organisation_invitations.token_hash", "=", hashToken(input.token))
    .executeTakeFirst();
  if (!row) return null;
  const user = await database
    .selectFrom("users")
    .select(["email_canonical", "email_verified_at"])
    .where("id", "=", input.userId)
    .executeTakeFirst();
  let state: InvitationState = "valid";
  if (row.accepted_at !== null) state = "used";
  else if (new Date(row.expires_at).getTime() <= input.now.getTime()) state = "expired";
  else if (!user || user.email_canonical !== row.email_canonical) state = "wrong_account";
  else if (user.email_verified_at === null) state = "unverified";
  else if (await isRoleRevoked(input.userId, "submitter", database)) state = "role_revoked";
  return {
    state,
    organisationId: row.organisation_id,
    organisationName: row.name,
    invitedEmail: row.email,
    expiresAt: row.expires_at,
  };
}

export type AcceptResult =
  | { ok: true; organisationId: number }
  | { ok: false; state: Exclude<InvitationState, "valid"> | "not_found" };

/**
 * Accepts an invitation for the signed-in user: the invited (canonical) address must be theirs and
 * verified, the invitation unused and unexpired at `now`, and no organiser's revocation of their submitter
 * role standing. Then the user becomes a member and a submitter. Any refusal writes nothing.
 */
export async function acceptInvitation(
  input: { token: string; userId: number; now: Date },
  database: Db = db(),
): Promise<AcceptResult> {
  const view = await viewInvitation(input, database);
  if (!view) return { ok: false, state: "not_found" };
  if (view.state !== "valid") return { ok: false, state: view.state };
  const now = input.now.toISOString();
  return database
    .transaction()
    .execute(async (trx): Promise<AcceptResult> => {
      const granted = await grantRoleUnlessRevoked(input.userId, "submitter", input.now, trx);
      if (!granted.ok) return { ok: false, state: granted.refusal };
      // The conditions again, in the update itself: of two concurrent accepts only one marks it used.
      const marked = await trx
        .updateTable("organisation_invitations")
        .set({ accepted_at: now })
        .where("token_hash", "=", hashToken(input.token))
        .where("accepted_at", "is", null)
        .where("expires_at", ">", now)
        .returning(["id"])
        .executeTakeFirst();
      if (!marked) throw new InvitationTaken();
      await trx
        .insertInto("organisation_members")
        .values({ organisation_id: view.organisationId, user_id: input.userId, created_at: now })
        .onConflict((oc) => oc.columns(["organisation_id", "user_id"]).doNothing())
        .execute();
      await audit(trx, {
        actorUserId: input.userId,
        action: "organisation.member.add",
        entity: "organisation",
        entityId: view.organisationId,
        after: { user_id: input.userId, invitation_id: marked.id },
        now: input.now,
      });
      return { ok: true, organisationId: view.organisationId };
    })
    .catch((e: unknown) => {
      if (e instanceof InvitationTaken) return { ok: false, state: "used" };
      throw e;
    });
}

/** Thrown to roll back the role granted in the same transaction when another accept won the invitation. */
class InvitationTaken extends Error {}

export type RemoveResult = { ok: true; self: boolean } | { ok: false; status: number; error: string };

/**
 * A member removes a member (themselves included, which is leaving), never the last one; audit-logged.
 * Non-members get a 404.
 */
export async function removeMember(
  input: { userId: number; organisationId: number; memberUserId: number; now: Date },
  database: Db = db(),
): Promise<RemoveResult> {
  await requireMembership(input.userId, input.organisationId, database);
  const pg = dialectOf(database) === "postgres";
  return database.transaction().execute(async (trx): Promise<RemoveResult> => {
    // Lock the organisation so two members removing each other at once cannot leave it with none.
    await trx
      .selectFrom("organisations")
      .select("id")
      .where("id", "=", input.organisationId)
      .$if(pg, (qb) => qb.forUpdate())
      .executeTakeFirst();
    const members = await trx
      .selectFrom("organisation_members")
      .innerJoin("users", "users.id", "organisation_members.user_id")
      .select(["users.id", "users.email"])
      .where("organisation_members.organisation_id", "=", input.organisationId)
      .execute();
    const target = members.find((m) => m.id === input.memberUserId);
    if (!target) return { ok: false, status: 404, error: "This person is not a member of the organisation." };
    if (members.length <= 1) {
      return {
        ok: false,
        status: 409,
        error: "An organisation keeps at least one member: invite someone else before leaving it.",
      };
    }
    await trx
      .deleteFrom("organisation_members")
      .where("organisation_id", "=", input.organisationId)
      .where("user_id", "=", input.memberUserId)
      .execute();
    await audit(trx, {
      actorUserId: input.userId,
      action: "organisation.member.remove",
      entity: "organisation",
      entityId: input.organisationId,
      before: { user_id: target.id, email: target.email },
      now: input.now,
    });
    return { ok: true, self: input.memberUserId === input.userId };
  });
}
