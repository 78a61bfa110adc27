import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scheduleWithPhaseOpen } from "../../app/domain/phases";
import { createUser } from "../../app/domain/users.server";
import { createSession } from "../../app/utils/session.server";
import type { Role } from "../../db/schema";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";

const YEAR = 2035;
const SCRIPT_TITLE = `<script>alert("pwned")</script> Skills`;
const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(" ");

/** Page text without the <!-- --> markers React puts between adjacent text nodes. */
const read = async (res: Response) => (await res.text()).replaceAll("<!-- -->", "");

type Browser = {
  get(path: string): Promise<Response>;
  post(path: string, fields: Record<string, string>): Promise<Response>;
};

for (const dialect of DIALECTS) {
  describe(`nomination over HTTP (${dialect})`, () => {
    let t: TestDb;
    let app: RunningApp;
    let smtp: SmtpReceiver;
    const ids: Record<string, number> = {};
    const projects: Record<string, number> = {};
    const contacts: Record<string, string> = {};
    let editionId: number;
    let cat: Record<string, number>;

    async function makeUser(key: string, roles: Role[]): Promise<number> {
      const user = await createUser(
        {
          email: `${key}@example.org`,
          name: `User ${key}`,
          password: "correct horse battery staple",
          roles,
          verified: true,
          now: new Date(),
        },
        t.db,
      );
      if (!user) throw new Error(`could not create ${key}`);
      ids[key] = user.id;
      return user.id;
    }

    /** A browser signed in as `userId`: a real session row, the CSRF cookie from a first page view. */
    async function as(userId: number): Promise<Browser> {
      const client = new Client(app.url);
      await client.get("/");
      const { token } = await createSession(t.db, userId, { ip: "127.0.0.1", userAgent: "vitest" });
      const headers = () => ({
        Cookie: `wsis_csrf=${client.cookie("wsis_csrf") ?? ""}; wsis_session=${token}`,
      });
      return {
        get: (path) => client.get(path, headers()),
        post: (path, fields) => client.post(path, fields, headers()),
      };
    }

    async function organisation(key: string, members: number[] = []): Promise<number> {
      const now = new Date().toISOString();
      contacts[key] = `contact-${key}@org.example`;
      const row = await t.db
        .insertInto("organisations")
        .values({
          name: `Org ${key}`,
          stakeholder_type: "academia",
          country: "CH",
          region: "europe",
          website: "javascript:alert(1)",
          contact_name: `Contact ${key}`,
          contact_email: contacts[key],
          created_by: null,
          created_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      for (const userId of members) {
        await t.db
          .insertInto("organisation_members")
          .values({ organisation_id: row.id, user_id: userId, created_at: now })
          .execute();
      }
      return row.id;
    }

    async function project(
      key: string,
      organisationId: number,
      categoryId: number,
      title: string,
    ): Promise<number> {
      const now = new Date().toISOString();
      const row = await t.db
        .insertInto("projects")
        .values({
          edition_id: editionId,
          organisation_id: organisationId,
          category_id: categoryId,
          status: "submitted",
          title,
          website: null,
          country: "CH",
          start_year: 2021,
          implementation_status: "completed",
          short_description: words(170),
          sdgs: "4",
          gdc_objectives: "1",
          action_line_linkage: words(55),
          sdg_linkage: words(55),
          gdc_linkage: words(55),
          impact: words(55),
          partnerships: words(55),
          challenges: `${words(55)} <img src=x onerror=alert(1)>`,
          fingerprint: `fp-${key}`,
          title_normalised: key,
          submitted_at: now,
          created_at: now,
          updated_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      projects[key] = row.id;
      return row.id;
    }

    const count = async (table: "nomination_decisions" | "audit_log" | "outbox" | "expert_assignments") =>
      Number(
        (
          await t.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );

    beforeAll(async () => {
      t = await createTestDb(dialect);
      smtp = await startSmtp();
      app = await startApp({ databaseUrl: t.url, smtpUrl: smtp.url });
      const rows = await t.db.selectFrom("categories").select(["id", "code"]).execute();
      cat = Object.fromEntries(rows.map((r) => [r.code, r.id]));
      await makeUser("organiser", ["organiser"]);
      await makeUser("expert", ["expert", "voter"]);
      await makeUser("expert2", ["expert"]);
      await makeUser("voter", ["voter"]);
      await makeUser("submitter", ["submitter"]);
      const edition = await t.db
        .insertInto("editions")
        .values({
          year: YEAR,
          name: `WSIS Prizes ${YEAR}`,
          timezone: "Europe/Zurich",
          ...scheduleWithPhaseOpen("nomination", new Date()),
          min_long_answer_words: 50,
          created_at: new Date().toISOString(),
          nominees_published_at: null,
          results_published_at: null,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      editionId = edition.id;
      const own = await organisation("own", [ids.expert]);
      const a = await organisation("a");
      const b = await organisation("b");
      await project("script", a, cat.C4, SCRIPT_TITLE);
      await project("plain", b, cat.C4, "Plain capacity project");
      await project("own", own, cat.C4, "Own organisation project");
      await project("other", a, cat.C9, "Media project of another category");
    });

    afterAll(async () => {
      await app?.stop();
      await smtp?.stop();
      await t?.cleanup();
    });

    it("sends anonymous visitors to sign in and refuses voters and submitters (403), writing nothing", async () => {
      const pages = ["/review", `/review/${projects.script}`, "/admin/experts", "/admin/nomination"];
      const anon = new Client(app.url);
      for (const path of pages) {
        const res = await anon.get(path);
        expect(res.status, path).toBe(302);
        expect(res.headers.get("Location"), path).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
      }
      const posts: Array<[string, Record<string, string>]> = [
        [`/review/${projects.script}`, { decision: "nominate" }],
        [
          "/admin/experts",
          { editionId: String(editionId), userId: String(ids.expert), category: String(cat.C4) },
        ],
        ["/admin/nomination", { editionId: String(editionId), includeUndecided: "on" }],
      ];
      for (const [path, fields] of posts) expect((await anon.post(path, fields)).status, path).toBe(302);
      for (const key of ["voter", "submitter"]) {
        const browser = await as(ids[key]);
        for (const path of pages) expect((await browser.get(path)).status, `${key} ${path}`).toBe(403);
        for (const [path, fields] of posts)
          expect((await browser.post(path, fields)).status, `${key} ${path}`).toBe(403);
      }
      // Experts review; they do not manage experts or publish.
      const expert = await as(ids.expert);
      expect((await expert.get("/admin/experts")).status).toBe(403);
      expect((await expert.get("/admin/nomination")).status).toBe(403);
      for (const [path, fields] of posts.slice(1))
        expect((await expert.post(path, fields)).status, path).toBe(403);
      expect(await count("nomination_decisions")).toBe(0);
      expect(await count("expert_assignments")).toBe(0);
      expect(await count("outbox")).toBe(0);
    });

    it("lets an organiser assign experts to categories, audit-logged; a non-expert cannot be assigned", async () => {
      const organiser = await as(ids.organiser);
      const page = await organiser.get(`/admin/experts?edition=${YEAR}`);
      expect(page.status).toBe(200);
      const html = await read(page);
      expect(html).toContain("User expert");
      expect(html).toContain("No category has an expert yet.");

      const res = await organiser.post("/admin/experts", {
        editionId: String(editionId),
        userId: String(ids.expert),
        category: String(cat.C4),
      });
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe(
        `/admin/experts?edition=${YEAR}&saved=${ids.expert}&changed=1#expert-${ids.expert}`,
      );
      expect(
        (
          await organiser.post("/admin/experts", {
            editionId: String(editionId),
            userId: String(ids.expert2),
            category: String(cat.C9),
          })
        ).status,
      ).toBe(302);
      const after = await read(
        await organiser.get(`/admin/experts?edition=${YEAR}&saved=${ids.expert}&changed=1`),
      );
      expect(after).toContain("Assignments of User expert saved.");
      const section = after.slice(after.indexOf(`id="expert-${ids.expert}"`)).split("</section>")[0];
      expect(section.match(/checked=""/g)).toHaveLength(1);
      expect(section).toContain(`checked="" value="${cat.C4}"`);
      const entry = await t.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "expert_assignment.update")
        .where("entity_id", "=", String(ids.expert))
        .executeTakeFirstOrThrow();
      expect(entry.actor_user_id).toBe(ids.organiser);
      expect(JSON.parse(entry.after_json ?? "null")).toMatchObject({ categories: ["C4"] });

      const refused = await organiser.post("/admin/experts", {
        editionId: String(editionId),
        userId: String(ids.voter),
        category: String(cat.C4),
      });
      expect(refused.status).toBe(400);
      expect(await read(refused)).toContain("does not hold the expert role");
      const bad = await organiser.post("/admin/experts", {
        editionId: "abc",
        userId: String(ids.expert),
        category: "x",
      });
      expect(bad.status).toBe(400);
      expect(await count("expert_assignments")).toBe(2);
    });

    it("shows an expert the queue of their categories only, never their own organisation's projects", async () => {
      const expert = await as(ids.expert);
      const res = await expert.get("/review");
      expect(res.status).toBe(200);
      const html = await read(res);
      expect(html).toContain("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; Skills");
      expect(html).not.toContain('<script>alert("pwned")');
      expect(html).toContain("Plain capacity project");
      expect(html).not.toContain("Own organisation project");
      expect(html).not.toContain("Media project of another category");
      expect(html).toContain("0 of 2 projects decided, 2 to do.");

      const decided = await read(await expert.get("/review?show=decided"));
      expect(decided).not.toContain("Plain capacity project");
      expect((await expert.get("/review?show=bogus&page=-3&category=%3Cx%3E")).status).toBe(200);
    });

    it("answers 404 for another category's project and an own-organisation project, GET and POST, writing nothing", async () => {
      const expert = await as(ids.expert);
      for (const key of ["other", "own"]) {
        expect((await expert.get(`/review/${projects[key]}`)).status, key).toBe(404);
        expect((await expert.post(`/review/${projects[key]}`, { decision: "nominate" })).status, key).toBe(
          404,
        );
      }
      expect((await expert.get("/review/999999")).status).toBe(404);
      expect((await expert.get("/review/abc")).status).toBe(404);
      // The other expert's category, seen from that expert: they cannot reach C4 either.
      const expert2 = await as(ids.expert2);
      expect((await expert2.post(`/review/${projects.script}`, { decision: "nominate" })).status).toBe(404);
      expect(await count("nomination_decisions")).toBe(0);
    });

    it("shows the project in full beside the rules and criteria, with field errors for an incomplete rejection", async () => {
      const expert = await as(ids.expert);
      const page = await expert.get(`/review/${projects.script}`);
      expect(page.status).toBe(200);
      const html = await read(page);
      expect(html).not.toContain('<script>alert("pwned")');
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
      expect(html).not.toContain('href="javascript:');
      for (const text of [
        "Rules",
        "Criteria",
        "Relevance to the Action Line",
        "Promotion of WSIS values",
        "Reason for rejecting",
      ]) {
        expect(html).toContain(text);
      }
      expect(html).toContain("170 words (150–200 required)");

      const audits = await count("audit_log");
      const noReason = await expert.post(`/review/${projects.script}`, { decision: "reject", reason: "" });
      expect(noReason.status).toBe(400);
      expect(await read(noReason)).toContain("Choose the reason for rejecting this project.");
      const noText = await expert.post(`/review/${projects.script}`, {
        decision: "reject",
        reason: "other",
        reason_text: " ",
      });
      expect(noText.status).toBe(400);
      expect(await read(noText)).toContain("Explain the reason in a few words");
      const nothing = await expert.post(`/review/${projects.script}`, {});
      expect(nothing.status).toBe(400);
      const csrf = await expert.post(`/review/${projects.script}`, { decision: "nominate", _csrf: "forged" });
      expect(csrf.status).toBe(403);
      expect(await count("nomination_decisions")).toBe(0);
      expect(await count("audit_log")).toBe(audits);
    });

    it("records a decision, audit-logged, and lets the expert change it", async () => {
      const expert = await as(ids.expert);
      const res = await expert.post(`/review/${projects.script}`, { decision: "nominate" });
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe(`/review/${projects.script}?saved=1`);
      const saved = await read(await expert.get(`/review/${projects.script}?saved=1`));
      expect(saved).toContain("Decision saved.");
      expect(saved).toContain(`/review/${projects.plain}`); // the next project to review

      const reject = await expert.post(`/review/${projects.plain}`, {
        decision: "reject",
        reason: "out_of_scope",
      });
      expect(reject.status).toBe(302);
      const change = await expert.post(`/review/${projects.plain}`, {
        decision: "reject",
        reason: "other",
        reason_text: "Not <b>ICT</b>",
      });
      expect(change.status).toBe(302);
      const row = await t.db
        .selectFrom("nomination_decisions")
        .selectAll()
        .where("project_id", "=", projects.plain)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        decision: "reject",
        reason: "other",
        reason_text: "Not <b>ICT</b>",
        decided_by: ids.expert,
      });
      const entries = await t.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "nomination.decide")
        .where("entity_id", "=", String(projects.plain))
        .orderBy("id")
        .execute();
      expect(entries).toHaveLength(2);
      expect(JSON.parse(entries[1].before_json ?? "null")).toMatchObject({
        decision: "reject",
        reason: "out_of_scope",
      });
      expect(JSON.parse(entries[1].after_json ?? "null")).toMatchObject({
        decision: "reject",
        reason: "other",
        reason_text: "Not <b>ICT</b>",
      });
      const page = await read(await expert.get(`/review/${projects.plain}`));
      expect(page).toContain("Not &lt;b&gt;ICT&lt;/b&gt;");

      const queue = await read(await expert.get("/review?show=all"));
      expect(queue).toContain("2 of 2 projects decided, 0 to do.");
    });

    it("shows organisers progress, publishes once after confirmation, and emails each submitter exactly once", async () => {
      const organiser = await as(ids.organiser);
      const page = await organiser.get(`/admin/nomination?edition=${YEAR}`);
      expect(page.status).toBe(200);
      const html = await read(page);
      expect(html).toContain("2 of 4 submitted projects decided, 2 to do");
      expect(html).toContain("Publish the nominee list…");
      const confirm = await read(await organiser.get(`/admin/nomination?edition=${YEAR}&step=confirm`));
      expect(confirm).toContain("Confirm publication");
      expect(confirm).toContain("Publish anyway: undecided projects count as not nominated");

      const refused = await organiser.post("/admin/nomination", { editionId: String(editionId) });
      expect(refused.status).toBe(409);
      expect(await read(refused)).toContain("2 submitted projects have no decision yet.");
      expect(await count("outbox")).toBe(0);

      const published = await organiser.post("/admin/nomination", {
        editionId: String(editionId),
        includeUndecided: "on",
      });
      expect(published.status).toBe(302);
      expect(published.headers.get("Location")).toBe(`/admin/nomination?edition=${YEAR}&published=1`);
      const edition = await t.db
        .selectFrom("editions")
        .select("nominees_published_at")
        .where("id", "=", editionId)
        .executeTakeFirstOrThrow();
      expect(edition.nominees_published_at).not.toBeNull();

      const nominated = await smtp.waitFor(
        (m) => m.to.includes(contacts.a) && m.subject.includes("is nominated"),
      );
      expect(nominated.html).toContain("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; Skills");
      expect(nominated.html).not.toContain("<script>");
      expect(nominated.text).toContain(SCRIPT_TITLE);
      expect(nominated.text).toContain("C4 — Capacity building");
      expect(nominated.text).toMatch(new RegExp(`/projects/${projects.script}\\b`));
      const notNominated = await smtp.waitFor((m) => m.to.includes(contacts.b));
      expect(notNominated.subject).toContain("Nomination result");
      expect(notNominated.text).toContain("Reason: Not <b>ICT</b>");
      expect(notNominated.html).toContain("Reason: Not &lt;b&gt;ICT&lt;/b&gt;");
      await smtp.waitFor((m) => m.to.includes(contacts.own));

      const again = await organiser.post("/admin/nomination", {
        editionId: String(editionId),
        includeUndecided: "on",
      });
      expect(again.status).toBe(409);
      expect(await read(again)).toContain("already published");
      const after = await read(await organiser.get(`/admin/nomination?edition=${YEAR}&published=1`));
      expect(after).toContain("The nominee list was published on");
      expect(after).toContain("by User organiser");
      expect(after).not.toContain("Publish the nominee list…");

      // Every email is delivered, and none twice.
      await new Promise((r) => setTimeout(r, 1500));
      const results = smtp.messages.filter((m) => /nominat/i.test(m.subject));
      expect(results).toHaveLength(4);
      expect(results.map((m) => m.to[0]).sort()).toEqual(
        [contacts.a, contacts.a, contacts.b, contacts.own].sort(),
      );
      expect(await count("outbox")).toBe(4);

      // Decisions are frozen now.
      const expert = await as(ids.expert);
      const late = await expert.post(`/review/${projects.plain}`, { decision: "nominate" });
      expect(late.status).toBe(409);
      expect(await read(late)).toMatch(/published/);
    });
  });
}
