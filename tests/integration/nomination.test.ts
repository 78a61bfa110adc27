import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  decide as decideCommand,
  projectForReview as projectForReviewCommand,
} from "../../app/domain/decisions.server";
import {
  expertAssignments,
  setExpertCategories as setExpertCategoriesCommand,
} from "../../app/domain/experts.server";
import {
  nominationProgress,
  publicationInfo,
  publishNominees as publishNomineesCommand,
} from "../../app/domain/nominees.server";
import { reviewAccess, reviewQueue, reviewerFrom, type Reviewer } from "../../app/domain/review.server";
import { decisionWindow } from "../../app/domain/windows";
import { DecisionFormSchema, QUEUE_PAGE_SIZE } from "../../app/schemas/nomination";
import type { Db } from "../../db/client";
import type { Edition } from "../../db/schema";
import { nominationResult } from "../../emails/templates/nomination-result";
import { expertStagesWorld, type ExpertStagesWorld } from "../fixtures/expert-stages";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { jobsFrom } from "../../app/jobs/port.server";
import { explained } from "../helpers/outcomes";

const decide = explained(decideCommand);
const projectForReview = explained(projectForReviewCommand);
const setExpertCategories = explained(setExpertCategoriesCommand);
const publishNominees = explained(publishNomineesCommand);

const NOW = new Date("2030-03-01T12:00:00.000Z");
const APP_URL = "https://prizes.example.org";
const SCRIPT_TITLE = `<script>alert("x")</script> & <b>bold</b>`;

