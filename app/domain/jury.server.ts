/**
 * The jury (DESIGN §6, issue 5 §1): who scores what, conflicts, and the expert's pages.
 *
 * Who scores what: an expert scores a project when they hold the "expert" role, are assigned to the
 * project's category for its edition at the "selection" stage, the project is a champion of the edition's
 * LATEST tally run, and they have no conflict with it. Conflicts are automatic (the expert is a member of the
 * project's organisation) or declared by the expert with a reason; either way the project does not exist for
 * that expert (404, left out of every list and of every aggregate). After submitting a category the expert
 * sees the other experts' submitted scores for it. Saving, declaring and submitting: scoring.server.ts.
 */
import type { Db } from "../../db/client";
import type { Edition } from "../../db/schema";
import type { CriterionScores } from "../schemas/selection";
import { categoryById } from "./editions.server";
import { assignedCategoryIds, holdsExpertRole } from "./experts.server";
import { zKey } from "./normalise";
import { isCompleteScore, scoresOf, stateOf, totalOf, type ScoreState } from "./scores";
import { championsOf, latestTallyRun } from "./tally-runs.server";
import { scoringWindow, type WindowState } from "./windows";

export type ConflictKind = "organisation" | "declared";
export interface ConflictInfo {
  kind: ConflictKind;
  reason: string | null;
}

/** Conflicts between `expertIds` and `projectIds`, keyed by zKey(expertId, projectId). */
export async function conflictsAmong(
  database: Db,
  projectIds: readonly number[],
  expertIds: readonly number[],
): Promise<Map<string, ConflictInfo>> {
  const out = new Map<string, ConflictInfo>();
  if (projectIds.length === 0 || expertIds.length === 0) return out;
  const [members, declared] = await Promise.all([
    database
      .selectFrom("projects as p")
      .innerJoin("organisation_members as m", "m.organisation_id", "p.organisation_id")
      .select(["p.id as project_id", "m.user_id"])
      .where("p.id", "in", projectIds)
      .where("m.user_id", "in", expertIds)
      .execute(),
    database
      .selectFrom("conflicts")
      .select(["project_id", "expert_id", "reason"])
      .where("project_id", "in", projectIds)
      .where("expert_id", "in", expertIds)
      .execute(),
  ]);
  for (const d of declared) out.set(zKey(d.expert_id, d.project_id), { kind: "declared", reason: d.reason });
  // Membership wins: it is the stronger reason, and it cannot be undone by the expert.
  for (const m of members) out.set(zKey(m.user_id, m.project_id), { kind: "organisation", reason: null });
  return out;
}

/** When `expertId` submitted their scores of a category, if they did. */
export async function submissionOf(database: Db, editionId: number, categoryId: number, expertId: number) {
  return database
    .selectFrom("selection_submissions")
    .select("submitted_at")
    .where("edition_id", "=", editionId)
    .where("category_id", "=", categoryId)
    .where("expert_id", "=", expertId)
    .executeTakeFirst();
}

/** The project, its edition and its champion row when `expertId` may score it; null otherwise. */
export async function scoringContext(database: Db, expertId: number, projectId: number) {
  const project = await database
    .selectFrom("projects")
    .selectAll()
    .where("id", "=", projectId)
    .executeTakeFirst();
  if (!project || project.status !== "submitted") return null;
  if (!(await holdsExpertRole(database, expertId))) return null;
  const assigned = await assignedCategoryIds(database, expertId, project.edition_id, "selection");
  if (!assigned.includes(project.category_id)) return null;
  const champion = (await championsOf(database, project.edition_id, [project.category_id])).find(
    (c) => c.projectId === projectId,
  );
  if (!champion) return null;
  const conflicts = await conflictsAmong(database, [projectId], [expertId]);
  if (conflicts.size > 0) return null;
  const edition = await database
    .selectFrom("editions")
    .selectAll()
    .where("id", "=", project.edition_id)
    .executeTakeFirstOrThrow();
  return { project, edition, champion };
}

/** True when `expertId` may open project `projectId` on the scoring page (see the module comment). */
export async function canScore(database: Db, expertId: number, projectId: number): Promise<boolean> {
  return (await scoringContext(database, expertId, projectId)) !== null;
}

export interface JuryProject {
  id: number;
  title: string;
  organisation: string;
  rank: number;
  tied: boolean;
  state: ScoreState;
}

export interface JuryCategory {
  id: number;
  code: string;
  name: string;
  projects: JuryProject[];
  /** Projects left out because of a conflict (automatic or declared). */
  conflicts: number;
  complete: number;
  submittedAt: string | null;
  /** The category can be submitted now: window open, not yet submitted, every project complete. */
  canSubmit: boolean;
}

