import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client";
import type { User } from "../../db/schema";
import {
  INVITATION_DAYS,
  acceptInvitation,
  createOrganisation,
  getOrganisationForMember,
  inviteMember,
  isMember,
  listMembers,
  listOrganisationsOf,
  listPendingInvitations,
  removeMember,
  updateOrganisation,
  viewInvitation,
} from "../../app/domain/organisations.server";
import { createUser } from "../../app/domain/users.server";
import { hashToken } from "../../app/utils/session.server";
import type { OrganisationFormInput } from "../../app/schemas/organisation";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { countRows } from "../helpers/db";
import type { Database } from "../../db/schema";

const NOW = new Date("2027-01-15T10:00:00.000Z");
const DAY = 24 * 3600 * 1000;

const VALID: OrganisationFormInput = {
  name: "Digital Villages Foundation",
  stakeholderType: "civil_society",
  country: "FR",
  region: "",
  website: "https://villages.example.org",
  contactName: "Ada Contact",
  contactEmail: "contact@villages.example.org",
};

/** The status of the Response a call throws (our guards throw 403/404 responses). */
async function thrownStatus(run: () => Promise<unknown>): Promise<number> {
  try {
    await run();
  } catch (e) {
    if (e instanceof Response) return e.status;
    throw e;
  }
  throw new Error("expected a thrown Response");
}

/** Row counts of every table these rules write to: "nothing written" means these do not change. */
async function snapshot(db: Db) {
  const count = (table: keyof Database) => countRows(db, table);
  return {
    organisations: await count("organisations"),
    members: await count("organisation_members"),
    invitations: await count("organisation_invitations"),
    outbox: await count("outbox"),
    audit: await count("audit_log"),
    roles: await count("user_roles"),
    accepted: (
      await db
        .selectFrom("organisation_invitations")
        .select("id")
        .where("accepted_at", "is not", null)
        .execute()
    ).length,
  };
}

async function rolesOf(db: Db, userId: number): Promise<string[]> {
  const rows = await db.selectFrom("user_roles").select("role").where("user_id", "=", userId).execute();
  return rows.map((r) => r.role).sort();
}