for (const dialect of DIALECTS) {
  describe(`nomination domain (${dialect})`, () => {
    let t: TestDb;
    let db: Db;
    let w: ExpertStagesWorld;
    let cat: Record<string, number>;

    beforeAll(async () => {
      t = await createTestDb(dialect);
      db = t.db;
      w = expertStagesWorld(db, NOW);
      cat = await w.categories();
    });
    afterAll(async () => {
      await t?.cleanup();
    });

    describe("roles and windows", () => {
      it("derives the reviewer from roles: organisers everywhere, experts on assignments, others nothing", () => {
        expect(reviewerFrom(1, ["organiser"])).toEqual({ userId: 1, organiser: true });
        expect(reviewerFrom(2, ["expert", "voter"])).toEqual({ userId: 2, organiser: false });
        expect(reviewerFrom(3, ["expert", "organiser"])).toEqual({ userId: 3, organiser: true });
        expect(reviewerFrom(4, ["voter", "submitter"])).toBeNull();
        expect(reviewerFrom(5, [])).toBeNull();
      });

      it("opens decisions when submission closes; experts until nomination closes, organisers until publication", () => {
        const e = {
          submission_closes_at: "2030-02-01T00:00:00.000Z",
          nomination_closes_at: "2030-03-01T00:00:00.000Z",
          nominees_published_at: null,
          timezone: "Europe/Zurich",
        };
        const expert: Reviewer = { userId: 1, organiser: false };
        const organiser: Reviewer = { userId: 2, organiser: true };
        const at = (iso: string) => new Date(iso);
        expect(decisionWindow(e, expert, at("2030-01-31T23:59:59.999Z")).open).toBe(false);
        expect(decisionWindow(e, organiser, at("2030-01-31T23:59:59.999Z")).open).toBe(false);
        expect(decisionWindow(e, expert, at("2030-02-01T00:00:00.000Z")).open).toBe(true);
        expect(decisionWindow(e, expert, at("2030-02-28T23:59:59.999Z")).open).toBe(true);
        expect(decisionWindow(e, expert, at("2030-03-01T00:00:00.000Z")).open).toBe(false);
        expect(decisionWindow(e, organiser, at("2030-03-01T00:00:00.000Z")).open).toBe(true);
        expect(decisionWindow(e, organiser, at("2031-01-01T00:00:00.000Z")).open).toBe(true);
        const published = { ...e, nominees_published_at: "2030-02-20T00:00:00.000Z" };
        const closed = decisionWindow(published, organiser, at("2030-02-21T00:00:00.000Z"));
        expect(closed.open).toBe(false);
        expect(closed.open ? "" : closed.message).toMatch(/published on 20 Feb 2030/);
      });
    });

    describe("decision form schema", () => {
      it("requires a reason to reject, and text for 'other'", () => {
        const noReason = DecisionFormSchema.safeParse({ decision: "reject", reason: "", reason_text: "" });
        expect(noReason.success).toBe(false);
        expect(noReason.error?.issues.map((i) => i.path[0])).toEqual(["reason"]);
        const other = DecisionFormSchema.safeParse({
          decision: "reject",
          reason: "other",
          reason_text: "   ",
        });
        expect(other.success).toBe(false);
        expect(other.error?.issues.map((i) => i.path[0])).toEqual(["reason_text"]);
        const bad = DecisionFormSchema.safeParse({ decision: "maybe" });
        expect(bad.error?.issues.map((i) => i.path[0])).toEqual(["decision"]);
        const unknown = DecisionFormSchema.safeParse({ decision: "reject", reason: "boring" });
        expect(unknown.error?.issues.map((i) => i.path[0])).toContain("reason");
        const long = DecisionFormSchema.safeParse({
          decision: "reject",
          reason: "other",
          reason_text: "x".repeat(1001),
        });
        expect(long.error?.issues.map((i) => i.path[0])).toEqual(["reason_text"]);
        expect(
          DecisionFormSchema.parse({ decision: "nominate", reason: "duplicate", reason_text: "ignored" }),
        ).toEqual({
          decision: "nominate",
        });
        expect(
          DecisionFormSchema.parse({ decision: "reject", reason: "duplicate", reason_text: "ignored" }),
        ).toEqual({
          decision: "reject",
          reason: "duplicate",
          reasonText: null,
        });
        expect(
          DecisionFormSchema.parse({ decision: "reject", reason: "other", reason_text: "  Not ICT  " }),
        ).toEqual({
          decision: "reject",
          reason: "other",
          reasonText: "Not ICT",
        });
      });
    });

    describe("assignments", () => {
      it("assigns and unassigns experts by category, audit-logged; only expert-role holders can be assigned", async () => {
        const edition = await w.edition(2040, "nomination");
        const organiser = await w.user("Olga", ["organiser"]);
        const expert = await w.user("Esther", ["expert"]);
        const voter = await w.user("Victor", ["voter"]);

        const auditBefore = await w.count("audit_log");
        const r1 = await setExpertCategories(
          db,
          organiser,
          { editionId: edition.id, userId: expert, categoryIds: [cat.C4, cat.C1] },
          NOW,
        );
        expect(r1).toEqual({ ok: true, added: ["C1", "C4"], removed: [] });
        const entry = await db
          .selectFrom("audit_log")
          .selectAll()
          .orderBy("id", "desc")
          .executeTakeFirstOrThrow();
        expect(entry).toMatchObject({
          actor_user_id: organiser,
          action: "expert_assignment.update",
          entity: "user",
          entity_id: String(expert),
        });
        expect(JSON.parse(entry.before_json ?? "null")).toEqual({
          editionId: edition.id,
          stage: "nomination",
          categories: [],
        });
        expect(JSON.parse(entry.after_json ?? "null")).toEqual({
          editionId: edition.id,
          stage: "nomination",
          categories: ["C1", "C4"],
        });

        const r2 = await setExpertCategories(
          db,
          organiser,
          { editionId: edition.id, userId: expert, categoryIds: [cat.C4, cat.C9] },
          NOW,
        );
        expect(r2).toEqual({ ok: true, added: ["C9"], removed: ["C1"] });
        const same = await setExpertCategories(
          db,
          organiser,
          { editionId: edition.id, userId: expert, categoryIds: [cat.C9, cat.C4] },
          NOW,
        );
        expect(same).toEqual({ ok: true, added: [], removed: [] });
        expect(await w.count("audit_log")).toBe(auditBefore + 2);

        const list = await expertAssignments(db, edition.id);
        expect(list.find((e) => e.id === expert)).toMatchObject({ isExpert: true });
        expect(list.find((e) => e.id === expert)?.categoryIds.sort()).toEqual([cat.C4, cat.C9].sort());
        expect(list.some((e) => e.id === voter)).toBe(false);

        const assignments = await w.count("expert_assignments");
        const refused = await setExpertCategories(
          db,
          organiser,
          { editionId: edition.id, userId: voter, categoryIds: [cat.C4] },
          NOW,
        );
        expect(refused).toMatchObject({ ok: false, status: 400 });
        const unknown = await setExpertCategories(
          db,
          organiser,
          { editionId: edition.id, userId: expert, categoryIds: [999_999] },
          NOW,
        );
        expect(unknown).toMatchObject({ ok: false, status: 400, message: "Unknown category." });
        expect(
          await setExpertCategories(
            db,
            organiser,
            { editionId: 999_999, userId: expert, categoryIds: [] },
            NOW,
          ),
        ).toMatchObject({
          ok: false,
          status: 404,
        });
        expect(
          await setExpertCategories(
            db,
            organiser,
            { editionId: edition.id, userId: 999_999, categoryIds: [] },
            NOW,
          ),
        ).toMatchObject({
          ok: false,
          status: 404,
        });
        expect(await w.count("expert_assignments")).toBe(assignments);
        expect(await w.count("audit_log")).toBe(auditBefore + 2);

        // An expert who loses the role keeps assignments until removed, and can always be unassigned.
        await db.deleteFrom("user_roles").where("user_id", "=", expert).execute();
        expect((await expertAssignments(db, edition.id)).find((e) => e.id === expert)).toMatchObject({
          isExpert: false,
        });
        expect(
          await setExpertCategories(
            db,
            organiser,
            { editionId: edition.id, userId: expert, categoryIds: [cat.C4, cat.C5] },
            NOW,
          ),
        ).toMatchObject({
          ok: false,
          status: 400,
        });
        expect(
          await setExpertCategories(
            db,
            organiser,
            { editionId: edition.id, userId: expert, categoryIds: [] },
            NOW,
          ),
        ).toEqual({
          ok: true,
          added: [],
          removed: ["C4", "C9"],
        });
      });
    });

    describe("queue and decisions", () => {
      let edition: Edition;
      let organiser: number;
      let expert: number;
      let otherExpert: number;
      let ownOrg: number;
      let p: Record<string, number>;

      beforeAll(async () => {
        edition = await w.edition(2041, "nomination");
        organiser = await w.user("Olga", ["organiser"]);
        expert = await w.user("Esther", ["expert"]);
        otherExpert = await w.user("Ernesto", ["expert"]);
        ownOrg = await w.organisation("Esther's own NGO", { members: [expert, organiser] });
        const a = await w.organisation("Alpha");
        const b = await w.organisation("Beta");
        await w.assign(edition.id, expert, cat.C4, "nomination");
        await w.assign(edition.id, expert, cat.C5, "nomination");
        await w.assign(edition.id, otherExpert, cat.C9, "nomination");
        p = {
          c4a: await w.project(edition.id, a, cat.C4, "Alpha skills"),
          c4b: await w.project(edition.id, b, cat.C4, SCRIPT_TITLE),
          c4own: await w.project(edition.id, ownOrg, cat.C4, "Own skills"),
          c4draft: await w.project(edition.id, await w.organisation("Gamma"), cat.C4, "Draft skills", {
            status: "draft",
          }),
          c4withdrawn: await w.project(
            edition.id,
            await w.organisation("Delta"),
            cat.C4,
            "Withdrawn skills",
            { status: "withdrawn" },
          ),
          c5a: await w.project(edition.id, a, cat.C5, "Alpha security"),
          c9a: await w.project(edition.id, a, cat.C9, "Alpha media"),
        };
        // A flag on c4b pointing at c9a (a category the expert does not review).
        await db
          .insertInto("project_flags")
          .values({
            project_id: p.c4b,
            kind: "near_duplicate",
            match_project_id: p.c9a,
            score: 0.86,
            created_at: NOW.toISOString(),
          })
          .execute();
      });

      const asExpert = (): Reviewer => ({ userId: expert, organiser: false });
      const asOrganiser = (): Reviewer => ({ userId: organiser, organiser: true });

      it("shows an expert only the submitted projects of their categories, never their own organisation's", async () => {
        const q = await reviewQueue(db, asExpert(), edition.id, { show: "all", page: 1 });
        expect(q.categories.map((c) => [c.code, c.total, c.decided, c.todo])).toEqual([
          ["C4", 2, 0, 2],
          ["C5", 1, 0, 1],
        ]);
        expect(q.rows.map((r) => r.id).sort()).toEqual([p.c4a, p.c4b, p.c5a].sort());
        expect(q.rows.find((r) => r.id === p.c4b)).toMatchObject({
          nearDuplicateFlags: 1,
          previousWinnerFlags: 0,
          title: SCRIPT_TITLE,
        });

        const other = await reviewQueue(db, { userId: otherExpert, organiser: false }, edition.id, {
          show: "all",
          page: 1,
        });
        expect(other.rows.map((r) => r.id)).toEqual([p.c9a]);

        // Organisers see every category, still without their own organisation's projects.
        const org = await reviewQueue(db, asOrganiser(), edition.id, { show: "all", page: 1 });
        expect(org.categories).toHaveLength(18);
        expect(org.rows.map((r) => r.id).sort()).toEqual([p.c4a, p.c4b, p.c5a, p.c9a].sort());

        // A category filter outside the expert's categories is ignored.
        const outside = await reviewQueue(db, asExpert(), edition.id, {
          show: "all",
          page: 1,
          category: "C9",
        });
        expect(outside.category).toBeNull();
        expect(outside.rows.some((r) => r.id === p.c9a)).toBe(false);

        expect(await reviewAccess(db, asExpert(), p.c4a)).toBe("ok");
        expect(await reviewAccess(db, asExpert(), p.c9a)).toBe("none");
        expect(await reviewAccess(db, asExpert(), p.c4own)).toBe("none");
        expect(await reviewAccess(db, asExpert(), p.c4draft)).toBe("none");
        expect(await reviewAccess(db, asExpert(), 999_999)).toBe("none");
        expect(await reviewAccess(db, asOrganiser(), p.c4own)).toBe("conflict");
        expect(await reviewAccess(db, asOrganiser(), p.c9a)).toBe("ok");
      });

      it("shows the project in full with its flags; the matched project is linked only where the reviewer may open it", async () => {
        const view = await projectForReview(db, asExpert(), p.c4b, NOW);
        if (!view.ok) throw new Error("expected access");
        expect(view.project.title).toBe(SCRIPT_TITLE);
        expect(view.flags).toHaveLength(1);
        expect(view.flags[0]).toMatchObject({
          kind: "near_duplicate",
          score: 0.86,
          match: { id: p.c9a, title: "Alpha media", categoryCode: "C9", href: null },
        });
        const asOrg = await projectForReview(db, asOrganiser(), p.c4b, NOW);
        if (!asOrg.ok) throw new Error("expected access");
        expect(asOrg.flags[0].match?.href).toBe(`/review/${p.c9a}`);
        expect(await projectForReview(db, asExpert(), p.c9a, NOW)).toMatchObject({ ok: false, status: 404 });
        expect(await projectForReview(db, asExpert(), p.c4own, NOW)).toMatchObject({
          ok: false,
          status: 404,
        });
        expect(await projectForReview(db, asOrganiser(), p.c4own, NOW)).toMatchObject({
          ok: true,
          conflict: true,
        });
      });

      it("refuses, writing nothing, another category, an own-organisation project, a draft, a missing project", async () => {
        const before = [await w.count("nomination_decisions"), await w.count("audit_log")];
        const input = { decision: "nominate" } as const;
        expect(await decide(db, asExpert(), p.c9a, input, NOW)).toMatchObject({ ok: false, status: 404 });
        expect(await decide(db, asExpert(), p.c4own, input, NOW)).toMatchObject({ ok: false, status: 404 });
        expect(await decide(db, asExpert(), p.c4draft, input, NOW)).toMatchObject({ ok: false, status: 404 });
        expect(await decide(db, asExpert(), p.c4withdrawn, input, NOW)).toMatchObject({
          ok: false,
          status: 404,
        });
        expect(await decide(db, asExpert(), 999_999, input, NOW)).toMatchObject({ ok: false, status: 404 });
        expect(await decide(db, asOrganiser(), p.c4own, input, NOW)).toMatchObject({
          ok: false,
          status: 403,
        });
        expect(
          await decide(db, asExpert(), p.c4a, { decision: "reject", reason: "other", reasonText: " " }, NOW),
        ).toMatchObject({
          ok: false,
          status: 400,
          field: "reason_text",
        });
        expect([await w.count("nomination_decisions"), await w.count("audit_log")]).toEqual(before);
      });

      it("records a decision and each change with before/after in the audit log; repeating it writes nothing", async () => {
        const r1 = await decide(
          db,
          asExpert(),
          p.c4a,
          { decision: "reject", reason: "incomplete", reasonText: null },
          NOW,
        );
        expect(r1).toEqual({ ok: true, changed: true, categoryCode: "C4" });
        const row = await db
          .selectFrom("nomination_decisions")
          .selectAll()
          .where("project_id", "=", p.c4a)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({
          decision: "reject",
          reason: "incomplete",
          reason_text: null,
          decided_by: expert,
          decided_at: NOW.toISOString(),
        });
        const first = await db
          .selectFrom("audit_log")
          .selectAll()
          .orderBy("id", "desc")
          .executeTakeFirstOrThrow();
        expect(first).toMatchObject({
          actor_user_id: expert,
          action: "nomination.decide",
          entity: "project",
          entity_id: String(p.c4a),
          before_json: null,
        });
        expect(JSON.parse(first.after_json ?? "null")).toEqual({
          decision: "reject",
          reason: "incomplete",
          reason_text: null,
          decided_by: expert,
          decided_at: NOW.toISOString(),
        });

        const later = new Date(NOW.getTime() + 60_000);
        const r2 = await decide(db, asOrganiser(), p.c4a, { decision: "nominate" }, later);
        expect(r2).toMatchObject({ ok: true, changed: true });
        const second = await db
          .selectFrom("audit_log")
          .selectAll()
          .orderBy("id", "desc")
          .executeTakeFirstOrThrow();
        expect(second.actor_user_id).toBe(organiser);
        expect(JSON.parse(second.before_json ?? "null")).toMatchObject({
          decision: "reject",
          reason: "incomplete",
          decided_by: expert,
        });
        expect(JSON.parse(second.after_json ?? "null")).toMatchObject({
          decision: "nominate",
          reason: null,
          decided_by: organiser,
          decided_at: later.toISOString(),
        });

        const audits = await w.count("audit_log");
        expect(await decide(db, asExpert(), p.c4a, { decision: "nominate" }, later)).toMatchObject({
          ok: true,
          changed: false,
        });
        expect(await w.count("audit_log")).toBe(audits);

        const r3 = await decide(
          db,
          asExpert(),
          p.c4a,
          { decision: "reject", reason: "other", reasonText: "  Not about ICT  " },
          later,
        );
        expect(r3).toMatchObject({ ok: true, changed: true });
        expect(
          await db
            .selectFrom("nomination_decisions")
            .selectAll()
            .where("project_id", "=", p.c4a)
            .executeTakeFirstOrThrow(),
        ).toMatchObject({
          decision: "reject",
          reason: "other",
          reason_text: "Not about ICT",
        });
        const view = await projectForReview(db, asExpert(), p.c4a, later);
        if (!view.ok) throw new Error("expected access");
        expect(view.history.map((h) => [h.before?.decision ?? null, h.after?.decision])).toEqual([
          ["nominate", "reject"],
          ["reject", "nominate"],
          [null, "reject"],
        ]);

        const q = await reviewQueue(db, asExpert(), edition.id, { show: "decided", page: 1 });
        expect(q.rows.map((r) => r.id)).toEqual([p.c4a]);
        expect(q.categories.find((c) => c.code === "C4")).toMatchObject({ total: 2, decided: 1, todo: 1 });
        const todo = await reviewQueue(db, asExpert(), edition.id, { show: "undecided", page: 1 });
        expect(todo.rows.map((r) => r.id).sort()).toEqual([p.c4b, p.c5a].sort());
      });

      it("allows decisions from the closing instant of submission; experts until nomination closes, organisers until publication", async () => {
        const subClose = new Date(edition.submission_closes_at);
        const nomClose = new Date(edition.nomination_closes_at);
        const before = [await w.count("nomination_decisions"), await w.count("audit_log")];
        const early = await decide(
          db,
          asExpert(),
          p.c5a,
          { decision: "nominate" },
          new Date(subClose.getTime() - 1),
        );
        expect(early).toMatchObject({ ok: false, status: 409 });
        expect(early.ok ? "" : early.message).toMatch(/once submission closes/);
        expect(
          await decide(db, asOrganiser(), p.c5a, { decision: "nominate" }, new Date(subClose.getTime() - 1)),
        ).toMatchObject({ ok: false, status: 409 });
        const late = await decide(db, asExpert(), p.c5a, { decision: "nominate" }, nomClose);
        expect(late).toMatchObject({ ok: false, status: 409 });
        expect(late.ok ? "" : late.message).toMatch(/nomination phase closed/);
        expect([await w.count("nomination_decisions"), await w.count("audit_log")]).toEqual(before);

        expect(await decide(db, asExpert(), p.c5a, { decision: "nominate" }, subClose)).toMatchObject({
          ok: true,
          changed: true,
        });
        expect(
          await decide(
            db,
            asExpert(),
            p.c5a,
            { decision: "reject", reason: "duplicate", reasonText: null },
            new Date(nomClose.getTime() - 1),
          ),
        ).toMatchObject({ ok: true, changed: true });
        expect(await decide(db, asOrganiser(), p.c5a, { decision: "nominate" }, nomClose)).toMatchObject({
          ok: true,
          changed: true,
        });
      });
    });

    describe("publication", () => {
      let edition: Edition;
      let organiser: number;
      let expert: number;
      let p: Record<string, number>;
      let dispatched: Array<number | null>;
      const dispatch = jobsFrom(async (_name, data) => {
        dispatched.push((data as { outboxId: number }).outboxId);
      });

      beforeAll(async () => {
        edition = await w.edition(2042, "nomination");
        organiser = await w.user("Olga", ["organiser"]);
        expert = await w.user("Esther", ["expert"]);
        await w.assign(edition.id, expert, cat.C2, "nomination");
        const a = await w.organisation("Alpha & Co");
        const b = await w.organisation("Beta");
        const c = await w.organisation("Gamma");
        p = {
          nominee: await w.project(edition.id, a, cat.C2, SCRIPT_TITLE),
          rejected: await w.project(edition.id, b, cat.C2, "Beta network"),
          undecided: await w.project(edition.id, c, cat.C2, "Gamma network"),
          draft: await w.project(edition.id, c, cat.C3, "Gamma draft", { status: "draft" }),
        };
        await decide(db, { userId: expert, organiser: false }, p.nominee, { decision: "nominate" }, NOW);
        await decide(
          db,
          { userId: expert, organiser: false },
          p.rejected,
          { decision: "reject", reason: "other", reasonText: "Not <yet> implemented" },
          NOW,
        );
      });
      beforeEach(() => {
        dispatched = [];
      });

      it("shows progress per category", async () => {
        const progress = await nominationProgress(db, edition.id);
        expect(progress.categories.find((c) => c.code === "C2")).toEqual({
          id: cat.C2,
          code: "C2",
          name: expect.any(String),
          submitted: 3,
          nominated: 1,
          rejected: 1,
          undecided: 1,
          experts: 1,
        });
        expect(progress.categories.find((c) => c.code === "C3")).toMatchObject({
          submitted: 0,
          undecided: 0,
        });
        expect(progress.totals).toEqual({
          submitted: 3,
          nominated: 1,
          rejected: 1,
          undecided: 1,
          experts: 1,
        });
      });

      it("refuses before submission closes, and while projects are undecided unless told to publish anyway", async () => {
        const snapshot = async () => [await w.count("outbox"), await w.count("audit_log")];
        const before = await snapshot();
        const early = await publishNominees(
          db,
          organiser,
          { editionId: edition.id, includeUndecided: true },
          new Date(new Date(edition.submission_closes_at).getTime() - 1),
          { jobs: dispatch, appUrl: APP_URL },
        );
        expect(early).toMatchObject({ ok: false, status: 409 });
        const undecided = await publishNominees(
          db,
          organiser,
          { editionId: edition.id, includeUndecided: false },
          NOW,
          { jobs: dispatch, appUrl: APP_URL },
        );
        expect(undecided).toMatchObject({ ok: false, status: 409, field: "includeUndecided" });
        expect(undecided.ok ? "" : undecided.message).toMatch(/^1 submitted project has no decision yet/);
        expect(
          await publishNominees(db, organiser, { editionId: 999_999, includeUndecided: true }, NOW, {
            jobs: dispatch,
          }),
        ).toMatchObject({
          ok: false,
          status: 404,
        });
        expect(await snapshot()).toEqual(before);
        expect(dispatched).toEqual([]);
        const e = await db
          .selectFrom("editions")
          .selectAll()
          .where("id", "=", edition.id)
          .executeTakeFirstOrThrow();
        expect(e.nominees_published_at).toBeNull();
        expect(await publicationInfo(db, e)).toBeNull();
      });

      it("publishes once: one email per submitted project, escaped, audit-logged; a second publish sends nothing", async () => {
        const result = await publishNominees(
          db,
          organiser,
          { editionId: edition.id, includeUndecided: true },
          NOW,
          { jobs: dispatch, appUrl: APP_URL },
        );
        expect(result).toEqual({ ok: true, nominated: 1, notNominated: 2, undecided: 1, emails: 3 });
        const e = await db
          .selectFrom("editions")
          .selectAll()
          .where("id", "=", edition.id)
          .executeTakeFirstOrThrow();
        expect(e.nominees_published_at).toBe(NOW.toISOString());

        const mails = await db
          .selectFrom("outbox")
          .selectAll()
          .where("kind", "=", "nomination_result")
          .orderBy("id")
          .execute();
        expect(mails.map((m) => m.idempotency_key)).toEqual(
          [p.nominee, p.rejected, p.undecided].map((id) => `nomination_result:${id}`),
        );
        expect(dispatched.sort()).toEqual(mails.map((m) => m.id).sort());
        const contacts = await db
          .selectFrom("projects as p")
          .innerJoin("organisations as o", "o.id", "p.organisation_id")
          .select(["p.id", "o.contact_email"])
          .where("p.id", "in", [p.nominee, p.rejected, p.undecided])
          .execute();
        for (const m of mails) {
          const id = Number(m.idempotency_key.split(":")[1]);
          expect(m.to_address).toBe(contacts.find((c) => c.id === id)?.contact_email);
          expect(m.status).toBe("queued");
        }
        const [nominee, rejected, undecided] = mails;
        expect(nominee.subject).toContain("is nominated");
        expect(nominee.html).toContain(
          "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;",
        );
        expect(nominee.html).not.toContain("<script>");
        expect(nominee.html).not.toContain("<b>bold");
        expect(nominee.html).toContain("Alpha &amp; Co");
        expect(nominee.html).toContain(`${APP_URL}/projects/${p.nominee}`);
        expect(nominee.text).toContain(SCRIPT_TITLE);
        expect(nominee.text).toContain("C2 — Information and communication infrastructure");
        expect(rejected.subject).toContain("Nomination result");
        expect(rejected.text).toContain("has not been nominated");
        expect(rejected.text).toContain("Reason: Not <yet> implemented");
        expect(rejected.html).toContain("Reason: Not &lt;yet&gt; implemented");
        expect(rejected.html).toContain(`${APP_URL}/submissions/${p.rejected}`);
        expect(undecided.text).toContain("has not been nominated");
        expect(undecided.text).not.toContain("Reason:");

        const entry = await db
          .selectFrom("audit_log")
          .selectAll()
          .where("action", "=", "nomination.publish")
          .executeTakeFirstOrThrow();
        expect(entry).toMatchObject({
          actor_user_id: organiser,
          entity: "edition",
          entity_id: String(edition.id),
        });
        expect(JSON.parse(entry.before_json ?? "null")).toEqual({ nominees_published_at: null });
        expect(JSON.parse(entry.after_json ?? "null")).toMatchObject({
          nominees_published_at: NOW.toISOString(),
          nominated: 1,
          notNominated: 2,
          emails: 3,
        });

        const info = await publicationInfo(db, e);
        expect(info).toEqual({
          publishedAt: NOW.toISOString(),
          publishedBy: "Olga",
          emails: { queued: 3, sent: 0, failed: 0 },
        });

        dispatched = [];
        const again = await publishNominees(
          db,
          organiser,
          { editionId: edition.id, includeUndecided: true },
          NOW,
          { jobs: dispatch, appUrl: APP_URL },
        );
        expect(again).toMatchObject({ ok: false, status: 409 });
        expect(again.ok ? "" : again.message).toMatch(/already published/);
        expect(dispatched).toEqual([]);
        expect(
          await db.selectFrom("outbox").select("id").where("kind", "=", "nomination_result").execute(),
        ).toHaveLength(3);
        expect(
          await db.selectFrom("audit_log").select("id").where("action", "=", "nomination.publish").execute(),
        ).toHaveLength(1);
      });

      it("freezes every decision once published", async () => {
        const before = [await w.count("nomination_decisions"), await w.count("audit_log")];
        const later = new Date(NOW.getTime() + 1000);
        const expertTry = await decide(
          db,
          { userId: expert, organiser: false },
          p.undecided,
          { decision: "nominate" },
          later,
        );
        expect(expertTry).toMatchObject({ ok: false, status: 409 });
        expect(expertTry.ok ? "" : expertTry.message).toMatch(/published/);
        expect(
          await decide(
            db,
            { userId: organiser, organiser: true },
            p.rejected,
            { decision: "nominate" },
            later,
          ),
        ).toMatchObject({
          ok: false,
          status: 409,
        });
        expect([await w.count("nomination_decisions"), await w.count("audit_log")]).toEqual(before);
      });

      it("lets only one of two simultaneous publications through", async () => {
        const e2 = await w.edition(2043, "nomination");
        const org = await w.organisation("Solo");
        const pid = await w.project(e2.id, org, cat["C7-EGOV"], "Solo project");
        await decide(db, { userId: organiser, organiser: true }, pid, { decision: "nominate" }, NOW);
        const results = await Promise.all(
          [0, 1, 2].map(() =>
            publishNominees(db, organiser, { editionId: e2.id, includeUndecided: false }, NOW, {
              jobs: dispatch,
              appUrl: APP_URL,
            }),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(
          await db
            .selectFrom("outbox")
            .select("id")
            .where("idempotency_key", "=", `nomination_result:${pid}`)
            .execute(),
        ).toHaveLength(1);
        expect(dispatched.filter((id) => id !== null)).toHaveLength(1);
      });
    });

    describe("queue pagination", () => {
      it("pages the queue by QUEUE_PAGE_SIZE and clamps a page beyond the end", async () => {
        const edition = await w.edition(2044, "nomination");
        const expert = await w.user("Pat", ["expert"]);
        await w.assign(edition.id, expert, cat.C6, "nomination");
        const ids: number[] = [];
        for (let i = 0; i < QUEUE_PAGE_SIZE + 3; i++) {
          ids.push(await w.project(edition.id, await w.organisation(`Org ${i}`), cat.C6, `Project ${i}`));
        }
        const reviewer = { userId: expert, organiser: false };
        const page1 = await reviewQueue(db, reviewer, edition.id, { show: "undecided", page: 1 });
        expect(page1).toMatchObject({ total: QUEUE_PAGE_SIZE + 3, page: 1, pageCount: 2 });
        expect(page1.rows.map((r) => r.id)).toEqual(ids.slice(0, QUEUE_PAGE_SIZE));
        const page2 = await reviewQueue(db, reviewer, edition.id, { show: "undecided", page: 2 });
        expect(page2.rows.map((r) => r.id)).toEqual(ids.slice(QUEUE_PAGE_SIZE));
        const beyond = await reviewQueue(db, reviewer, edition.id, { show: "undecided", page: 99 });
        expect(beyond.page).toBe(2);
      });
    });
  });
}

describe("nomination result email", () => {
  const base = {
    contactName: "Ana <b>",
    organisationName: "Org & Co",
    projectTitle: SCRIPT_TITLE,
    categoryCode: "C4",
    categoryName: "Capacity building",
    editionName: "WSIS Prizes 2030",
    votingOpens: "5 Mar 2030, 13:00 (Europe/Zurich)",
    url: "https://prizes.example.org/projects/1?a=1&b=2",
  };
  it("names the project and category, links to it, and escapes every value in the HTML part", () => {
    const yes = nominationResult({ ...base, nominated: true, reason: null });
    expect(yes.subject).toBe(`Your project “${SCRIPT_TITLE}” is nominated for the WSIS Prizes`);
    expect(yes.text).toContain(`“${SCRIPT_TITLE}”`);
    expect(yes.text).toContain("C4 — Capacity building");
    expect(yes.text).toContain("https://prizes.example.org/projects/1?a=1&b=2");
    expect(yes.html).not.toMatch(/<script|<b>/);
    expect(yes.html).toContain("Hello Ana &lt;b&gt;,");
    expect(yes.html).toContain('href="https://prizes.example.org/projects/1?a=1&amp;b=2"');
    const no = nominationResult({ ...base, nominated: false, reason: "Duplicate of another project" });
    expect(no.text).toContain("has not been nominated");
    expect(no.text).toContain("Reason: Duplicate of another project");
    expect(no.html).not.toMatch(/<script|<b>/);
  });
});