/** The expert's home: their selection categories in an edition, the champions they score and their progress. */
export async function juryOverview(
  database: Db,
  expertId: number,
  edition: Edition,
  now: Date,
): Promise<{ window: WindowState; categories: JuryCategory[]; championsKnown: boolean }> {
  const window = scoringWindow(edition, now);
  const ids = (await holdsExpertRole(database, expertId))
    ? await assignedCategoryIds(database, expertId, edition.id, "selection")
    : [];
  const run = await latestTallyRun(database, edition.id);
  if (ids.length === 0) return { window, categories: [], championsKnown: run !== undefined };
  const [categories, champions, submissions] = await Promise.all([
    database
      .selectFrom("categories")
      .select(["id", "code", "name"])
      .where("id", "in", ids)
      .orderBy("position")
      .execute(),
    championsOf(database, edition.id, ids),
    database
      .selectFrom("selection_submissions")
      .select(["category_id", "submitted_at"])
      .where("edition_id", "=", edition.id)
      .where("expert_id", "=", expertId)
      .execute(),
  ]);
  const projectIds = champions.map((c) => c.projectId);
  const [conflicts, scores] = await Promise.all([
    conflictsAmong(database, projectIds, [expertId]),
    projectIds.length
      ? database
          .selectFrom("selection_scores")
          .selectAll()
          .where("expert_id", "=", expertId)
          .where("project_id", "in", projectIds)
          .execute()
      : Promise.resolve([]),
  ]);
  const scoreOf = new Map(scores.map((s) => [s.project_id, s]));
  const out = categories.map((c): JuryCategory => {
    const mine = champions.filter((p) => p.categoryId === c.id);
    const open = mine.filter((p) => !conflicts.has(zKey(expertId, p.projectId)));
    const projects = open.map((p) => ({
      id: p.projectId,
      title: p.title,
      organisation: p.organisation,
      rank: p.rank,
      tied: p.tied,
      state: stateOf(scoreOf.get(p.projectId)),
    }));
    const complete = projects.filter((p) => p.state === "complete").length;
    const submittedAt = submissions.find((s) => s.category_id === c.id)?.submitted_at ?? null;
    return {
      id: c.id,
      code: c.code,
      name: c.name,
      projects,
      conflicts: mine.length - open.length,
      complete,
      submittedAt,
      canSubmit: window.open && submittedAt === null && projects.length > 0 && complete === projects.length,
    };
  });
  return { window, categories: out, championsKnown: run !== undefined };
}

export interface PeerScore {
  name: string;
  scores: CriterionScores;
  total: number;
  comment: string;
}

/**
 * Everything the scoring page shows, or null (→ 404) when the expert may not score the project. Peers'
 * scores only once the expert has submitted the category, and only peers who submitted too.
 */
export async function projectForScoring(database: Db, expertId: number, projectId: number, now: Date) {
  const context = await scoringContext(database, expertId, projectId);
  if (!context) return null;
  const { project, edition, champion } = context;
  const [category, organisation, own, submission] = await Promise.all([
    categoryById(database, project.category_id),
    database
      .selectFrom("organisations")
      .select(["name", "stakeholder_type", "country", "region", "website"])
      .where("id", "=", project.organisation_id)
      .executeTakeFirstOrThrow(),
    database
      .selectFrom("selection_scores")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("expert_id", "=", expertId)
      .executeTakeFirst(),
    submissionOf(database, edition.id, project.category_id, expertId),
  ]);
  const window = scoringWindow(edition, now);
  let peers: PeerScore[] | null = null;
  let peersWaiting = 0;
  if (submission) {
    const others = await database
      .selectFrom("expert_assignments as a")
      .innerJoin("users as u", "u.id", "a.user_id")
      .innerJoin("user_roles as r", (j) => j.onRef("r.user_id", "=", "a.user_id").on("r.role", "=", "expert"))
      .leftJoin("selection_submissions as s", (j) =>
        j
          .onRef("s.expert_id", "=", "a.user_id")
          .onRef("s.edition_id", "=", "a.edition_id")
          .onRef("s.category_id", "=", "a.category_id"),
      )
      .select(["u.id", "u.name", "s.submitted_at"])
      .where("a.edition_id", "=", edition.id)
      .where("a.category_id", "=", project.category_id)
      .where("a.stage", "=", "selection")
      .where("a.user_id", "<>", expertId)
      .orderBy("u.name")
      .orderBy("u.id")
      .execute();
    const conflicts = await conflictsAmong(
      database,
      [projectId],
      others.map((o) => o.id),
    );
    const eligible = others.filter((o) => !conflicts.has(zKey(o.id, projectId)));
    const submitted = eligible.filter((o) => o.submitted_at !== null);
    peersWaiting = eligible.length - submitted.length;
    const rows = submitted.length
      ? await database
          .selectFrom("selection_scores")
          .selectAll()
          .where("project_id", "=", projectId)
          .where(
            "expert_id",
            "in",
            submitted.map((o) => o.id),
          )
          .execute()
      : [];
    peers = submitted.flatMap((o) => {
      const row = rows.find((r) => r.expert_id === o.id);
      return row && isCompleteScore(row)
        ? [{ name: o.name, scores: scoresOf(row), total: totalOf(row), comment: row.comment }]
        : [];
    });
  }
  return {
    project,
    edition,
    category,
    organisation,
    champion,
    own: own
      ? { scores: scoresOf(own), comment: own.comment, state: stateOf(own), updatedAt: own.updated_at }
      : null,
    submittedAt: submission?.submitted_at ?? null,
    window,
    editable: window.open && !submission,
    peers,
    peersWaiting,
  };
}
