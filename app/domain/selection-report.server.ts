/**
 * The selection report (DESIGN §6, issue 5 §1): the organisers' view of the jury's work, per edition and per
 * category, with the aggregates of normalise.ts (the mean, the z-scores and the rankings).
 *
 * What the aggregates count (documented choice): FINAL scores only — complete scores of experts still
 * assigned and holding the role, with no conflict, who submitted the category or whose phase has closed.
 * Drafts change under the organisers' eyes, so they show as progress, not in the numbers.
 */
import type { Db } from "../../db/client";
import type { Edition } from "../../db/schema";
import { listCategories } from "./editions.server";
import { conflictsAmong, type ConflictKind } from "./jury.server";
import { aggregateScores, expertZScores, zKey, type ProjectAggregate } from "./normalise";
import { isCompleteScore, totalOf } from "./scores";
import { championsOf } from "./tally-runs.server";
import { selectionPhaseOver } from "./windows";

export interface CategorySummary {
  id: number;
  code: string;
  name: string;
  champions: number;
  ties: number;
  experts: number;
  submitted: number;
  winners: string[];
}

/** Per category: champions, ties at fifth place, assigned experts, experts who submitted, winners. */
export async function selectionSummary(database: Db, editionId: number): Promise<CategorySummary[]> {
  const [categories, champions, assignments, submissions, winners] = await Promise.all([
    listCategories(database),
    championsOf(database, editionId),
    database
      .selectFrom("expert_assignments")
      .select(["category_id", "user_id"])
      .where("edition_id", "=", editionId)
      .where("stage", "=", "selection")
      .execute(),
    database
      .selectFrom("selection_submissions as s")
      .innerJoin("expert_assignments as a", (j) =>
        j
          .onRef("a.user_id", "=", "s.expert_id")
          .onRef("a.edition_id", "=", "s.edition_id")
          .onRef("a.category_id", "=", "s.category_id")
          .on("a.stage", "=", "selection"),
      )
      .select(["s.category_id", "s.expert_id"])
      .where("s.edition_id", "=", editionId)
      .execute(),
    database
      .selectFrom("winners as w")
      .innerJoin("projects as p", "p.id", "w.project_id")
      .select(["w.category_id", "p.title"])
      .where("w.edition_id", "=", editionId)
      .orderBy("w.confirmed_at")
      .execute(),
  ]);
  return categories.map((c) => ({
    id: c.id,
    code: c.code,
    name: c.name,
    champions: champions.filter((p) => p.categoryId === c.id).length,
    ties: champions.filter((p) => p.categoryId === c.id && p.tied).length,
    experts: assignments.filter((a) => a.category_id === c.id).length,
    submitted: submissions.filter((s) => s.category_id === c.id).length,
    winners: winners.filter((w) => w.category_id === c.id).map((w) => w.title),
  }));
}

export interface ExpertProgress {
  id: number;
  name: string;
  email: string;
  isExpert: boolean;
  /** Champions this expert may score (no conflict). */
  eligible: number;
  complete: number;
  drafts: number;
  conflicts: Array<{ projectId: number; kind: ConflictKind; reason: string | null }>;
  submittedAt: string | null;
}

export interface ProjectResult extends ProjectAggregate {
  title: string;
  organisation: string;
  votes: number;
  voteRank: number;
  tied: boolean;
  winner: { overrideReason: string | null; confirmedBy: string | null; confirmedAt: string } | null;
}

export interface CategoryResults {
  category: { id: number; code: string; name: string };
  experts: ExpertProgress[];
  projects: ProjectResult[];
  /** Final totals and z-scores per expert × project, keyed by zKey(expertId, projectId). */
  cells: Record<string, { total: number; z: number }>;
  winnerCount: number;
}

/**
 * The organisers' view of one category: each assigned expert's progress, and per champion the mean and
 * normalised scores of the final scores with the ranking under each, the tally's tie markers and the
 * confirmed winners.
 */
