import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client";
import { createUser, revokeRole } from "../../app/domain/users.server";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { ORGANISATION_FORM } from "../helpers/forms";
import { countRows } from "../helpers/db";
import type { Database } from "../../db/schema";

const PASSWORD = "correct horse battery staple 42";

describe.each(DIALECTS)("organisation pages over HTTP on %s", (dialect) => {
  let t: TestDb;
  let db: Db;
  let smtp: SmtpReceiver;
  let app: RunningApp;
  let seq = 0;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    db = t.db;
    smtp = await startSmtp();
    app = await startApp({ databaseUrl: t.url, smtpUrl: smtp.url });
  });
  afterAll(async () => {
    await app?.stop();
    await smtp?.stop();
    await t?.cleanup();
  });

  /** A new account, signed in on a fresh client. */
  async function signedIn(opts: { verified?: boolean; email?: string } = {}) {
    seq += 1;
    const email = opts.email ?? `member${seq}@example.org`;
    const user = await createUser(
      {
        email,
        name: `Member ${seq}`,
        password: PASSWORD,
        roles: [],
        verified: opts.verified ?? true,
        now: new Date(),
      },
      db,
    );
    if (!user) throw new Error("user exists");
    const client = new Client(app.url);
    const res = await client.post("/login", { email, password: PASSWORD });
    expect(res.status, "sign-in").toBe(302);
    return { user, client };
  }

  async function createVia(client: Client, fields: Record<string, string> = {}): Promise<number> {
    const res = await client.post("/organisations/new", { ...ORGANISATION_FORM, ...fields });
    expect(res.status, await res.clone().text()).toBe(302);
    const m = /^\/organisations\/(\d+)\?created=1$/.exec(res.headers.get("Location") ?? "");
    if (!m) throw new Error(`unexpected redirect ${res.headers.get("Location")}`);
    return Number(m[1]);
  }

  const count = (table: keyof Database) => countRows(db, table);

  async function invitationTokenFor(to: string): Promise<string> {
    const mail = await smtp.waitFor((m) => m.to.includes(to));
    const m = /\/invitations\/([A-Za-z0-9_-]+)/.exec(mail.text);
    if (!m) throw new Error("no invitation link in the email");
    return m[1];
  }

  it("sends anonymous visitors to sign in and back", async () => {
    const anon = new Client(app.url);
    for (const path of ["/organisations", "/organisations/new", "/organisations/1"]) {
      const res = await anon.get(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get("Location"), path).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
    }
  });

  it("creates an organisation with the region derived from the country, shown to its member", async () => {
    const { client, user } = await signedIn();
    const form = await client.get("/organisations/new");
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('<option value="KE">Kenya</option>');
    expect(html).toMatch(/<label for="f-region">ITU region<\/label>/);
    // Kenya is in Africa whatever the region select says.
    const id = await createVia(client, { region: "europe" });
    const row = await db
      .selectFrom("organisations")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ country: "KE", region: "africa", created_by: user.id });
    const page = await client.get(`/organisations/${id}?created=1`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain("Open Schools Network");
    expect(text).toContain("Africa");
    expect(text).toContain(user.email);
    const list = await (await client.get("/organisations")).text();
    expect(list).toContain(`href="/organisations/${id}"`);
    const roles = await db.selectFrom("user_roles").select("role").where("user_id", "=", user.id).execute();
    expect(roles.map((r) => r.role)).toEqual(["submitter"]);
  });

  it("shows field errors beside the fields for bad input, and writes nothing", async () => {
    const { client } = await signedIn();
    const before = await count("organisations");
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ country: "ZZ" }, "f-country", /Choose a country from the list/],
      [{ website: "javascript:alert(1)" }, "f-website", /starting with http:\/\/ or https:\/\//],
      [{ stakeholderType: "pirates" }, "f-stakeholderType", /Choose the type of stakeholder/],
      [{ name: "n".repeat(10_240) }, "f-name", /Use at most 200 characters/],
      [{ country: "GE", region: "" }, "f-region", /Choose the ITU region/],
    ];
    for (const [fields, fieldId, message] of cases) {
      const res = await client.post("/organisations/new", { ...ORGANISATION_FORM, ...fields });
      expect(res.status, JSON.stringify(fields).slice(0, 80)).toBe(400);
      const html = await res.text();
      expect(html).toMatch(new RegExp(`id="${fieldId}-error"[^>]*>[^<]*${message.source}`));
      expect(html).toMatch(new RegExp(`id="${fieldId}"[^>]*aria-invalid="true"`));
    }
    expect(await count("organisations")).toBe(before);
  });

  it("shows HTML and script typed into the fields as text", async () => {
    const { client } = await signedIn();
    const evil = `<script>alert("org")</script><img src=x onerror=alert(1)>`;
    const id = await createVia(client, { name: evil, contactName: evil });
    const html = await (await client.get(`/organisations/${id}`)).text();
    expect(html).not.toContain("<script>alert(");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;alert(&quot;org&quot;)&lt;/script&gt;");
  });

  it("refuses creation to an account whose email is not verified", async () => {
    const { client } = await signedIn({ verified: false });
    const page = await (await client.get("/organisations/new")).text();
    expect(page).toContain("Confirm your email address");
    const before = await count("organisations");
    const res = await client.post("/organisations/new", ORGANISATION_FORM);
    expect(res.status).toBe(403);
    expect(await count("organisations")).toBe(before);
  });

  it("answers 404 to non-members, for reading and for every action, and writes nothing", async () => {
    const owner = await signedIn();
    const stranger = await signedIn();
    const id = await createVia(owner.client);
    const snapshot = async () => ({
      orgs: await db.selectFrom("organisations").selectAll().where("id", "=", id).execute(),
      members: await count("organisation_members"),
      invitations: await count("organisation_invitations"),
      outbox: await count("outbox"),
    });
    const before = await snapshot();
    expect((await stranger.client.get(`/organisations/${id}`)).status).toBe(404);
    const attempts: Array<Record<string, string>> = [
      { intent: "update", ...ORGANISATION_FORM, name: "Hijacked" },
      { intent: "invite", email: stranger.user.email },
      { intent: "remove", userId: String(owner.user.id) },
    ];
    for (const fields of attempts) {
      const res = await stranger.client.post(`/organisations/${id}`, fields);
      expect(res.status, fields.intent).toBe(404);
    }
    // An organisation that does not exist, or a malformed id, looks the same.
    expect((await stranger.client.get("/organisations/999999")).status).toBe(404);
    expect((await stranger.client.get("/organisations/abc")).status).toBe(404);
    expect(await snapshot()).toEqual(before);
    expect(await (await stranger.client.get("/organisations")).text()).not.toContain(`/organisations/${id}"`);
  });

  it("lets a member edit the profile; a contradicting region is replaced by the country's", async () => {
    const { client } = await signedIn();
    const id = await createVia(client);
    const res = await client.post(`/organisations/${id}`, {
      intent: "update",
      ...ORGANISATION_FORM,
      name: "Renamed",
      country: "JP",
      region: "cis",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(`/organisations/${id}?saved=1`);
    const row = await db
      .selectFrom("organisations")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: "Renamed", country: "JP", region: "asia_pacific" });
    const bad = await client.post(`/organisations/${id}`, {
      intent: "update",
      ...ORGANISATION_FORM,
      website: "ftp://x.example.org",
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('id="f-website-error"');
    expect(
      (await db.selectFrom("organisations").select("website").where("id", "=", id).executeTakeFirstOrThrow())
        .website,
    ).toBe(ORGANISATION_FORM.website);
  });

  it("invites a colleague by email; only the invited account can accept, once", async () => {
    const owner = await signedIn();
    const id = await createVia(owner.client, { name: "Invite <Test> Org" });
    const colleagueEmail = `colleague${Date.now()}@example.org`;

    const sent = await owner.client.post(`/organisations/${id}`, { intent: "invite", email: colleagueEmail });
    expect(sent.status).toBe(302);
    expect(sent.headers.get("Location")).toBe(`/organisations/${id}?invited=1`);
    const token = await invitationTokenFor(colleagueEmail);
    const mail = smtp.messages.find((m) => m.to.includes(colleagueEmail));
    expect(mail?.text).toContain("Invite <Test> Org");
    expect(mail?.html).toContain("Invite &lt;Test&gt; Org");
    expect(await (await owner.client.get(`/organisations/${id}`)).text()).toContain(colleagueEmail);

    // Not signed in: sign in first, then come back to the invitation.
    const anon = new Client(app.url);
    const path = `/invitations/${token}`;
    const redirect = await anon.get(path);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("Location")).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);

    // Signed in with another account: a readable 403, and accepting writes nothing.
    const other = await signedIn();
    const wrongPage = await other.client.get(path);
    expect(wrongPage.status).toBe(403);
    expect(await wrongPage.text()).toContain("sent to another email address");
    const membersBefore = await count("organisation_members");
    const wrongAccept = await other.client.post(path, {});
    expect(wrongAccept.status).toBe(403);
    expect(await count("organisation_members")).toBe(membersBefore);
    expect((await other.client.get(`/organisations/${id}`)).status).toBe(404);

    // The invited account (registered later, with another spelling of the address) accepts.
    const colleague = await signedIn({ email: colleagueEmail.toUpperCase() });
    const page = await colleague.client.get(path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Accept the invitation");
    const accepted = await colleague.client.post(path, {});
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get("Location")).toBe(`/organisations/${id}?joined=1`);
    const orgPage = await colleague.client.get(`/organisations/${id}`);
    expect(orgPage.status).toBe(200);
    const orgHtml = await orgPage.text();
    expect(orgHtml).toContain(owner.user.email);
    expect(orgHtml).toContain(owner.user.name);
    expect(orgHtml).toContain(colleague.user.name);

    // Used once.
    const again = await colleague.client.post(path, {});
    expect(again.status).toBe(410);
    expect(await again.text()).toContain("already been used");
    expect((await colleague.client.get(path)).status).toBe(410);
    // A malformed or unknown token is a 404.
    expect((await colleague.client.get("/invitations/not-a-token")).status).toBe(404);
    expect((await colleague.client.get(`/invitations/${"A".repeat(43)}`)).status).toBe(404);
  });

  it("refuses an expired invitation with a readable 410, writing nothing", async () => {
    const owner = await signedIn();
    const id = await createVia(owner.client);
    const email = `late${Date.now()}@example.org`;
    expect((await owner.client.post(`/organisations/${id}`, { intent: "invite", email })).status).toBe(302);
    const token = await invitationTokenFor(email);
    // The server's clock is real: move the invitation into the past instead.
    await db
      .updateTable("organisation_invitations")
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where("email", "=", email)
      .execute();
    const late = await signedIn({ email });
    const page = await late.client.get(`/invitations/${token}`);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain("has expired");
    const res = await late.client.post(`/invitations/${token}`, {});
    expect(res.status).toBe(410);
    expect((await late.client.get(`/organisations/${id}`)).status).toBe(404);
  });

  it("rate-limits invitations to one address", async () => {
    const owner = await signedIn();
    const id = await createVia(owner.client);
    const email = `flooded${Date.now()}@example.org`;
    for (let i = 0; i < 5; i++) {
      expect((await owner.client.post(`/organisations/${id}`, { intent: "invite", email })).status).toBe(302);
    }
    const blocked = await owner.client.post(`/organisations/${id}`, { intent: "invite", email });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("lets a member remove another member, but never the last one", async () => {
    const owner = await signedIn();
    const id = await createVia(owner.client);
    const second = await signedIn();
    expect(
      (await owner.client.post(`/organisations/${id}`, { intent: "invite", email: second.user.email }))
        .status,
    ).toBe(302);
    const token = await invitationTokenFor(second.user.email);
    expect((await second.client.post(`/invitations/${token}`, {})).status).toBe(302);

    const removed = await second.client.post(`/organisations/${id}`, {
      intent: "remove",
      userId: String(owner.user.id),
    });
    expect(removed.status).toBe(302);
    expect(removed.headers.get("Location")).toBe(`/organisations/${id}?removed=1`);
    expect((await owner.client.get(`/organisations/${id}`)).status).toBe(404);
    const audit = await db
      .selectFrom("audit_log")
      .select(["actor_user_id"])
      .where("action", "=", "organisation.member.remove")
      .where("entity_id", "=", String(id))
      .execute();
    expect(audit).toEqual([{ actor_user_id: second.user.id }]);

    const last = await second.client.post(`/organisations/${id}`, {
      intent: "remove",
      userId: String(second.user.id),
    });
    expect(last.status).toBe(409);
    expect(await last.text()).toContain("at least one member");
    expect((await second.client.get(`/organisations/${id}`)).status).toBe(200);
  });

  it("shuts out a member whose submitter role was withdrawn (403)", async () => {
    const { client, user } = await signedIn();
    const id = await createVia(client);
    await revokeRole(user.id, "submitter", null, new Date(), db);
    expect((await client.get(`/organisations/${id}`)).status).toBe(403);
    expect(
      (await client.post(`/organisations/${id}`, { intent: "update", ...ORGANISATION_FORM })).status,
    ).toBe(403);
  });
});
