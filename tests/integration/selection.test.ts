import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zKey } from "../../app/domain/normalise";
import {
  selectionExperts,
  setSelectionCategories as setSelectionCategoriesCommand,
} from "../../app/domain/experts.server";
import { canScore, juryOverview, projectForScoring } from "../../app/domain/jury.server";
import {
  declareConflict as declareConflictCommand,
  saveScore as saveScoreCommand,
  submitCategory as submitCategoryCommand,
} from "../../app/domain/scoring.server";
import { categoryResults, selectionSummary } from "../../app/domain/selection-report.server";
import {
  confirmWinner as confirmWinnerCommand,
  unconfirmWinner as unconfirmWinnerCommand,
} from "../../app/domain/winners.server";
import { scoringWindow, winnerWindow } from "../../app/domain/windows";
import { CRITERIA, byCriterion, scoreFormSchema, type CriterionScores } from "../../app/schemas/selection";
import type { Db } from "../../db/client";
import type { Edition } from "../../db/schema";
import { expertStagesWorld, type ExpertStagesWorld } from "../fixtures/expert-stages";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { explained } from "../helpers/outcomes";

const setSelectionCategories = explained(setSelectionCategoriesCommand);
const declareConflict = explained(declareConflictCommand);
const saveScore = explained(saveScoreCommand);
const submitCategory = explained(submitCategoryCommand);
const confirmWinner = explained(confirmWinnerCommand);
const unconfirmWinner = explained(unconfirmWinnerCommand);

const NOW = new Date("2031-06-10T12:00:00.000Z");
const ms = (iso: string, delta = 0) => new Date(new Date(iso).getTime() + delta);

/** Nine criteria adding up to `total` (9..90): as even as possible, the larger ones first. */
function scoresFor(total: number): CriterionScores {
  const base = Math.floor(total / 9);
  const extra = total % 9;
  return byCriterion((c) => base + (CRITERIA.indexOf(c) < extra ? 1 : 0));
}
const blank = (): CriterionScores => byCriterion(() => null);