describe.each(DIALECTS)("organisations on %s", (dialect) => {
  let t: TestDb;
  let db: Db;
  let seq = 0;

  async function user(
    opts: { verified?: boolean; email?: string; roles?: Array<"voter" | "organiser"> } = {},
  ) {
    seq += 1;
    const created = await createUser(
      {
        email: opts.email ?? `user${seq}@example.org`,
        name: `User ${seq}`,
        password: "a long enough password 123",
        roles: opts.roles ?? [],
        verified: opts.verified ?? true,
        now: NOW,
      },
      db,
    );
    if (!created) throw new Error("user exists");
    return created;
  }

  async function organisationOf(owner: User, values: Partial<OrganisationFormInput> = {}) {
    const result = await createOrganisation(
      { userId: owner.id, values: { ...VALID, ...values }, now: NOW },
      db,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.organisation;
  }

  beforeAll(async () => {
    t = await createTestDb(dialect);
    db = t.db;
  });
  afterAll(async () => {
    await t.cleanup();
  });

  describe("creating", () => {
    it("creates the profile with the region derived from the country; the creator is a member and a submitter", async () => {
      const owner = await user({ roles: ["voter"] });
      // A contradicting region is overridden by the country's (France is in Europe).
      const result = await createOrganisation(
        { userId: owner.id, values: { ...VALID, country: " fr ", region: "africa" }, now: NOW },
        db,
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const org = result.organisation;
      expect(org).toMatchObject({
        name: "Digital Villages Foundation",
        stakeholder_type: "civil_society",
        country: "FR",
        region: "europe",
        website: "https://villages.example.org",
        contact_name: "Ada Contact",
        contact_email: "contact@villages.example.org",
        created_by: owner.id,
        created_at: NOW.toISOString(),
      });
      expect(await isMember(owner.id, org.id, db)).toBe(true);
      expect(await rolesOf(db, owner.id)).toEqual(["submitter", "voter"]);
      const log = await db
        .selectFrom("audit_log")
        .select(["action", "actor_user_id", "entity_id"])
        .where("actor_user_id", "=", owner.id)
        .orderBy("id")
        .execute();
      expect(log.map((l) => l.action)).toEqual(["role.grant", "organisation.create"]);
      expect(await listOrganisationsOf(owner.id, db)).toEqual([
        { id: org.id, name: org.name, stakeholder_type: "civil_society", country: "FR", region: "europe" },
      ]);
    });

    it("keeps International when chosen, and an empty website as none", async () => {
      const owner = await user();
      const org = await organisationOf(owner, { country: "CH", region: "international", website: "" });
      expect(org.region).toBe("international");
      expect(org.website).toBeNull();
    });

    it("asks for the region when the country is ambiguous, and stores the one chosen", async () => {
      const owner = await user();
      const before = await snapshot(db);
      const refused = await createOrganisation(
        { userId: owner.id, values: { ...VALID, country: "MD" }, now: NOW },
        db,
      );
      expect(refused).toEqual({ ok: false, errors: { region: expect.stringContaining("ITU region") } });
      expect(await snapshot(db)).toEqual(before);
      const org = await organisationOf(owner, { country: "MD", region: "europe" });
      expect(org.region).toBe("europe");
    });

    it.each<[string, Partial<Record<keyof OrganisationFormInput, unknown>>, string]>([
      ["an unknown country code", { country: "ZZ" }, "country"],
      ["a three-letter country", { country: "FRA" }, "country"],
      ["no country", { country: "" }, "country"],
      ["a javascript: website", { website: "javascript:alert(1)" }, "website"],
      ["an ftp website", { website: "ftp://files.example.org" }, "website"],
      ["a website that is not a URL", { website: "our site" }, "website"],
      ["a website without a domain", { website: "http://localhost" }, "website"],
      ["an unknown stakeholder type", { stakeholderType: "pirates" }, "stakeholderType"],
      ["no stakeholder type", { stakeholderType: "" }, "stakeholderType"],
      ["a 10 kB name", { name: "x".repeat(10_240) }, "name"],
      ["a blank name", { name: "   " }, "name"],
      ["an unknown region", { region: "mars" }, "region"],
      ["a bad contact email", { contactEmail: "not-an-address" }, "contactEmail"],
    ])("refuses %s with a field error and writes nothing", async (_label, change, field) => {
      const owner = await user();
      const before = await snapshot(db);
      const values = { ...VALID, ...change };
      // The domain takes raw form values too: it validates whatever reaches it.
      const result = await createOrganisation({ userId: owner.id, values, now: NOW }, db);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(Object.keys(result.errors)).toContain(field);
      expect(await snapshot(db)).toEqual(before);
    });

    it("stores HTML and script as typed (pages and emails escape them)", async () => {
      const owner = await user();
      const name = `<script>alert("x")</script><b>Org</b>`;
      const org = await organisationOf(owner, { name, contactName: "<img src=x onerror=alert(1)>" });
      expect(org.name).toBe(name);
      expect(org.contact_name).toBe("<img src=x onerror=alert(1)>");
    });

    it("refuses a user whose email is not verified (403) and writes nothing", async () => {
      const owner = await user({ verified: false });
      const before = await snapshot(db);
      expect(
        await thrownStatus(() => createOrganisation({ userId: owner.id, values: VALID, now: NOW }, db)),
      ).toBe(403);
      expect(await snapshot(db)).toEqual(before);
    });
  });

  describe("membership", () => {
    it("hides an organisation from non-members (404) and lets none of them change it", async () => {
      const owner = await user();
      const stranger = await user();
      const org = await organisationOf(owner);
      const before = await snapshot(db);
      expect(await thrownStatus(() => getOrganisationForMember(stranger.id, org.id, db))).toBe(404);
      expect(
        await thrownStatus(() =>
          updateOrganisation(
            { userId: stranger.id, organisationId: org.id, values: { ...VALID, name: "Taken" }, now: NOW },
            db,
          ),
        ),
      ).toBe(404);
      expect(
        await thrownStatus(() =>
          inviteMember({ userId: stranger.id, organisationId: org.id, email: stranger.email, now: NOW }, db),
        ),
      ).toBe(404);
      expect(
        await thrownStatus(() =>
          removeMember({ userId: stranger.id, organisationId: org.id, memberUserId: owner.id, now: NOW }, db),
        ),
      ).toBe(404);
      // A missing organisation answers exactly like someone else's.
      expect(await thrownStatus(() => getOrganisationForMember(stranger.id, 999_999, db))).toBe(404);
      expect(await snapshot(db)).toEqual(before);
      expect((await getOrganisationForMember(owner.id, org.id, db)).name).toBe(VALID.name);
      expect(await listOrganisationsOf(stranger.id, db)).toEqual([]);
    });

    it("lets a member update the profile, re-deriving the region; audit-logged with before and after", async () => {
      const owner = await user();
      const org = await organisationOf(owner);
      const result = await updateOrganisation(
        {
          userId: owner.id,
          organisationId: org.id,
          values: { ...VALID, name: "Renamed", country: "NG", region: "europe" },
          now: NOW,
        },
        db,
      );
      expect(result.ok && result.organisation).toMatchObject({
        name: "Renamed",
        country: "NG",
        region: "africa",
      });
      const entry = await db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "organisation.update")
        .where("entity_id", "=", String(org.id))
        .executeTakeFirstOrThrow();
      expect(JSON.parse(entry.before_json ?? "{}")).toMatchObject({ name: VALID.name, region: "europe" });
      expect(JSON.parse(entry.after_json ?? "{}")).toMatchObject({ name: "Renamed", region: "africa" });
    });

    it("refuses an invalid update with field errors and changes nothing", async () => {
      const owner = await user();
      const org = await organisationOf(owner);
      const before = await snapshot(db);
      const result = await updateOrganisation(
        {
          userId: owner.id,
          organisationId: org.id,
          values: { ...VALID, website: "javascript:alert(1)" },
          now: NOW,
        },
        db,
      );
      expect(result).toEqual({ ok: false, errors: { website: expect.any(String) } });
      expect(await snapshot(db)).toEqual(before);
      expect((await getOrganisationForMember(owner.id, org.id, db)).website).toBe(VALID.website);
    });
  });

  describe("invitations", () => {
    it("invites by email through the outbox and lets the invited account accept: member and submitter", async () => {
      const owner = await user();
      const colleague = await user({ email: "Jane.Doe@gmail.com" });
      const org = await organisationOf(owner, { name: `<b>Tags & "quotes"</b>` });
      // Another spelling of the same Gmail address is the same person.
      const invited = await inviteMember(
        { userId: owner.id, organisationId: org.id, email: "janedoe+wsis@googlemail.com", now: NOW },
        db,
      );
      expect(invited.ok).toBe(true);
      if (!invited.ok) return;

      const mail = await db
        .selectFrom("outbox")
        .selectAll()
        .where("id", "=", invited.outboxId ?? -1)
        .executeTakeFirstOrThrow();
      expect(mail).toMatchObject({
        idempotency_key: `organisation-invitation-${invited.invitationId}`,
        kind: "organisation_invitation",
        to_address: "janedoe+wsis@googlemail.com",
        status: "queued",
      });
      expect(mail.text).toContain(`/invitations/${invited.token}`);
      expect(mail.text).toContain(`<b>Tags & "quotes"</b>`);
      expect(mail.html).toContain("&lt;b&gt;Tags &amp; &quot;quotes&quot;&lt;/b&gt;");
      expect(mail.html).not.toContain("<b>Tags");

      const row = await db
        .selectFrom("organisation_invitations")
        .selectAll()
        .where("id", "=", invited.invitationId)
        .executeTakeFirstOrThrow();
      // Only the hash of the token is kept; it expires after INVITATION_DAYS days.
      expect(row.token_hash).toBe(hashToken(invited.token));
      expect(JSON.stringify(row)).not.toContain(invited.token);
      expect(row.expires_at).toBe(new Date(NOW.getTime() + INVITATION_DAYS * DAY).toISOString());
      expect(row.email_canonical).toBe("janedoe@gmail.com");
      expect((await listPendingInvitations(org.id, NOW, db)).map((i) => i.id)).toEqual([
        invited.invitationId,
      ]);

      const later = new Date(NOW.getTime() + DAY);
      expect(
        await viewInvitation({ token: invited.token, userId: colleague.id, now: later }, db),
      ).toMatchObject({
        state: "valid",
        organisationId: org.id,
        organisationName: org.name,
      });
      expect(await acceptInvitation({ token: invited.token, userId: colleague.id, now: later }, db)).toEqual({
        ok: true,
        organisationId: org.id,
      });
      expect(await isMember(colleague.id, org.id, db)).toBe(true);
      expect(await rolesOf(db, colleague.id)).toEqual(["submitter"]);
      expect((await listMembers(org.id, db)).map((m) => [m.name, m.email])).toEqual([
        [owner.name, owner.email],
        [colleague.name, colleague.email],
      ]);
      expect(await listPendingInvitations(org.id, later, db)).toEqual([]);
      const added = await db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "organisation.member.add")
        .where("entity_id", "=", String(org.id))
        .executeTakeFirstOrThrow();
      expect(added.actor_user_id).toBe(colleague.id);

      // Used once: a second accept (by anyone) is refused and writes nothing.
      const before = await snapshot(db);
      expect(await acceptInvitation({ token: invited.token, userId: colleague.id, now: later }, db)).toEqual({
        ok: false,
        state: "used",
      });
      expect(await snapshot(db)).toEqual(before);
    });

    it("refuses another account, writing nothing; the invited account can still accept afterwards", async () => {
      const owner = await user();
      const invitee = await user();
      const other = await user();
      const org = await organisationOf(owner);
      const invited = await inviteMember(
        { userId: owner.id, organisationId: org.id, email: invitee.email, now: NOW },
        db,
      );
      if (!invited.ok) throw new Error("invite failed");
      const before = await snapshot(db);
      expect(await acceptInvitation({ token: invited.token, userId: other.id, now: NOW }, db)).toEqual({
        ok: false,
        state: "wrong_account",
      });
      expect(await snapshot(db)).toEqual(before);
      expect(await isMember(other.id, org.id, db)).toBe(false);
      expect(await rolesOf(db, other.id)).toEqual([]);
      expect((await acceptInvitation({ token: invited.token, userId: invitee.id, now: NOW }, db)).ok).toBe(
        true,
      );
    });

    it("expires after seven days (injected clock), writing nothing", async () => {
      const owner = await user();
      const invitee = await user();
      const org = await organisationOf(owner);
      const invited = await inviteMember(
        { userId: owner.id, organisationId: org.id, email: invitee.email, now: NOW },
        db,
      );
      if (!invited.ok) throw new Error("invite failed");
      const expiry = NOW.getTime() + INVITATION_DAYS * DAY;
      const justBefore = new Date(expiry - 1);
      const atExpiry = new Date(expiry);
      expect(
        (await viewInvitation({ token: invited.token, userId: invitee.id, now: justBefore }, db))?.state,
      ).toBe("valid");
      const before = await snapshot(db);
      expect(await acceptInvitation({ token: invited.token, userId: invitee.id, now: atExpiry }, db)).toEqual(
        {
          ok: false,
          state: "expired",
        },
      );
      expect(await snapshot(db)).toEqual(before);
      expect(await isMember(invitee.id, org.id, db)).toBe(false);
      expect(await listPendingInvitations(org.id, atExpiry, db)).toEqual([]);
    });

    it("requires the invited account's email to be verified", async () => {
      const owner = await user();
      const invitee = await user({ verified: false });
      const org = await organisationOf(owner);
      const invited = await inviteMember(
        { userId: owner.id, organisationId: org.id, email: invitee.email, now: NOW },
        db,
      );
      if (!invited.ok) throw new Error("invite failed");
      const before = await snapshot(db);
      expect(await acceptInvitation({ token: invited.token, userId: invitee.id, now: NOW }, db)).toEqual({
        ok: false,
        state: "unverified",
      });
      expect(await snapshot(db)).toEqual(before);
    });

    it("answers an unknown token with not_found", async () => {
      const someone = await user();
      expect(await viewInvitation({ token: "x".repeat(43), userId: someone.id, now: NOW }, db)).toBeNull();
      expect(await acceptInvitation({ token: "x".repeat(43), userId: someone.id, now: NOW }, db)).toEqual({
        ok: false,
        state: "not_found",
      });
    });

    it("refuses to invite a member again or an invalid address, writing nothing", async () => {
      const owner = await user();
      const org = await organisationOf(owner);
      const before = await snapshot(db);
      const again = await inviteMember(
        { userId: owner.id, organisationId: org.id, email: owner.email.toUpperCase(), now: NOW },
        db,
      );
      expect(again).toEqual({ ok: false, errors: { email: expect.stringContaining("already a member") } });
      const bad = await inviteMember(
        { userId: owner.id, organisationId: org.id, email: "<script>@x", now: NOW },
        db,
      );
      expect(bad).toEqual({ ok: false, errors: { email: expect.any(String) } });
      expect(await snapshot(db)).toEqual(before);
    });
  });

  describe("removing members", () => {
    async function orgWithTwo() {
      const owner = await user();
      const second = await user();
      const org = await organisationOf(owner);
      const invited = await inviteMember(
        { userId: owner.id, organisationId: org.id, email: second.email, now: NOW },
        db,
      );
      if (!invited.ok) throw new Error("invite failed");
      await acceptInvitation({ token: invited.token, userId: second.id, now: NOW }, db);
      return { owner, second, org };
    }

    it("lets a member remove another member, audit-logged", async () => {
      const { owner, second, org } = await orgWithTwo();
      expect(
        await removeMember(
          { userId: second.id, organisationId: org.id, memberUserId: owner.id, now: NOW },
          db,
        ),
      ).toEqual({
        ok: true,
        self: false,
      });
      expect(await isMember(owner.id, org.id, db)).toBe(false);
      expect(await thrownStatus(() => getOrganisationForMember(owner.id, org.id, db))).toBe(404);
      const entry = await db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "organisation.member.remove")
        .where("entity_id", "=", String(org.id))
        .executeTakeFirstOrThrow();
      expect(entry.actor_user_id).toBe(second.id);
      expect(JSON.parse(entry.before_json ?? "{}")).toEqual({ user_id: owner.id, email: owner.email });
    });

    it("never removes the last member, and writes nothing when refused", async () => {
      const { owner, second, org } = await orgWithTwo();
      expect(
        (
          await removeMember(
            { userId: owner.id, organisationId: org.id, memberUserId: owner.id, now: NOW },
            db,
          )
        ).ok,
      ).toBe(true);
      const before = await snapshot(db);
      expect(
        await removeMember(
          { userId: second.id, organisationId: org.id, memberUserId: second.id, now: NOW },
          db,
        ),
      ).toEqual({
        ok: false,
        status: 409,
        error: expect.stringContaining("at least one member"),
      });
      // The former member is a stranger now.
      expect(
        await thrownStatus(() =>
          removeMember({ userId: owner.id, organisationId: org.id, memberUserId: second.id, now: NOW }, db),
        ),
      ).toBe(404);
      expect(await snapshot(db)).toEqual(before);
      expect(await isMember(second.id, org.id, db)).toBe(true);
    });

    it("answers 404 for someone who is not a member", async () => {
      const { owner, org } = await orgWithTwo();
      const stranger = await user();
      const before = await snapshot(db);
      expect(
        await removeMember(
          { userId: owner.id, organisationId: org.id, memberUserId: stranger.id, now: NOW },
          db,
        ),
      ).toEqual({
        ok: false,
        status: 404,
        error: expect.any(String),
      });
      expect(await snapshot(db)).toEqual(before);
    });
  });
});