export async function categoryResults(
  database: Db,
  edition: Edition,
  categoryId: number,
  now: Date,
): Promise<CategoryResults | null> {
  const category = await database
    .selectFrom("categories")
    .select(["id", "code", "name"])
    .where("id", "=", categoryId)
    .executeTakeFirst();
  if (!category) return null;
  const [champions, assigned, submissions, winners] = await Promise.all([
    championsOf(database, edition.id, [categoryId]),
    database
      .selectFrom("expert_assignments as a")
      .innerJoin("users as u", "u.id", "a.user_id")
      .leftJoin("user_roles as r", (j) => j.onRef("r.user_id", "=", "a.user_id").on("r.role", "=", "expert"))
      .select(["u.id", "u.name", "u.email", "r.role"])
      .where("a.edition_id", "=", edition.id)
      .where("a.category_id", "=", categoryId)
      .where("a.stage", "=", "selection")
      .orderBy("u.name")
      .orderBy("u.id")
      .execute(),
    database
      .selectFrom("selection_submissions")
      .select(["expert_id", "submitted_at"])
      .where("edition_id", "=", edition.id)
      .where("category_id", "=", categoryId)
      .execute(),
    database
      .selectFrom("winners as w")
      .leftJoin("users as u", "u.id", "w.confirmed_by")
      .select(["w.project_id", "w.override_reason", "w.confirmed_at", "u.name"])
      .where("w.edition_id", "=", edition.id)
      .where("w.category_id", "=", categoryId)
      .execute(),
  ]);
  const projectIds = champions.map((c) => c.projectId);
  const expertIds = assigned.map((a) => a.id);
  const [conflicts, scores] = await Promise.all([
    conflictsAmong(database, projectIds, expertIds),
    projectIds.length && expertIds.length
      ? database
          .selectFrom("selection_scores")
          .selectAll()
          .where("project_id", "in", projectIds)
          .where("expert_id", "in", expertIds)
          .execute()
      : Promise.resolve([]),
  ]);
  const over = selectionPhaseOver(edition, now);
  const submittedAt = new Map(submissions.map((s) => [s.expert_id, s.submitted_at]));
  const experts: ExpertProgress[] = assigned.map((a) => {
    const mineConflicts = champions.flatMap((c) => {
      const conflict = conflicts.get(zKey(a.id, c.projectId));
      return conflict ? [{ projectId: c.projectId, ...conflict }] : [];
    });
    const eligible = champions.filter((c) => !conflicts.has(zKey(a.id, c.projectId)));
    const rows = scores.filter(
      (s) => s.expert_id === a.id && eligible.some((c) => c.projectId === s.project_id),
    );
    const complete = rows.filter((r) => isCompleteScore(r)).length;
    return {
      id: a.id,
      name: a.name,
      email: a.email,
      isExpert: a.role !== null,
      eligible: eligible.length,
      complete,
      drafts: rows.length - complete,
      conflicts: mineConflicts,
      submittedAt: submittedAt.get(a.id) ?? null,
    };
  });
  const counting = new Set(
    experts.filter((e) => e.isExpert && (e.submittedAt !== null || over)).map((e) => e.id),
  );
  const finals = scores
    .filter(
      (s) =>
        counting.has(s.expert_id) && !conflicts.has(zKey(s.expert_id, s.project_id)) && isCompleteScore(s),
    )
    .map((s) => ({ expertId: s.expert_id, projectId: s.project_id, total: totalOf(s) }));
  const aggregates = aggregateScores(projectIds, finals);
  const z = expertZScores(finals);
  const cells: Record<string, { total: number; z: number }> = {};
  for (const f of finals)
    cells[zKey(f.expertId, f.projectId)] = { total: f.total, z: z.get(zKey(f.expertId, f.projectId)) ?? 0 };
  const projects = champions.map((c, i): ProjectResult => {
    const w = winners.find((x) => x.project_id === c.projectId);
    return {
      ...aggregates[i],
      title: c.title,
      organisation: c.organisation,
      votes: c.validVotes,
      voteRank: c.rank,
      tied: c.tied,
      winner: w
        ? { overrideReason: w.override_reason, confirmedBy: w.name, confirmedAt: w.confirmed_at }
        : null,
    };
  });
  return { category, experts, projects, cells, winnerCount: winners.length };
}