for (const dialect of DIALECTS) {
  describe(`selection domain (${dialect})`, () => {
    let t: TestDb;
    let db: Db;
    let w: ExpertStagesWorld;
    let edition: Edition;
    let cat: Record<string, number>;
    const u: Record<string, number> = {};
    const p: Record<string, number> = {};

    const auditRows = (action: string) =>
      db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("id").execute();
    const save = (
      who: string,
      project: string,
      total: number | null,
      mode: "draft" | "save" = "save",
      now = NOW,
    ) =>
      saveScore(
        db,
        u[who],
        p[project],
        { mode, scores: total === null ? blank() : scoresFor(total), comment: `${who} on ${project}` },
        now,
      );

    beforeAll(async () => {
      t = await createTestDb(dialect);
      db = t.db;
      w = expertStagesWorld(db, NOW);
      cat = await w.categories();
      edition = await w.edition(2031, "selection");
      for (const [key, roles] of [
        ["A", ["expert"]],
        ["B", ["expert", "voter"]],
        ["C", ["expert"]],
        ["D", ["expert"]],
        ["X", ["expert"]],
        ["ghost", ["expert"]],
        ["demoted", ["expert"]],
        ["organiser", ["organiser"]],
        ["voter", ["voter"]],
      ] as const) {
        u[key] = await w.user(`Expert ${key}`, [...roles]);
      }
      const orgD = await w.organisation("Org of D", { members: [u.D] });
      for (const key of ["P1", "P2", "P4", "P5", "P6", "Q1"]) {
        const org = await w.organisation(`Org ${key}`);
        const category = key === "Q1" ? cat.C9 : cat.C4;
        p[key] = await w.project(edition.id, org, category, `Project ${key}`, { nominated: true });
      }
      p.P3 = await w.project(edition.id, orgD, cat.C4, "Project P3", { nominated: true });
      // An older run made P5 a champion; the latest run does not: only the latest counts.
      await w.tally(edition.id, [
        { projectId: p.P5, categoryId: cat.C4, votes: 90, rank: 1, champion: true },
        { projectId: p.P1, categoryId: cat.C4, votes: 10, rank: 2, champion: true },
      ]);
      await w.tally(edition.id, [
        { projectId: p.P1, categoryId: cat.C4, votes: 50, rank: 1, champion: true },
        { projectId: p.P2, categoryId: cat.C4, votes: 40, rank: 2, champion: true },
        { projectId: p.P3, categoryId: cat.C4, votes: 30, rank: 3, champion: true },
        { projectId: p.P4, categoryId: cat.C4, votes: 20, rank: 4, champion: true, tied: true },
        { projectId: p.P6, categoryId: cat.C4, votes: 20, rank: 4, champion: true, tied: true },
        { projectId: p.P5, categoryId: cat.C4, votes: 5, rank: 6, champion: false },
        { projectId: p.Q1, categoryId: cat.C9, votes: 7, rank: 1, champion: true },
      ]);
      // Ghost is assigned to C4 for the NOMINATION only: that gives no right to score.
      await w.assign(edition.id, u.ghost, cat.C4, "nomination");
    });
    afterAll(async () => {
      await t?.cleanup();
    });

    it("assigns experts to categories for selection, audit-logged; refuses a non-expert and unknown categories", async () => {
      for (const key of ["A", "B", "C", "D", "demoted"]) {
        const r = await setSelectionCategories(
          db,
          u.organiser,
          { editionId: edition.id, userId: u[key], categoryIds: [cat.C4] },
          NOW,
        );
        expect(r).toEqual({ ok: true, added: ["C4"], removed: [] });
      }
      expect(
        await setSelectionCategories(
          db,
          u.organiser,
          { editionId: edition.id, userId: u.X, categoryIds: [cat.C9] },
          NOW,
        ),
      ).toEqual({ ok: true, added: ["C9"], removed: [] });
      const refused = await setSelectionCategories(
        db,
        u.organiser,
        { editionId: edition.id, userId: u.voter, categoryIds: [cat.C4] },
        NOW,
      );
      expect(refused).toMatchObject({ ok: false, status: 400 });
      expect(
        await setSelectionCategories(
          db,
          u.organiser,
          { editionId: edition.id, userId: u.A, categoryIds: [99999] },
          NOW,
        ),
      ).toMatchObject({ ok: false, status: 400 });
      const logs = await auditRows("expert_assignment.update");
      expect(logs).toHaveLength(6);
      expect(JSON.parse(logs[0].after_json ?? "null")).toEqual({
        editionId: edition.id,
        stage: "selection",
        categories: ["C4"],
      });
      expect(logs[0].actor_user_id).toBe(u.organiser);
      const experts = await selectionExperts(db, edition.id);
      expect(experts.find((e) => e.id === u.A)?.categoryIds).toEqual([cat.C4]);
      expect(experts.find((e) => e.id === u.ghost)?.categoryIds).toEqual([]);
      // "demoted" loses the role while assigned: no more scoring.
      await db.deleteFrom("user_roles").where("user_id", "=", u.demoted).execute();
    });

    it("lets an expert score only the latest run's champions of their selection categories, without conflicts", async () => {
      for (const key of ["P1", "P2", "P3", "P4", "P6"])
        expect(await canScore(db, u.A, p[key]), key).toBe(true);
      expect(await canScore(db, u.A, p.P5)).toBe(false); // champion of an older run only
      expect(await canScore(db, u.A, p.Q1)).toBe(false); // another category
      expect(await canScore(db, u.X, p.Q1)).toBe(true);
      expect(await canScore(db, u.X, p.P1)).toBe(false); // expert of another category
      expect(await canScore(db, u.ghost, p.P1)).toBe(false); // nomination-stage assignment only
      expect(await canScore(db, u.voter, p.P1)).toBe(false);
      expect(await canScore(db, u.organiser, p.P1)).toBe(false);
      expect(await canScore(db, u.demoted, p.P1)).toBe(false); // assigned, but no longer an expert
      expect(await canScore(db, u.D, p.P3)).toBe(false); // automatic conflict: D's own organisation
      expect(await canScore(db, u.A, 999999)).toBe(false);
      expect(await projectForScoring(db, u.D, p.P3, NOW)).toBeNull();
      expect(await save("D", "P3", 40)).toMatchObject({ ok: false, status: 404 });
      expect(await save("X", "P1", 40)).toMatchObject({ ok: false, status: 404 });
      expect(await save("A", "P5", 40)).toMatchObject({ ok: false, status: 404 });
      expect(await w.count("selection_scores")).toBe(0);

      const home = await juryOverview(db, u.D, edition, NOW);
      expect(home.categories.map((c) => c.code)).toEqual(["C4"]);
      expect(home.categories[0].projects.map((x) => x.id)).toEqual([p.P1, p.P2, p.P4, p.P6]);
      expect(home.categories[0].conflicts).toBe(1);
      expect(home.categories[0].projects.filter((x) => x.tied).map((x) => x.id)).toEqual([p.P4, p.P6]);
      expect((await juryOverview(db, u.ghost, edition, NOW)).categories).toEqual([]);
    });

    it("opens scoring with the selection phase: opening instant included, closing instant excluded", async () => {
      const opens = edition.selection_opens_at;
      const closes = edition.selection_closes_at;
      expect(scoringWindow(edition, ms(opens, -1)).open).toBe(false);
      expect(scoringWindow(edition, ms(opens)).open).toBe(true);
      expect(scoringWindow(edition, ms(closes, -1)).open).toBe(true);
      expect(scoringWindow(edition, ms(closes)).open).toBe(false);
      expect(await save("A", "P6", 50, "draft", ms(opens, -1))).toMatchObject({ ok: false, status: 409 });
      expect(await save("A", "P6", 50, "draft", ms(closes))).toMatchObject({ ok: false, status: 409 });
      expect(await w.count("selection_scores")).toBe(0);
      expect(await save("A", "P6", null, "draft", ms(opens))).toMatchObject({
        ok: true,
        state: "draft",
        changed: true,
      });
      expect(await save("A", "P6", 50, "save", ms(closes, -1))).toMatchObject({
        ok: true,
        state: "complete",
        changed: true,
      });
      // The same score again writes nothing (no audit row either).
      const audits = await w.count("audit_log");
      expect(await save("A", "P6", 50, "save", ms(closes, -2))).toMatchObject({ ok: true, changed: false });
      expect(await w.count("audit_log")).toBe(audits);
    });

    it("answers 0, 11 or missing criteria with field errors, writing nothing", async () => {
      const form = (overrides: Record<string, string | undefined>) => ({
        ...Object.fromEntries(CRITERIA.map((c) => [`score_${c}`, "5"])),
        comment: "Fine.",
        ...overrides,
      });
      const bad = scoreFormSchema("save").safeParse(
        form({ score_impact: "0", score_values: "11", score_sdgs: undefined, score_relevance: "" }),
      );
      expect(bad.success).toBe(false);
      const paths = bad.error?.issues.map((i) => String(i.path[0])).sort();
      expect(paths).toEqual(["score_impact", "score_relevance", "score_sdgs", "score_values"]);
      expect(
        scoreFormSchema("draft").safeParse(form({ score_sdgs: "", score_relevance: undefined })).success,
      ).toBe(true);
      expect(scoreFormSchema("draft").safeParse(form({ score_impact: "0" })).success).toBe(false);
      expect(scoreFormSchema("draft").safeParse(form({ score_impact: "7.5" })).success).toBe(false);
      expect(scoreFormSchema("save").safeParse(form({ comment: "  " })).error?.issues[0].path).toEqual([
        "comment",
      ]);

      const before = await w.count("audit_log");
      const scores = { ...scoresFor(50), impact: 0, values: 11 };
      const r = await saveScore(db, u.B, p.P1, { mode: "draft", scores, comment: "" }, NOW);
      expect(r).toMatchObject({ ok: false, status: 400 });
      expect(r.ok ? {} : r.errors).toEqual({
        score_impact: "Give a whole number from 1 to 10.",
        score_values: "Give a whole number from 1 to 10.",
      });
      const missing = await saveScore(
        db,
        u.B,
        p.P1,
        { mode: "save", scores: { ...scoresFor(50), sdgs: null }, comment: "ok" },
        NOW,
      );
      expect(missing.ok ? {} : missing.errors).toEqual({ score_sdgs: "Score this criterion from 1 to 10." });
      const noComment = await saveScore(
        db,
        u.B,
        p.P1,
        { mode: "save", scores: scoresFor(50), comment: " " },
        NOW,
      );
      expect(noComment.ok ? {} : Object.keys(noComment.errors ?? {})).toEqual(["comment"]);
      expect(await w.count("audit_log")).toBe(before);
      expect(
        await db.selectFrom("selection_scores").select("expert_id").where("expert_id", "=", u.B).execute(),
      ).toEqual([]);
    });

    it("takes declared conflicts with a reason: the project leaves the expert's list and their score is deleted", async () => {
      expect(await save("C", "P2", 70, "draft")).toMatchObject({ ok: true });
      expect(await declareConflict(db, u.C, p.P2, " x ", NOW)).toMatchObject({ ok: false, status: 400 });
      const r = await declareConflict(db, u.C, p.P2, "I advised this project in 2024.", NOW);
      expect(r).toEqual({ ok: true, categoryCode: "C4" });
      expect(await declareConflict(db, u.C, p.P2, "Again.", NOW)).toMatchObject({ ok: false, status: 404 });
      expect(await canScore(db, u.C, p.P2)).toBe(false);
      expect(await projectForScoring(db, u.C, p.P2, NOW)).toBeNull();
      expect(await save("C", "P2", 70)).toMatchObject({ ok: false, status: 404 });
      expect(
        await db.selectFrom("selection_scores").select("project_id").where("expert_id", "=", u.C).execute(),
      ).toEqual([]);
      const stored = await db
        .selectFrom("conflicts")
        .selectAll()
        .where("expert_id", "=", u.C)
        .executeTakeFirstOrThrow();
      expect(stored).toMatchObject({ project_id: p.P2, reason: "I advised this project in 2024." });
      const log = (await auditRows("selection.conflict.declare")).at(-1);
      expect(log?.actor_user_id).toBe(u.C);
      expect(log?.entity_id).toBe(String(p.P2));
      expect(JSON.parse(log?.before_json ?? "null")).toMatchObject({ expertId: u.C, comment: "C on P2" });
      expect(JSON.parse(log?.after_json ?? "null")).toEqual({
        expertId: u.C,
        reason: "I advised this project in 2024.",
      });
      for (const [who, project] of [
        ["C", "P4"],
        ["C", "P6"],
        ["D", "P1"],
        ["D", "P2"],
        ["D", "P6"],
        ["B", "P6"],
      ]) {
        expect(
          await declareConflict(db, u[who], p[project], "Conflict of interest.", NOW),
          `${who} ${project}`,
        ).toMatchObject({ ok: true });
      }
      // Outside the window nothing is declared.
      expect(
        await declareConflict(db, u.A, p.P1, "Too late.", ms(edition.selection_closes_at)),
      ).toMatchObject({ ok: false, status: 409 });
      const home = await juryOverview(db, u.C, edition, NOW);
      expect(home.categories[0].projects.map((x) => x.id)).toEqual([p.P1, p.P3]);
      expect(home.categories[0].conflicts).toBe(3);
    });

    it("refuses a submission while a champion lacks a complete score; afterwards scores are final", async () => {
      expect(await save("A", "P1", 87)).toMatchObject({ ok: true });
      expect(await save("A", "P2", null, "draft")).toMatchObject({ ok: true, state: "draft" });
      const refused = await submitCategory(db, u.A, { editionId: edition.id, categoryId: cat.C4 }, NOW);
      expect(refused).toMatchObject({ ok: false, status: 409 });
      expect(refused.ok ? [] : (refused.missing ?? []).map((m) => m.id)).toEqual([p.P2, p.P3, p.P4]);
      let home = await juryOverview(db, u.A, edition, NOW);
      expect(home.categories[0]).toMatchObject({ complete: 2, canSubmit: false, submittedAt: null });
      expect(home.categories[0].projects.map((x) => x.state)).toEqual([
        "complete",
        "draft",
        "none",
        "none",
        "complete",
      ]);

      // A scores the rest; P6 is withdrawn from A's list through a conflict so the worked example holds.
      expect(await save("A", "P2", 81)).toMatchObject({ ok: true, state: "complete" });
      expect(await save("A", "P3", 79)).toMatchObject({ ok: true });
      expect(await save("A", "P4", 73)).toMatchObject({ ok: true });
      expect(await declareConflict(db, u.A, p.P6, "Former employer.", NOW)).toMatchObject({ ok: true });
      home = await juryOverview(db, u.A, edition, NOW);
      expect(home.categories[0]).toMatchObject({ complete: 4, canSubmit: true });

      expect(await submitCategory(db, u.X, { editionId: edition.id, categoryId: cat.C4 }, NOW)).toMatchObject(
        { ok: false, status: 404 },
      );
      expect(
        await submitCategory(
          db,
          u.A,
          { editionId: edition.id, categoryId: cat.C4 },
          ms(edition.selection_closes_at),
        ),
      ).toMatchObject({
        ok: false,
        status: 409,
      });
      const ok = await submitCategory(db, u.A, { editionId: edition.id, categoryId: cat.C4 }, NOW);
      expect(ok).toEqual({ ok: true, categoryCode: "C4", projects: 4 });
      expect(await submitCategory(db, u.A, { editionId: edition.id, categoryId: cat.C4 }, NOW)).toMatchObject(
        { ok: false, status: 409 },
      );
      expect(await save("A", "P1", 90)).toMatchObject({ ok: false, status: 409 });
      expect(await declareConflict(db, u.A, p.P1, "Late conflict.", NOW)).toMatchObject({
        ok: false,
        status: 409,
      });
      home = await juryOverview(db, u.A, edition, NOW);
      expect(home.categories[0]).toMatchObject({ canSubmit: false, submittedAt: NOW.toISOString() });

      const submit = (await auditRows("selection.submit")).at(-1);
      expect(submit?.actor_user_id).toBe(u.A);
      expect(JSON.parse(submit?.after_json ?? "null")).toMatchObject({
        editionId: edition.id,
        category: "C4",
        expertId: u.A,
      });
      const saves = await auditRows("selection.score.save");
      const last = saves.at(-1);
      expect(JSON.parse(last?.after_json ?? "null")).toMatchObject({
        expertId: u.A,
        state: "complete",
        scores: scoresFor(73),
      });
    });

    it("hides peers' scores until the expert has submitted, then shows only submitted peers", async () => {
      for (const [project, total] of [
        ["P1", 42],
        ["P2", 54],
        ["P3", 38],
        ["P4", 26],
      ] as const) {
        expect(await save("B", project, total)).toMatchObject({ ok: true });
      }
      // B has not submitted: nothing of A's (submitted) scores shows.
      const beforeB = await projectForScoring(db, u.B, p.P1, NOW);
      expect(beforeB?.peers).toBeNull();
      expect(beforeB?.own?.state).toBe("complete");
      expect(JSON.stringify(beforeB)).not.toContain("A on P1");
      // A has submitted, but B has not: A sees no peer yet (B's complete draft stays hidden).
      const aView = await projectForScoring(db, u.A, p.P1, NOW);
      expect(aView?.peers).toEqual([]);
      expect(aView?.peersWaiting).toBe(2); // B and C (D is conflicted with P1)
      expect(aView?.editable).toBe(false);

      expect(await submitCategory(db, u.B, { editionId: edition.id, categoryId: cat.C4 }, NOW)).toMatchObject(
        { ok: true },
      );
      const afterB = await projectForScoring(db, u.B, p.P1, NOW);
      expect(afterB?.peers).toEqual([
        { name: "Expert A", scores: scoresFor(87), total: 87, comment: "A on P1" },
      ]);
      expect(afterB?.peersWaiting).toBe(1);
      expect((await projectForScoring(db, u.A, p.P1, NOW))?.peers?.map((x) => x.name)).toEqual(["Expert B"]);
    });

    it("aggregates final scores only, without conflicted experts: the worked example's numbers", async () => {
      // C (draft not yet submitted) and D: scores of the worked example.
      expect(await save("C", "P1", 50)).toMatchObject({ ok: true });
      expect(await save("C", "P3", 50)).toMatchObject({ ok: true });
      expect(await save("D", "P4", 90)).toMatchObject({ ok: true });
      // Scores a conflicted expert could never have saved through the app (written behind its back) never count:
      // D is a member of P3's organisation (automatic), C declared a conflict with P2.
      for (const [who, project] of [
        ["D", "P3"],
        ["C", "P2"],
      ]) {
        await db
          .insertInto("selection_scores")
          .values({
            edition_id: edition.id,
            project_id: p[project],
            expert_id: u[who],
            ...Object.fromEntries(CRITERIA.map((c) => [`score_${c}`, 1])),
            comment: "should not count",
            updated_at: NOW.toISOString(),
          })
          .execute();
      }

      // Only A and B submitted so far: C's and D's drafts do not count yet.
      let view = await categoryResults(db, edition, cat.C4, NOW);
      const row = (key: string) => view?.projects.find((x) => x.projectId === p[key]);
      expect(row("P1")?.scoreCount).toBe(2);
      expect(row("P4")?.mean).toBeCloseTo((73 + 26) / 2 / 9, 12);

      expect(await submitCategory(db, u.C, { editionId: edition.id, categoryId: cat.C4 }, NOW)).toMatchObject(
        { ok: true },
      );
      expect(await submitCategory(db, u.D, { editionId: edition.id, categoryId: cat.C4 }, NOW)).toMatchObject(
        { ok: true },
      );
      view = await categoryResults(db, edition, cat.C4, NOW);
      if (!view) throw new Error("no view");
      // Worked example (tests/unit/normalise.test.ts has the hand computation):
      //   means      P1 179/27 = 6.63, P2 135/18 = 7.5, P3 167/27 = 6.19, P4 189/27 = 7 → ranks 3, 1, 4, 2
      //   normalised P1 (1.4+0.2+0)/3 = 0.533, P2 (0.2+1.4)/2 = 0.8, P3 (−0.2−0.2+0)/3 = −0.133,
      //              P4 (−1.4−1.4+0)/3 = −0.933                                          → ranks 2, 1, 3, 4
      expect(row("P1")?.mean).toBeCloseTo(179 / 27, 12);
      expect(row("P2")?.mean).toBeCloseTo(7.5, 12);
      expect(row("P3")?.mean).toBeCloseTo(167 / 27, 12);
      expect(row("P4")?.mean).toBeCloseTo(7, 12);
      expect(row("P1")?.normalised).toBeCloseTo(1.6 / 3, 12);
      expect(row("P2")?.normalised).toBeCloseTo(0.8, 12);
      expect(row("P3")?.normalised).toBeCloseTo(-0.4 / 3, 12);
      expect(row("P4")?.normalised).toBeCloseTo(-2.8 / 3, 12);
      expect(["P1", "P2", "P3", "P4"].map((k) => row(k)?.meanRank)).toEqual([3, 1, 4, 2]);
      expect(["P1", "P2", "P3", "P4"].map((k) => row(k)?.normalisedRank)).toEqual([2, 1, 3, 4]);
      expect(["P1", "P2", "P3", "P4"].map((k) => row(k)?.scoreCount)).toEqual([3, 2, 3, 3]);
      // P6 (tied at the cut-off in the tally): every expert declared a conflict with it (A's declaration deleted
      // A's early score), so it has no score and no rank; the tie marker comes from the tally.
      expect(row("P6")).toMatchObject({
        scoreCount: 0,
        mean: null,
        normalised: null,
        meanRank: null,
        tied: true,
      });
      expect(row("P4")?.tied).toBe(true);
      expect(view.cells[zKey(u.A, p.P1)]).toEqual({ total: 87, z: expect.closeTo(1.4, 12) });
      expect(view.cells[zKey(u.D, p.P3)]).toBeUndefined();
      expect(view.cells[zKey(u.C, p.P2)]).toBeUndefined();

      const progress = Object.fromEntries(view.experts.map((e) => [e.name, e]));
      expect(progress["Expert A"]).toMatchObject({
        eligible: 4,
        complete: 4,
        drafts: 0,
        submittedAt: NOW.toISOString(),
      });
      expect(progress["Expert C"]).toMatchObject({ eligible: 2, complete: 2 });
      expect(progress["Expert C"].conflicts.map((c) => c.kind)).toEqual(["declared", "declared", "declared"]);
      expect(progress["Expert D"].conflicts.find((c) => c.projectId === p.P3)).toEqual({
        projectId: p.P3,
        kind: "organisation",
        reason: null,
      });
      expect(progress["Expert demoted"]).toMatchObject({ isExpert: false, complete: 0 });

      const summary = await selectionSummary(db, edition.id);
      expect(summary.find((c) => c.code === "C4")).toMatchObject({
        champions: 5,
        ties: 2,
        experts: 5,
        submitted: 4,
        winners: [],
      });
      expect(summary.find((c) => c.code === "C9")).toMatchObject({ champions: 1, experts: 1, submitted: 0 });
    });

    it("counts complete drafts as final once the selection phase has closed", async () => {
      await db
        .insertInto("selection_scores")
        .values({
          edition_id: edition.id,
          project_id: p.Q1,
          expert_id: u.X,
          ...Object.fromEntries(CRITERIA.map((c) => [`score_${c}`, 6])),
          comment: "Good.",
          updated_at: NOW.toISOString(),
        })
        .execute();
      expect((await categoryResults(db, edition, cat.C9, NOW))?.projects[0].scoreCount).toBe(0);
      const after = await categoryResults(db, edition, cat.C9, ms(edition.selection_closes_at));
      expect(after?.projects[0]).toMatchObject({ scoreCount: 1, mean: 6, normalised: 0, meanRank: 1 });
    });

    it("confirms one winner per category, a second only with override and reason; never a non-champion", async () => {
      const confirm = (project: string, override = false, reason: string | null = null, now = NOW) =>
        confirmWinner(
          db,
          u.organiser,
          { editionId: edition.id, projectId: p[project], override, reason },
          now,
        );
      expect(winnerWindow(edition, ms(edition.selection_opens_at, -1)).open).toBe(false);
      expect(await confirm("P2", false, null, ms(edition.selection_opens_at, -1))).toMatchObject({
        ok: false,
        status: 409,
      });
      expect(await confirm("P5")).toMatchObject({ ok: false, status: 409 }); // not a champion of the latest run
      expect(
        await confirmWinner(
          db,
          u.organiser,
          { editionId: edition.id, projectId: 999999, override: false, reason: null },
          NOW,
        ),
      ).toMatchObject({
        ok: false,
        status: 404,
      });
      expect(await w.count("winners")).toBe(0);

      expect(await confirm("P2")).toEqual({ ok: true, categoryCode: "C4" });
      expect(await confirm("P2")).toMatchObject({ ok: false, status: 409 });
      expect(await confirm("P1")).toMatchObject({ ok: false, status: 409, field: "override" });
      expect(await confirm("P1", true, "  ")).toMatchObject({ ok: false, status: 400, field: "reason" });
      expect(await confirm("P1", false, "A reason but no override")).toMatchObject({
        ok: false,
        status: 409,
        field: "override",
      });
      expect(await w.count("winners")).toBe(1);
      // Selection closed: still confirmable before publication.
      expect(
        await confirm(
          "P1",
          true,
          "Joint winners: equal scores after review.",
          ms(edition.selection_closes_at, 1000),
        ),
      ).toMatchObject({ ok: true });
      expect(await confirm("Q1")).toMatchObject({ ok: true }); // another category: its first winner

      const winners = await db
        .selectFrom("winners")
        .selectAll()
        .where("category_id", "=", cat.C4)
        .orderBy("confirmed_at")
        .execute();
      expect(winners.map((w) => [w.project_id, w.override_reason, w.confirmed_by])).toEqual([
        [p.P2, null, u.organiser],
        [p.P1, "Joint winners: equal scores after review.", u.organiser],
      ]);
      const view = await categoryResults(db, edition, cat.C4, NOW);
      expect(view?.winnerCount).toBe(2);
      expect(view?.projects.find((x) => x.projectId === p.P1)?.winner).toMatchObject({
        overrideReason: "Joint winners: equal scores after review.",
        confirmedBy: "Expert organiser",
      });
      const logs = await auditRows("selection.winner.confirm");
      expect(logs).toHaveLength(3);
      expect(JSON.parse(logs[1].after_json ?? "null")).toMatchObject({
        project_id: p.P1,
        override_reason: "Joint winners: equal scores after review.",
      });

      expect(await unconfirmWinner(db, u.organiser, { editionId: edition.id, projectId: p.P1 }, NOW)).toEqual(
        { ok: true, categoryCode: "C4" },
      );
      expect(
        await unconfirmWinner(db, u.organiser, { editionId: edition.id, projectId: p.P1 }, NOW),
      ).toMatchObject({ ok: false, status: 404 });
      const un = (await auditRows("selection.winner.unconfirm")).at(-1);
      expect(JSON.parse(un?.before_json ?? "null")).toMatchObject({ project_id: p.P1 });

      // Published results freeze the winners.
      await db
        .updateTable("editions")
        .set({ results_published_at: NOW.toISOString() })
        .where("id", "=", edition.id)
        .execute();
      const published = { ...edition, results_published_at: NOW.toISOString() };
      expect(winnerWindow(published, NOW).open).toBe(false);
      expect(scoringWindow(published, NOW).open).toBe(false);
      expect(await confirm("P1", true, "After publication")).toMatchObject({ ok: false, status: 409 });
      expect(
        await unconfirmWinner(db, u.organiser, { editionId: edition.id, projectId: p.P2 }, NOW),
      ).toMatchObject({ ok: false, status: 409 });
      expect(await w.count("winners")).toBe(2);
    });
  });
}
