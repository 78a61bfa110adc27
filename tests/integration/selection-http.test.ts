import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRITERIA } from "../../app/schemas/selection";
import { expertStagesWorld, signedIn, type ExpertStagesWorld } from "../fixtures/expert-stages";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";

const YEAR = 2036;

/** Page text without the <!-- --> markers React puts between adjacent text nodes. */
const read = async (res: Response) => (await res.text()).replaceAll("<!-- -->", "");

/** A full score form: every criterion `value`, and a comment. */
const scoreForm = (value: string, comment: string, intent = "save"): Record<string, string> => ({
  intent,
  comment,
  ...Object.fromEntries(CRITERIA.map((c) => [`score_${c}`, value])),
});

for (const dialect of DIALECTS) {
  describe(`selection over HTTP (${dialect})`, () => {
    let t: TestDb;
    let app: RunningApp;
    let ids: Record<string, number>;
    const p: Record<string, number> = {};
    let editionId: number;
    let cat: Record<string, number>;
    let w: ExpertStagesWorld;
    const as = (userId: number) => signedIn(t.db, app.url, userId);

    const counts = async () =>
      Promise.all(
        (["selection_scores", "selection_submissions", "conflicts", "winners", "audit_log"] as const).map(
          (table) => w.count(table),
        ),
      );

    beforeAll(async () => {
      t = await createTestDb(dialect);
      app = await startApp({ databaseUrl: t.url });
      w = expertStagesWorld(t.db, new Date());
      cat = await w.categories();
      ids = await w.users({
        organiser: ["organiser"],
        expertA: ["expert"],
        expertB: ["expert", "voter"],
        expertX: ["expert"],
        voter: ["voter"],
        submitter: ["submitter"],
      });
      editionId = (await w.edition(YEAR, "selection")).id;
      const champion = async (key: string, categoryId: number, title: string, members: number[] = []) => {
        const organisation = await w.organisation(`Org of ${key}`, { members });
        p[key] = await w.project(editionId, organisation, categoryId, title, { nominated: true });
      };
      await champion("P1", cat.C4, `<script>alert("x")</script> Skills`);
      await champion("P2", cat.C4, "Second champion");
      await champion("P3", cat.C4, "Own organisation champion", [ids.expertA]);
      await champion("P4", cat.C4, "Conflicted champion");
      await champion("P5", cat.C4, "Sixth place, not a champion");
      await champion("Q1", cat.C9, "Media champion");
      await w.tally(editionId, [
        { projectId: p.P1, categoryId: cat.C4, votes: 40, rank: 1, champion: true },
        { projectId: p.P2, categoryId: cat.C4, votes: 30, rank: 2, champion: true },
        { projectId: p.P3, categoryId: cat.C4, votes: 20, rank: 3, champion: true },
        { projectId: p.P4, categoryId: cat.C4, votes: 10, rank: 4, champion: true },
        { projectId: p.P5, categoryId: cat.C4, votes: 0, rank: 6, champion: false },
        { projectId: p.Q1, categoryId: cat.C9, votes: 5, rank: 1, champion: true },
      ]);
      await w.assign(editionId, ids.expertA, cat.C4, "selection");
      await w.assign(editionId, ids.expertB, cat.C4, "selection");
      await w.assign(editionId, ids.expertX, cat.C9, "selection");
    });

    afterAll(async () => {
      await app?.stop();
      await t?.cleanup();
    });

    it("sends anonymous visitors to sign in, refuses voters and submitters (403), writing nothing", async () => {
      const before = await counts();
      const pages = ["/jury", `/jury/${p.P1}`, "/admin/selection"];
      const posts: Array<[string, Record<string, string>]> = [
        [`/jury/${p.P1}`, scoreForm("5", "Fine.")],
        ["/jury?index", { editionId: String(editionId), categoryId: String(cat.C4) }],
        ["/admin/selection", { intent: "confirm", editionId: String(editionId), projectId: String(p.P1) }],
      ];
      const anon = new Client(app.url);
      for (const path of pages) {
        const res = await anon.get(path);
        expect(res.status, path).toBe(302);
        expect(res.headers.get("Location"), path).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
      }
      for (const [path, fields] of posts) expect((await anon.post(path, fields)).status, path).toBe(302);
      for (const key of ["voter", "submitter"]) {
        const browser = await as(ids[key]);
        for (const path of pages) expect((await browser.get(path)).status, `${key} ${path}`).toBe(403);
        for (const [path, fields] of posts)
          expect((await browser.post(path, fields)).status, `${key} ${path}`).toBe(403);
      }
      // Organisers manage the selection but do not score (they hold no expert role here).
      const organiser = await as(ids.organiser);
      expect((await organiser.get("/jury")).status).toBe(403);
      expect((await organiser.get(`/jury/${p.P1}`)).status).toBe(403);
      expect((await organiser.post(`/jury/${p.P1}`, scoreForm("5", "Fine."))).status).toBe(403);
      // Experts score; they do not confirm winners.
      const expert = await as(ids.expertA);
      expect((await expert.get("/admin/selection")).status).toBe(403);
      expect((await expert.post(posts[2][0], posts[2][1])).status).toBe(403);
      expect(await counts()).toEqual(before);
    });

    it("answers 404 for another category's, a conflicted or a non-champion project, GET and POST", async () => {
      const before = await counts();
      const x = await as(ids.expertX);
      expect((await x.get(`/jury/${p.P1}`)).status).toBe(404);
      expect((await x.post(`/jury/${p.P1}`, scoreForm("5", "Fine."))).status).toBe(404);
      expect(
        (await x.post("/jury?index", { editionId: String(editionId), categoryId: String(cat.C4) })).status,
      ).toBe(404);
      const a = await as(ids.expertA);
      for (const key of ["P3", "P5", "Q1"]) {
        expect((await a.get(`/jury/${p[key]}`)).status, key).toBe(404);
        expect((await a.post(`/jury/${p[key]}`, scoreForm("5", "Fine."))).status, key).toBe(404);
        expect(
          (await a.post(`/jury/${p[key]}`, { intent: "conflict", reason: "Some reason" })).status,
          key,
        ).toBe(404);
      }
      expect((await a.get("/jury/999999")).status).toBe(404);
      expect((await a.get("/jury/abc")).status).toBe(404);
      expect(await counts()).toEqual(before);
    });

    it("shows the expert their champions with their progress, never an own-organisation project", async () => {
      const a = await as(ids.expertA);
      const res = await a.get("/jury");
      expect(res.status).toBe(200);
      const html = await read(res);
      expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Skills");
      expect(html).not.toContain('<script>alert("x")');
      expect(html).toContain("Second champion");
      expect(html).toContain("Conflicted champion");
      expect(html).not.toContain("Own organisation champion");
      expect(html).not.toContain("Sixth place");
      expect(html).not.toContain("Media champion");
      expect(html).toContain("Scored 0 of 3");
      expect(html).toContain("1 project left out for a conflict of interest");
      expect(html).toContain("Not submitted yet");

      const page = await read(await a.get(`/jury/${p.P1}`));
      for (const text of [
        "Relevance to the Action Line",
        "Promotion of WSIS values",
        "Comment",
        "Save draft",
        "Declare a conflict of interest",
      ]) {
        expect(page).toContain(text);
      }
      expect(page).not.toContain('href="javascript:');
      expect(page).toContain("shown once you have submitted your scores for C4");
    });

    it("answers bad scores with field errors (400), saves drafts and complete scores", async () => {
      const a = await as(ids.expertA);
      const before = await counts();
      const bad = await a.post(`/jury/${p.P1}`, {
        ...scoreForm("5", "Fine."),
        score_impact: "0",
        score_values: "11",
      });
      expect(bad.status).toBe(400);
      const badHtml = await read(bad);
      expect(badHtml).toContain(
        'id="f-score_impact-error" class="error" role="alert">Give a whole number from 1 to 10.',
      );
      expect(badHtml).toContain(
        'id="f-score_values-error" class="error" role="alert">Give a whole number from 1 to 10.',
      );
      expect(badHtml).not.toContain('id="f-score_relevance-error"');
      const missing = await a.post(`/jury/${p.P1}`, { ...scoreForm("5", ""), score_sdgs: "" });
      expect(missing.status).toBe(400);
      const missingHtml = await read(missing);
      expect(missingHtml).toContain("Score this criterion from 1 to 10.");
      expect(missingHtml).toContain("Write a short comment");
      const badForms: Array<Record<string, string>> = [
        { ...scoreForm("5", "x"), intent: "bogus" },
        { ...scoreForm("abc", "x") },
        { ...scoreForm("5", "x".repeat(3000)) },
        { intent: "conflict", reason: "" },
      ];
      for (const fields of badForms) {
        expect((await a.post(`/jury/${p.P1}`, fields)).status).toBe(400);
      }
      expect(await counts()).toEqual(before);

      const draft = await a.post(`/jury/${p.P1}`, { ...scoreForm("", "", "draft"), score_impact: "7" });
      expect(draft.status).toBe(302);
      expect(draft.headers.get("Location")).toBe(`/jury/${p.P1}?saved=draft`);
      expect(await read(await a.get("/jury"))).toContain("Draft (incomplete)");
      const saved = await a.post(`/jury/${p.P1}`, scoreForm("8", "Comment of A on P1"));
      expect(saved.status).toBe(302);
      expect(saved.headers.get("Location")).toBe(`/jury/${p.P1}?saved=complete`);
      const row = await t.db
        .selectFrom("selection_scores")
        .selectAll()
        .where("project_id", "=", p.P1)
        .where("expert_id", "=", ids.expertA)
        .executeTakeFirstOrThrow();
      expect(row.score_impact).toBe(8);
      expect(row.comment).toBe("Comment of A on P1");
      expect(await read(await a.get("/jury"))).toContain("Scored 1 of 3");
    });

    it("refuses to submit while incomplete, takes a declared conflict, then submits; peers' scores stay hidden until then", async () => {
      const a = await as(ids.expertA);
      const b = await as(ids.expertB);
      const submit = { editionId: String(editionId), categoryId: String(cat.C4) };
      const refused = await a.post("/jury?index", submit);
      expect(refused.status).toBe(409);
      const refusedHtml = await read(refused);
      expect(refusedHtml).toContain("2 of 3 are not complete yet");
      expect(refusedHtml).toContain("Second champion");
      expect((await a.post("/jury?index", { editionId: "x", categoryId: "<b>" })).status).toBe(400);
      expect(await w.count("selection_submissions")).toBe(0);

      const conflict = await a.post(`/jury/${p.P4}`, {
        intent: "conflict",
        reason: "I chaired its board until 2024.",
      });
      expect(conflict.status).toBe(302);
      expect(conflict.headers.get("Location")).toBe(`/jury?edition=${YEAR}&conflict=1#category-C4`);
      expect((await a.get(`/jury/${p.P4}`)).status).toBe(404);
      expect(await read(await a.get("/jury"))).toContain("2 projects left out for a conflict of interest");

      expect((await a.post(`/jury/${p.P2}`, scoreForm("6", "Comment of A on P2"))).status).toBe(302);
      for (const key of ["P1", "P2", "P3", "P4"]) {
        expect((await b.post(`/jury/${p[key]}`, scoreForm("4", `Comment of B on ${key}`))).status, key).toBe(
          302,
        );
      }
      const ok = await a.post("/jury?index", submit);
      expect(ok.status).toBe(302);
      expect(ok.headers.get("Location")).toBe(`/jury?edition=${YEAR}&submitted=C4`);
      const home = await read(await a.get("/jury"));
      expect(home).toContain("Submitted on");
      expect(home).not.toContain("Submit my scores for C4");
      // Final: no more saving.
      expect((await a.post(`/jury/${p.P1}`, scoreForm("9", "Changed my mind"))).status).toBe(409);

      // B has not submitted: A's scores are hidden from B; A sees that B has not submitted.
      const bPage = await read(await b.get(`/jury/${p.P1}`));
      expect(bPage).not.toContain("Comment of A on P1");
      expect(bPage).toContain("shown once you have submitted");
      const aPage = await read(await a.get(`/jury/${p.P1}`));
      expect(aPage).not.toContain("Comment of B on P1");
      expect(aPage).toContain("1 expert has not submitted yet.");
      expect((await b.post("/jury?index", submit)).status).toBe(302);
      expect(await read(await b.get(`/jury/${p.P1}`))).toContain("Comment of A on P1");
      expect(await read(await a.get(`/jury/${p.P1}`))).toContain("Comment of B on P1");
      // B never sees P4's scores by A (A is conflicted with P4).
      expect(await read(await b.get(`/jury/${p.P4}`))).not.toContain("Comment of A");
    });

    it("shows organisers progress and aggregates; confirms winners with the override rules; bad input → 400", async () => {
      const organiser = await as(ids.organiser);
      const page = await organiser.get(`/admin/selection?edition=${YEAR}&category=C4`);
      expect(page.status).toBe(200);
      const html = await read(page);
      expect(html).toContain("User expertA");
      expect(html).toContain("2 of 2"); // A: P1 and P2 (P3 own organisation, P4 declared)
      expect(html).toContain("Own organisation champion (own organisation)");
      expect(html).toContain("Conflicted champion (declared: I chaired its board until 2024.)");
      // Means per criterion: P1 (8 + 4) / 2 = 6.00, P2 (6 + 4) / 2 = 5.00, P3 and P4 B's 4 alone → 4.00, tied.
      // Normalised: A's totals 72, 54 → z +1, −1; B gave 36 everywhere → z 0: P1 +0.50, P2 −0.50, P3 = P4 = 0.
      expect(html).toContain("6.00 (1)");
      expect(html).toContain("5.00 (2)");
      expect(html.match(/4\.00 \(3\)/g)).toHaveLength(2);
      expect(html).toContain("+0.50 (1)");
      expect(html).toContain("−0.50 (4)");
      expect(html.match(/>0\.00 \(2\)/g)).toHaveLength(2);
      expect(html).toContain("72 (z +1.00)");
      expect((await organiser.get(`/admin/selection?edition=${YEAR}&category=NOPE`)).status).toBe(404);
      expect((await organiser.get("/admin/selection?edition=1999")).status).toBe(404);

      const confirm = (projectId: number, extra: Record<string, string> = {}) =>
        organiser.post(`/admin/selection?edition=${YEAR}&category=C4`, {
          intent: "confirm",
          editionId: String(editionId),
          projectId: String(projectId),
          ...extra,
        });
      const before = await counts();
      expect((await confirm(p.P5)).status).toBe(409); // not a champion
      const badForms: Array<Record<string, string>> = [
        { intent: "confirm", editionId: String(editionId), projectId: "abc" },
        { intent: "explode", editionId: String(editionId) },
        {
          intent: "confirm",
          editionId: String(editionId),
          projectId: String(p.P2),
          override: "on",
          reason: "x".repeat(2000),
        },
      ];
      for (const fields of badForms) {
        expect((await organiser.post("/admin/selection", fields)).status).toBe(400);
      }
      expect(await counts()).toEqual(before);

      const first = await confirm(p.P1);
      expect(first.status).toBe(302);
      expect(first.headers.get("Location")).toBe(
        `/admin/selection?edition=${YEAR}&category=C4&confirmed=${p.P1}#winners`,
      );
      const second = await confirm(p.P2);
      expect(second.status).toBe(409);
      expect(await read(second)).toContain("already has a winner");
      const noReason = await confirm(p.P2, { override: "on", reason: "" });
      expect(noReason.status).toBe(400);
      expect(await read(noReason)).toContain("Give the reason for a further winner");
      const overridden = await confirm(p.P2, { override: "on", reason: "Equal merit after deliberation." });
      expect(overridden.status).toBe(302);
      const after = await read(await organiser.get(`/admin/selection?edition=${YEAR}&category=C4`));
      expect(after).toContain("Override: Equal merit after deliberation.");
      expect(await w.count("winners")).toBe(2);
      const un = await organiser.post("/admin/selection", {
        intent: "unconfirm",
        editionId: String(editionId),
        projectId: String(p.P2),
      });
      expect(un.status).toBe(302);
      expect(await w.count("winners")).toBe(1);
      const logs = await t.db
        .selectFrom("audit_log")
        .select(["action", "actor_user_id"])
        .where("action", "like", "selection.winner.%")
        .orderBy("id")
        .execute();
      expect(logs).toEqual([
        { action: "selection.winner.confirm", actor_user_id: ids.organiser },
        { action: "selection.winner.confirm", actor_user_id: ids.organiser },
        { action: "selection.winner.unconfirm", actor_user_id: ids.organiser },
      ]);

      await t.db
        .updateTable("editions")
        .set({ results_published_at: new Date().toISOString() })
        .where("id", "=", editionId)
        .execute();
      expect((await confirm(p.P2, { override: "on", reason: "Too late" })).status).toBe(409);
      expect(
        (
          await organiser.post("/admin/selection", {
            intent: "unconfirm",
            editionId: String(editionId),
            projectId: String(p.P1),
          })
        ).status,
      ).toBe(409);
      await t.db
        .updateTable("editions")
        .set({ results_published_at: null })
        .where("id", "=", editionId)
        .execute();
    });

    it("lets organisers assign experts for the selection, audit-logged; a non-expert cannot be assigned", async () => {
      const organiser = await as(ids.organiser);
      const before = await w.count("expert_assignments");
      const res = await organiser.post(`/admin/selection?edition=${YEAR}&category=C4`, {
        intent: "assign",
        editionId: String(editionId),
        userId: String(ids.expertX),
        category: String(cat.C4),
      });
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe(
        `/admin/selection?edition=${YEAR}&category=C4&saved=${ids.expertX}&changed=2#expert-${ids.expertX}`,
      );
      const rows = await t.db
        .selectFrom("expert_assignments")
        .select(["category_id", "stage"])
        .where("user_id", "=", ids.expertX)
        .execute();
      expect(rows).toEqual([{ category_id: cat.C4, stage: "selection" }]);
      const entry = await t.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "expert_assignment.update")
        .where("entity_id", "=", String(ids.expertX))
        .executeTakeFirstOrThrow();
      expect(JSON.parse(entry.after_json ?? "null")).toEqual({
        editionId,
        stage: "selection",
        categories: ["C4"],
      });
      // X now scores C4: P1 opens for X.
      expect((await (await as(ids.expertX)).get(`/jury/${p.P1}`)).status).toBe(200);

      const refused = await organiser.post("/admin/selection", {
        intent: "assign",
        editionId: String(editionId),
        userId: String(ids.voter),
        category: String(cat.C4),
      });
      expect(refused.status).toBe(400);
      expect(await read(refused)).toContain("does not hold the expert role");
      expect(
        (
          await organiser.post("/admin/selection", {
            intent: "assign",
            editionId: String(editionId),
            userId: "x",
            category: "y",
          })
        ).status,
      ).toBe(400);
      expect(await w.count("expert_assignments")).toBe(before);
    });
  });
}
