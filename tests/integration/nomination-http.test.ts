import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expertStagesWorld, signedIn, type ExpertStagesWorld } from "../fixtures/expert-stages";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";

const YEAR = 2035;
const SCRIPT_TITLE = `<script>alert("pwned")</script> Skills`;

/** Page text without the <!-- --> markers React puts between adjacent text nodes. */
const read = async (res: Response) => (await res.text()).replaceAll("<!-- -->", "");

for (const dialect of DIALECTS) {
  describe(`nomination over HTTP (${dialect})`, () => {
    let t: TestDb;
    let app: RunningApp;
    let smtp: SmtpReceiver;
    let ids: Record<string, number>;
    const projects: Record<string, number> = {};
    const contacts: Record<string, string> = {};
    let editionId: number;
    let cat: Record<string, number>;
    let w: ExpertStagesWorld;
    const as = (userId: number) => signedIn(t.db, app.url, userId);

    beforeAll(async () => {
      t = await createTestDb(dialect);
      smtp = await startSmtp();
      app = await startApp({ databaseUrl: t.url, smtpUrl: smtp.url });
      w = expertStagesWorld(t.db, new Date());
      cat = await w.categories();
      ids = await w.users({
        organiser: ["organiser"],
        expert: ["expert", "voter"],
        expert2: ["expert"],
        voter: ["voter"],
        submitter: ["submitter"],
      });
      editionId = (await w.edition(YEAR, "nomination")).id;
      for (const key of ["own", "a", "b"]) contacts[key] = `contact-${key}@org.example`;
      const own = await w.organisation("Org own", { members: [ids.expert], contactEmail: contacts.own });
      const a = await w.organisation("Org a", { contactEmail: contacts.a });
      const b = await w.organisation("Org b", { contactEmail: contacts.b });
      projects.script = await w.project(editionId, a, cat.C4, SCRIPT_TITLE);
      projects.plain = await w.project(editionId, b, cat.C4, "Plain capacity project");
      projects.own = await w.project(editionId, own, cat.C4, "Own organisation project");
      projects.other = await w.project(editionId, a, cat.C9, "Media project of another category");
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
      expect(await w.count("nomination_decisions")).toBe(0);
      expect(await w.count("expert_assignments")).toBe(0);
      expect(await w.count("outbox")).toBe(0);
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
      expect(await w.count("expert_assignments")).toBe(2);
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
      expect(await w.count("nomination_decisions")).toBe(0);
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
      expect(html).toContain("160 words (150–200 required)");

      const audits = await w.count("audit_log");
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
      expect(await w.count("nomination_decisions")).toBe(0);
      expect(await w.count("audit_log")).toBe(audits);
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
      expect(await w.count("outbox")).toBe(0);

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
      expect(await w.count("outbox")).toBe(4);

      // Decisions are frozen now.
      const expert = await as(ids.expert);
      const late = await expert.post(`/review/${projects.plain}`, { decision: "nominate" });
      expect(late.status).toBe(409);
      expect(await read(late)).toMatch(/published/);
    });
  });
}
