import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeUserRole } from "../../app/domain/admin.server";
import {
  acceptInvitation,
  createOrganisation,
  inviteMember,
  viewInvitation,
} from "../../app/domain/organisations.server";
import { createUser, isRoleRevoked, revokeRole } from "../../app/domain/users.server";
import type { Db } from "../../db/client";
import * as migration from "../../db/migrations/2026_12_03_000001_create_role_revocations";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { countRows } from "../helpers/db";
import type { Database } from "../../db/schema";

const NOW = new Date("2027-01-15T10:00:00.000Z");
const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

const ORGANISATION = {
  name: "Digital Villages Foundation",
  stakeholderType: "civil_society",
  country: "FR",
  region: "",
  website: "https://villages.example.org",
  contactName: "Ada Contact",
  contactEmail: "contact@villages.example.org",
};

describe.each(DIALECTS)("a revoked role stays revoked on %s", (dialect) => {
  let t: TestDb;
  let db: Db;
  let seq = 0;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    db = t.db;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  async function person(roles: Array<"voter" | "organiser"> = ["voter"]) {
    seq += 1;
    const user = await createUser(
      {
        email: `p${seq}@example.org`,
        name: `Person ${seq}`,
        password: "correct-horse-battery-staple",
        roles,
        verified: true,
        now: NOW,
      },
      db,
    );
    if (!user) throw new Error("user exists");
    return user;
  }

  const rolesOf = async (userId: number) =>
    (await db.selectFrom("user_roles").select("role").where("user_id", "=", userId).execute())
      .map((r) => r.role)
      .sort();

  async function tables() {
    const count = (table: keyof Database) => countRows(db, table);
    return {
      organisations: await count("organisations"),
      members: await count("organisation_members"),
      roles: await count("user_roles"),
      audit: await count("audit_log"),
    };
  }

  it("refuses self-service grants while an organiser's revocation stands, writing nothing", async () => {
    const organiser = await person(["voter", "organiser"]);
    const user = await person();
    const colleague = await person();
    const first = await createOrganisation({ userId: user.id, values: ORGANISATION, now: NOW }, db);
    expect(first.ok).toBe(true);
    expect(await rolesOf(user.id)).toEqual(["submitter", "voter"]);

    expect(
      await changeUserRole(
        { actorUserId: organiser.id, userId: user.id, role: "submitter", intent: "revoke", now: later(1) },
        db,
      ),
    ).toEqual({ ok: true });
    expect(await isRoleRevoked(user.id, "submitter", db)).toBe(true);

    const before = await tables();
    expect(
      await createOrganisation(
        { userId: user.id, values: { ...ORGANISATION, name: "Again" }, now: later(2) },
        db,
      ),
    ).toEqual({ ok: false, errors: {}, refusal: "role_revoked" });
    expect(await tables()).toEqual(before);

    const other = await createOrganisation({ userId: colleague.id, values: ORGANISATION, now: NOW }, db);
    if (!other.ok) throw new Error("organisation refused");
    const invitation = await inviteMember(
      { userId: colleague.id, organisationId: other.organisation.id, email: user.email, now: later(3) },
      db,
    );
    if (!invitation.ok) throw new Error("invitation refused");
    const afterInvite = await tables();
    expect(
      await viewInvitation({ token: invitation.token, userId: user.id, now: later(4) }, db),
    ).toMatchObject({
      state: "role_revoked",
    });
    expect(await acceptInvitation({ token: invitation.token, userId: user.id, now: later(4) }, db)).toEqual({
      ok: false,
      state: "role_revoked",
    });
    expect(await tables()).toEqual(afterInvite);
    expect(await rolesOf(user.id)).toEqual(["voter"]);

    // An organiser's explicit grant lifts it; the invitation then works.
    await changeUserRole(
      { actorUserId: organiser.id, userId: user.id, role: "submitter", intent: "grant", now: later(5) },
      db,
    );
    expect(await isRoleRevoked(user.id, "submitter", db)).toBe(false);
    expect(
      await acceptInvitation({ token: invitation.token, userId: user.id, now: later(6) }, db),
    ).toMatchObject({
      ok: true,
    });
  });

  it("a revocation of a role not held records nothing; revoking again keeps one row", async () => {
    const user = await person();
    await revokeRole(user.id, "submitter", null, NOW, db);
    expect(await isRoleRevoked(user.id, "submitter", db)).toBe(false);
    await createOrganisation({ userId: user.id, values: ORGANISATION, now: NOW }, db);
    await revokeRole(user.id, "submitter", null, later(1), db);
    await revokeRole(user.id, "submitter", null, later(2), db);
    const rows = await db.selectFrom("role_revocations").selectAll().where("user_id", "=", user.id).execute();
    expect(rows).toEqual([
      { user_id: user.id, role: "submitter", revoked_by: null, revoked_at: later(1).toISOString() },
    ]);
  });

  it("the migration takes standing revocations from the audit log", async () => {
    const revoked = await person();
    const regranted = await person();
    const actor = await person(["organiser"]);
    await migration.down(db);
    const entry = (userId: number, action: string, minutes: number) => ({
      actor_user_id: actor.id,
      action,
      entity: "user",
      entity_id: String(userId),
      before_json: action === "role.revoke" ? JSON.stringify({ role: "submitter" }) : null,
      after_json: action === "role.grant" ? JSON.stringify({ role: "submitter" }) : null,
      created_at: later(minutes).toISOString(),
    });
    await db
      .insertInto("audit_log")
      .values([
        entry(revoked.id, "role.grant", 1),
        entry(revoked.id, "role.revoke", 2),
        entry(regranted.id, "role.revoke", 3),
        entry(regranted.id, "role.grant", 4),
      ])
      .execute();
    await db
      .insertInto("user_roles")
      .values({
        user_id: regranted.id,
        role: "submitter",
        granted_by: actor.id,
        created_at: later(4).toISOString(),
      })
      .execute();
    await migration.up(db);
    expect(await isRoleRevoked(revoked.id, "submitter", db)).toBe(true);
    expect(await isRoleRevoked(regranted.id, "submitter", db)).toBe(false);
    const row = await db
      .selectFrom("role_revocations")
      .selectAll()
      .where("user_id", "=", revoked.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      user_id: revoked.id,
      role: "submitter",
      revoked_by: actor.id,
      revoked_at: later(2).toISOString(),
    });
  });
});
