import { randomBytes } from "node:crypto";
import { readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMailer } from "../../emails/transport";
import { editionStateAt } from "../../app/domain/phases";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { expertStagesWorld, signedIn, type ExpertStagesWorld } from "../fixtures/expert-stages";
import { editionForm } from "../helpers/forms";

const ADMIN_PAGES = [
  "/admin",
  "/admin/users",
  "/admin/users?q=a&page=2",
  "/admin/editions",
  "/admin/editions/2031",
  "/admin/outbox",
  "/admin/audit",
  "/admin/mail",
  "/admin/mail/1-message.eml",
];

for (const dialect of DIALECTS) {
  describe(`admin pages over HTTP (${dialect})`, () => {
    let t: TestDb;
    let app: RunningApp;
    let world: ExpertStagesWorld;
    let ids: Record<string, number>;

    /** A client signed in as `userId` (a session row written directly). */
    const as = (userId: number, base = app.url) => signedIn(t.db, base, userId);

    const rolesOf = async (userId: number) =>
      (await t.db.selectFrom("user_roles").select("role").where("user_id", "=", userId).execute())
        .map((r) => r.role)
        .sort();

    beforeAll(async () => {
      t = await createTestDb(dialect);
      app = await startApp({ databaseUrl: t.url });
      world = expertStagesWorld(t.db, new Date());
      ids = await world.users({
        organiser: ["organiser"],
        voter: ["voter"],
        submitter: ["submitter"],
        expert: ["expert", "voter"],
      });
    });

    afterAll(async () => {
      await app?.stop();
      await t?.cleanup();
    });

    it("sends anonymous visitors of every admin page, and every admin form, to sign in", async () => {
      const anon = new Client(app.url);
      for (const path of ADMIN_PAGES) {
        const res = await anon.get(path);
        expect(res.status, path).toBe(302);
        expect(res.headers.get("Location"), path).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
      }
      for (const path of ["/admin/users", "/admin/editions", "/admin/editions/2031"]) {
        const res = await anon.post(path, { intent: "grant", userId: String(ids.voter), role: "organiser" });
        expect(res.status, path).toBe(302);
        expect(res.headers.get("Location"), path).toMatch(/^\/login\?redirectTo=/);
      }
      expect(await rolesOf(ids.voter)).toEqual(["voter"]);
    });

    it("refuses every admin page and every admin action to voters, submitters and experts (403)", async () => {
      await t.db
        .insertInto("editions")
        .values({
          year: 2031,
          name: "Edition 2031",
          timezone: "Europe/Zurich",
          submission_opens_at: "2031-01-10T08:00:00.000Z",
          submission_closes_at: "2031-02-10T22:59:00.000Z",
          nomination_opens_at: "2031-02-10T23:00:00.000Z",
          nomination_closes_at: "2031-02-28T23:00:00.000Z",
          voting_opens_at: "2031-03-05T11:00:00.000Z",
          voting_closes_at: "2031-04-01T10:00:00.000Z",
          selection_opens_at: "2031-04-01T22:00:00.000Z",
          selection_closes_at: "2031-04-30T22:00:00.000Z",
          announcement_opens_at: "2031-05-01T22:00:00.000Z",
          announcement_closes_at: "2031-12-30T23:00:00.000Z",
          min_long_answer_words: 50,
          created_at: new Date().toISOString(),
        })
        .execute();
      const editionsBefore = await world.count("editions");
      const auditBefore = await world.count("audit_log");
      const rolesBefore = await world.count("user_roles");
      for (const who of ["voter", "submitter", "expert"]) {
        const browser = await as(ids[who]);
        for (const path of ADMIN_PAGES) {
          const res = await browser.get(path);
          expect(res.status, `${who} GET ${path}`).toBe(403);
          expect(await res.text()).toContain("You do not have permission");
        }
        const posts: [string, Record<string, string>][] = [
          ["/admin/users", { intent: "grant", userId: String(ids[who]), role: "organiser" }],
          ["/admin/users", { intent: "revoke", userId: String(ids.organiser), role: "organiser" }],
          ["/admin/editions", editionForm(2032)],
          ["/admin/editions/2031", { intent: "open-phase", phase: "voting" }],
          ["/admin/editions/2031", { intent: "update", ...editionForm(2031, { name: "Hacked" }) }],
        ];
        for (const [path, fields] of posts) {
          const res = await browser.post(path, fields);
          expect(res.status, `${who} POST ${path}`).toBe(403);
        }
      }
      expect(await world.count("editions")).toBe(editionsBefore);
      expect(await world.count("audit_log")).toBe(auditBefore);
      expect(await world.count("user_roles")).toBe(rolesBefore);
      expect(await rolesOf(ids.organiser)).toEqual(["organiser"]);
      const e = await t.db
        .selectFrom("editions")
        .select("name")
        .where("year", "=", 2031)
        .executeTakeFirstOrThrow();
      expect(e.name).toBe("Edition 2031");
    });

    it("shows organisers every admin page", async () => {
      const org = await as(ids.organiser);
      for (const path of ADMIN_PAGES.filter((p) => !p.startsWith("/admin/mail/"))) {
        const res = await org.get(path);
        expect(res.status, path).toBe(200);
        expect(await res.text()).toContain('aria-label="Admin"');
      }
      const dashboard = await (await org.get("/admin")).text();
      expect(dashboard).toMatch(/Users<\/th><td>4</);
    });

    it("lets an organiser grant a role that the grantee's very next request sees, audit-logged", async () => {
      const org = await as(ids.organiser);
      const voter = await as(ids.voter);
      expect((await voter.get("/admin")).status).toBe(403);

      const res = await org.post("/admin/users?q=voter", {
        intent: "grant",
        userId: String(ids.voter),
        role: "organiser",
      });
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe("/admin/users?q=voter");
      expect((await voter.get("/admin")).status).toBe(200);
      expect(await rolesOf(ids.voter)).toEqual(["organiser", "voter"]);

      const audit = await t.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "role.grant")
        .where("entity_id", "=", String(ids.voter))
        .executeTakeFirstOrThrow();
      expect(audit.actor_user_id).toBe(ids.organiser);
      expect(JSON.parse(audit.after_json ?? "null")).toEqual({ role: "organiser" });

      // Granting again changes nothing and writes no second audit entry.
      const before = await world.count("audit_log");
      expect(
        (await org.post("/admin/users", { intent: "grant", userId: String(ids.voter), role: "organiser" }))
          .status,
      ).toBe(302);
      expect(await world.count("audit_log")).toBe(before);
    });

    it("refuses the very next request of an organiser whose role was revoked", async () => {
      const org = await as(ids.organiser);
      const other = await as(ids.voter); // made organiser in the previous test
      expect((await other.get("/admin/users")).status).toBe(200);

      const res = await org.post("/admin/users", {
        intent: "revoke",
        userId: String(ids.voter),
        role: "organiser",
      });
      expect(res.status).toBe(302);
      expect((await other.get("/admin/users")).status).toBe(403);
      expect(
        (await other.post("/admin/users", { intent: "grant", userId: String(ids.voter), role: "organiser" }))
          .status,
      ).toBe(403);
      expect(await rolesOf(ids.voter)).toEqual(["voter"]);
      const audit = await t.db
        .selectFrom("audit_log")
        .select(["actor_user_id", "before_json"])
        .where("action", "=", "role.revoke")
        .where("entity_id", "=", String(ids.voter))
        .executeTakeFirstOrThrow();
      expect(audit).toEqual({
        actor_user_id: ids.organiser,
        before_json: JSON.stringify({ role: "organiser" }),
      });
    });

    it("does not let an organiser revoke their own organiser role, and refuses malformed role changes", async () => {
      const org = await as(ids.organiser);
      const self = await org.post("/admin/users", {
        intent: "revoke",
        userId: String(ids.organiser),
        role: "organiser",
      });
      expect(self.status).toBe(400);
      expect(await self.text()).toContain("You cannot revoke your own organiser role");
      expect(await rolesOf(ids.organiser)).toEqual(["organiser"]);

      const auditBefore = await world.count("audit_log");
      const malformed: Record<string, string>[] = [
        { intent: "grant", userId: String(ids.voter), role: "admin" },
        { intent: "promote", userId: String(ids.voter), role: "expert" },
        { intent: "grant", userId: "abc", role: "expert" },
        { intent: "grant", userId: "-1", role: "expert" },
        { intent: "grant", userId: "99999999999", role: "expert" },
        {},
      ];
      for (const fields of malformed) {
        expect((await org.post("/admin/users", fields)).status, JSON.stringify(fields)).toBe(400);
      }
      expect(
        (await org.post("/admin/users", { intent: "grant", userId: "987654", role: "expert" })).status,
      ).toBe(404);
      expect(await world.count("audit_log")).toBe(auditBefore);
    });

    it("searches users by email or name and pages them 50 at a time", async () => {
      await t.db
        .insertInto("users")
        .values(
          Array.from({ length: 60 }, (_, i) => ({
            email: `bulk-${String(i).padStart(2, "0")}@example.org`,
            email_canonical: `bulk-${String(i).padStart(2, "0")}@example.org`,
            name: i === 7 ? "Zeta_Percent% Person" : `Bulk ${i}`,
            password_hash: "x",
            email_verified_at: null,
            pending_email: null,
            created_at: new Date().toISOString(),
          })),
        )
        .execute();
      const org = await as(ids.organiser);
      const emails = (html: string) => new Set(html.match(/bulk-\d\d@example\.org/g) ?? []);

      const page1 = await (await org.get("/admin/users?q=BULK-")).text();
      expect(page1).toContain("60 users");
      expect(emails(page1).size).toBe(50);
      expect(page1).toContain("Page 1 of 2");
      const page2 = await (await org.get("/admin/users?q=BULK-&page=2")).text();
      expect(emails(page2).size).toBe(10);
      expect([...emails(page2)].some((e) => emails(page1).has(e))).toBe(false);

      const byName = await (await org.get(`/admin/users?q=${encodeURIComponent("zeta_percent%")}`)).text();
      expect([...emails(byName)]).toEqual(["bulk-07@example.org"]);
      // LIKE wildcards in the query are literal characters.
      const wildcard = await (await org.get(`/admin/users?q=${encodeURIComponent("%")}`)).text();
      expect([...emails(wildcard)]).toEqual(["bulk-07@example.org"]);
      const none = await (await org.get("/admin/users?q=nobody-here&page=abc")).text();
      expect(none).toContain("0 users");
      expect((await org.get(`/admin/users?q=${"x".repeat(5000)}&page=999999999999`)).status).toBe(200);
    });

    it("refuses phases out of order with a message beside each field, writing nothing", async () => {
      const org = await as(ids.organiser);
      const before = { editions: await world.count("editions"), audit: await world.count("audit_log") };
      const res = await org.post(
        "/admin/editions",
        editionForm(2033, { voting_opens_at: "2033-02-20T00:00", selection_closes_at: "2033-04-01T00:00" }),
      );
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('id="f-voting_opens_at-error"');
      expect(html).toContain("Public voting cannot open before nomination closes.");
      expect(html).toContain('id="f-selection_closes_at-error"');
      expect(html).toContain("Selection must close after it opens.");
      expect(html).toContain('value="2033-02-20T00:00"');
      expect({ editions: await world.count("editions"), audit: await world.count("audit_log") }).toEqual(
        before,
      );
    });

    it("refuses a bad year, a bogus time zone or a 10 kB name with 400 and field messages, not 500", async () => {
      const org = await as(ids.organiser);
      const before = { editions: await world.count("editions"), audit: await world.count("audit_log") };
      const cases: [Record<string, string>, string][] = [
        [{ year: "20x3" }, "Enter a four-digit year"],
        [{ year: "1999" }, "Enter a year from 2000 to 2100"],
        [{ year: "2031" }, "An edition for 2031 already exists."],
        [{ timezone: "Mars/Olympus_Mons" }, "Enter an IANA time zone name"],
        [{ timezone: "Europe/Zurich\u0000" }, "Enter an IANA time zone name"],
        [{ name: "x".repeat(10_240) }, "Keep the name to 120 characters or fewer."],
        [{ name: "   " }, "Enter a name."],
        [{ voting_closes_at: "" }, "Enter a date and time."],
        [{ voting_closes_at: "2033-02-30T10:00" }, "This date does not exist."],
        [{ voting_closes_at: "next tuesday" }, "Enter a date and time as YYYY-MM-DDTHH:MM."],
      ];
      for (const [overrides, message] of cases) {
        const res = await org.post("/admin/editions", editionForm(2033, overrides));
        expect(res.status, JSON.stringify(overrides).slice(0, 80)).toBe(400);
        expect(await res.text()).toContain(message);
      }
      expect({ editions: await world.count("editions"), audit: await world.count("audit_log") }).toEqual(
        before,
      );
    });

    it("creates a valid edition, lists it with its phase, and audit-logs it", async () => {
      const org = await as(ids.organiser);
      const res = await org.post("/admin/editions", editionForm(2034, { timezone: "europe/zurich" }));
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe("/admin/editions?created=2034");
      const edition = await t.db
        .selectFrom("editions")
        .selectAll()
        .where("year", "=", 2034)
        .executeTakeFirstOrThrow();
      expect(edition).toMatchObject({
        name: "WSIS Prizes 2034",
        timezone: "Europe/Zurich",
        submission_opens_at: "2034-01-10T08:00:00.000Z",
        voting_opens_at: "2034-03-05T11:00:00.000Z",
        selection_opens_at: "2034-04-01T22:00:00.000Z",
      });
      const list = await (await org.get("/admin/editions?created=2034")).text();
      expect(list).toContain("Edition 2034 created.");
      expect(list).toContain("WSIS Prizes 2034");
      expect(list).toContain("Not started: submission opens on 10 Jan 2034, 09:00 (Europe/Zurich).");
      const audit = await t.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "edition.create")
        .where("entity_id", "=", String(edition.id))
        .executeTakeFirstOrThrow();
      expect(audit.actor_user_id).toBe(ids.organiser);
      expect(audit.entity).toBe("edition");

      const auditPage = await (await org.get(`/admin/audit?entity=edition&id=${edition.id}`)).text();
      expect(auditPage).toContain("edition.create");
      expect(auditPage).toContain("organiser@example.org");
      expect(auditPage).toContain("1 entry");
    });

    it("edits an edition in its time zone and opens a phase now, both audit-logged", async () => {
      const org = await as(ids.organiser);
      const page = await (await org.get("/admin/editions/2034")).text();
      expect(page).toContain('value="2034-03-05T12:00"');
      expect(page).toContain("Public voting: 5 Mar 2034, 12:00 (Europe/Zurich)");

      const bad = await org.post("/admin/editions/2034", {
        intent: "update",
        ...editionForm(2034, { announcement_closes_at: "2034-05-01T00:00" }),
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("Announcement must close after it opens.");

      const saved = await org.post("/admin/editions/2034", {
        intent: "update",
        ...editionForm(2034, { name: "Renamed 2034", timezone: "America/New_York" }),
      });
      expect(saved.status).toBe(302);
      const edition = await t.db
        .selectFrom("editions")
        .selectAll()
        .where("year", "=", 2034)
        .executeTakeFirstOrThrow();
      expect(edition).toMatchObject({ name: "Renamed 2034", timezone: "America/New_York" });
      expect(edition.voting_opens_at).toBe("2034-03-05T17:00:00.000Z");

      const opened = await org.post("/admin/editions/2034", { intent: "open-phase", phase: "voting" });
      expect(opened.status).toBe(302);
      const after = await t.db
        .selectFrom("editions")
        .selectAll()
        .where("year", "=", 2034)
        .executeTakeFirstOrThrow();
      expect(editionStateAt(after, new Date())).toMatchObject({ kind: "open", phase: "voting" });
      const actions = await t.db
        .selectFrom("audit_log")
        .select("action")
        .where("entity", "=", "edition")
        .where("entity_id", "=", String(edition.id))
        .orderBy("id")
        .execute();
      expect(actions.map((a) => a.action)).toEqual(["edition.create", "edition.update", "edition.update"]);

      expect((await org.post("/admin/editions/2034", { intent: "open-phase", phase: "lunch" })).status).toBe(
        400,
      );
      expect((await org.post("/admin/editions/2034", { intent: "explode" })).status).toBe(400);
      expect((await org.get("/admin/editions/1999")).status).toBe(404);
      expect((await org.get("/admin/editions/abcd")).status).toBe(404);
      expect((await org.post("/admin/editions/1999", { intent: "open-phase", phase: "voting" })).status).toBe(
        404,
      );
    });

    it("lists outbox rows with their status and pages them", async () => {
      await t.db
        .insertInto("outbox")
        .values({
          idempotency_key: "admin-test-failed",
          kind: "verify_email",
          to_address: "failed@example.org",
          subject: "Confirm",
          html: "<p>x</p>",
          text: "x",
          status: "failed",
          attempts: 3,
          last_error: "550 mailbox unavailable",
          created_at: new Date().toISOString(),
          sent_at: null,
        })
        .execute();
      const org = await as(ids.organiser);
      const failed = await (await org.get("/admin/outbox?status=failed")).text();
      expect(failed).toContain("failed@example.org");
      expect(failed).toContain("550 mailbox unavailable");
      const sent = await (await org.get("/admin/outbox?status=sent")).text();
      expect(sent).not.toContain("failed@example.org");
      expect((await org.get("/admin/outbox?status=bogus&page=-3")).status).toBe(200);
    });

    describe("development mail viewer", () => {
      let file: string;
      let secret: string;

      beforeAll(async () => {
        const mailer = createMailer({
          smtpUrl: "",
          from: "WSIS Prizes <no-reply@wsis.localhost>",
          outboxDir: app.outboxDir,
        });
        await mailer.send({
          to: "reader@example.org",
          subject: "Confirm your address <now>",
          text: "Plain text body with a link: http://127.0.0.1/verify?token=abc",
          html: '<p id="injected">Hello</p><script>window.pwned = 1</script><img src="x" onerror="alert(1)">',
          messageId: "<admin-test-1@wsis-prizes>",
        });
        mailer.close();
        file = readdirSync(app.outboxDir).find((f) => f.endsWith(".eml")) ?? "";
        // A message outside the outbox folder, and a link to it inside: neither may be served.
        secret = `secret-${randomBytes(4).toString("hex")}.eml`;
        writeFileSync(join(dirname(app.outboxDir), secret), "Subject: TOP SECRET\r\n\r\nsecret body\r\n");
        symlinkSync(join(dirname(app.outboxDir), secret), join(app.outboxDir, `9999999999999-link.eml`));
      });

      afterAll(() => {
        rmSync(join(dirname(app.outboxDir), secret), { force: true });
      });

      it("lists the message with subject, recipient and date, newest first", async () => {
        const org = await as(ids.organiser);
        const res = await org.get("/admin/mail");
        expect(res.status).toBe(200);
        const html = await res.text();
        expect(html).toContain("Confirm your address &lt;now&gt;");
        expect(html).toContain("reader@example.org");
        expect(html).toContain(`/admin/mail/${file}`);
        expect(html).toContain("1 message");
        expect(html).not.toContain("TOP SECRET");
      });

      it("shows the text and the HTML only inside a sandboxed frame, never as our markup", async () => {
        const org = await as(ids.organiser);
        const res = await org.get(`/admin/mail/${encodeURIComponent(file)}`);
        expect(res.status).toBe(200);
        const html = await res.text();
        expect(html).toContain("Plain text body with a link: http://127.0.0.1/verify?token=abc");
        expect(html).toMatch(
          /<iframe[^>]*sandbox=""[^>]*srcDoc="|<iframe[^>]*srcdoc="[^"]*"[^>]*sandbox=""/i,
        );
        expect(html).toContain("&lt;p id=&quot;injected&quot;&gt;");
        expect(html).not.toContain('<p id="injected">');
        expect(html).not.toContain("<script>window.pwned");
        expect(html).not.toContain('onerror="alert(1)"');
      });

      it("refuses path traversal, symlinks and unknown files with 404", async () => {
        const org = await as(ids.organiser);
        for (const path of [
          `/admin/mail/..%2F${secret}`,
          `/admin/mail/%2E%2E%2F${secret}`,
          `/admin/mail/..%5C${secret}`,
          `/admin/mail/..%2F..%2F..%2Fetc%2Fpasswd`,
          `/admin/mail/9999999999999-link.eml`,
          `/admin/mail/nothing-here.eml`,
          `/admin/mail/${encodeURIComponent(file)}%00.txt`,
          `/admin/mail/.eml`,
        ]) {
          const res = await org.get(path);
          expect(res.status, path).toBe(404);
          const body = await res.text();
          expect(body).not.toContain("TOP SECRET");
          expect(body).not.toContain("root:");
        }
      });

      it("does not exist in production, for anyone", async () => {
        const prod = await startApp({
          databaseUrl: t.url,
          env: { NODE_ENV: "production", OUTBOX_DIR: app.outboxDir },
        });
        try {
          const org = await as(ids.organiser, prod.url);
          expect((await org.get("/admin")).status).toBe(200);
          expect((await org.get("/admin/mail")).status).toBe(404);
          expect((await org.get(`/admin/mail/${encodeURIComponent(file)}`)).status).toBe(404);
          expect((await new Client(prod.url).get("/admin/mail")).status).toBe(404);
        } finally {
          await prod.stop();
        }
      });
    });
  });
}
