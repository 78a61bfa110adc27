/**
 * Selection (DESIGN §6, issue 5 §1): experts score the champions of their categories, organisers read the
 * aggregates and confirm the winners.
 *
 * Who scores what: an expert scores a project when they hold the "expert" role, are assigned to the
 * project's category for its edition at the "selection" stage, the project is a champion of the edition's
 * LATEST tally run, and they have no conflict with it. Conflicts are automatic (the expert is a member of the
 * project's organisation) or declared by the expert with a reason; either way the project does not exist for
 * that expert (404, left out of every list and of every aggregate). A declared conflict is final: it deletes
 * the expert's score of that project.
 *
 * Editing window: an expert saves and revises their scores (drafts may be incomplete) while the selection
 * phase is open, until they submit the category; submission is refused while a champion they may score has
 * no complete score (nine criteria and a comment). After submission, or once the phase closes, the scores
 * are final, and after submitting the expert sees the other experts' submitted scores for that category.
 *
 * What the aggregates count (documented choice): FINAL scores only — complete scores of experts still
 * assigned and holding the role, with no conflict, who submitted the category or whose phase has closed.
 * Drafts change under the organisers' eyes, so they show as progress, not in the numbers. See normalise.ts
 * for the mean, the z-scores and the rankings.
 *
 * Winners: organisers confirm champions as winners from the moment selection opens (the aggregates are
 * there to help, not a precondition) until results are published (editions.results_published_at): one per
 * category, a further one only with an explicit override and a reason; a winner can be unconfirmed until
 * publication. Every change here is audit-logged in its transaction.
 */
import { sql } from "kysely";
import type { Db } from "../../db/client";
import { dialectOf } from "../../db/client";
import type { Criterion, Edition, SelectionScoresTable } from "../../db/schema";
import type { Selectable } from "kysely";
import {
  CRITERIA,
  MAX_COMMENT,
  MAX_REASON,
  SCORE_MAX,
  SCORE_MIN,
  byCriterion,
  type CriterionScores,
  type ScoreInput,
} from "../schemas/selection";
import { audit } from "./audit.server";
import {
  assignedCategoryIds,
  expertAssignments,
  setExpertCategories,
  type AssignOutcome,
  type ExpertRow,
} from "./experts.server";
import { aggregateScores, expertZScores, zKey, type ProjectAggregate } from "./normalise";
import { formatInstant } from "./phases";
import { scoringWindow, selectionPhaseOver, winnerWindow, type WindowState } from "./windows";
import { categoryById, listCategories, lockedEdition } from "./editions.server";
import { championsOf, latestTallyRun } from "./tally-runs.server";

type ScoreRow = Selectable<SelectionScoresTable>;

export const NOT_FOUND = "This project does not exist or is not one you score.";

/** Scores of one row by criterion. */
function scoresOf(row: ScoreRow): CriterionScores {
  return byCriterion((c) => row[`score_${c}`]);
}

/** True when every criterion is scored and the comment is written. */
export function isCompleteScore(row: Pick<ScoreRow, `score_${Criterion}` | "comment">): boolean {
  return CRITERIA.every((c) => row[`score_${c}`] !== null) && row.comment.trim() !== "";
}

/** The sum of the nine criteria (blank criteria count 0; only complete scores are ever totalled). */
function totalOf(row: Pick<ScoreRow, `score_${Criterion}`>): number {
  return CRITERIA.reduce((sum, c) => sum + (row[`score_${c}`] ?? 0), 0);
}

export type ScoreState = "none" | "draft" | "complete";

function stateOf(row: ScoreRow | undefined): ScoreState {
  if (!row) return "none";
  return isCompleteScore(row) ? "complete" : "draft";
}

// ------------------------------------------------------------------------------------------- look-ups --

/** PostgreSQL: serialise the writes of one expert in one category (save vs submit). SQLite runs one at a time. */
async function lockExpertCategory(trx: Db, editionId: number, categoryId: number, expertId: number) {
  if (dialectOf(trx) === "postgres") {
    await sql`select pg_advisory_xact_lock(hashtext(${`selection:${editionId}:${categoryId}:${expertId}`}))`.execute(
      trx,
    );
  }
}

async function holdsExpertRole(database: Db, userId: number): Promise<boolean> {
  const row = await database
    .selectFrom("user_roles")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("role", "=", "expert")
    .executeTakeFirst();
  return row !== undefined;
}

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

async function submissionOf(database: Db, editionId: number, categoryId: number, expertId: number) {
  return database
    .selectFrom("selection_submissions")
    .select("submitted_at")
    .where("edition_id", "=", editionId)
    .where("category_id", "=", categoryId)
    .where("expert_id", "=", expertId)
    .executeTakeFirst();
}

/** The project, its edition and its champion row when `expertId` may score it; null otherwise. */
async function scoringContext(database: Db, expertId: number, projectId: number) {
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

// ------------------------------------------------------------------------------------------ the expert --

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

export type FieldErrors = Partial<Record<string, string>>;

/** Server-side check of a score (the form schema says the same; the domain never trusts its caller). */
export function scoreErrors(input: ScoreInput, mode: "draft" | "save"): FieldErrors {
  const errors: FieldErrors = {};
  for (const c of CRITERIA) {
    const v = input.scores[c];
    if (v === null) {
      if (mode === "save") errors[`score_${c}`] = `Score this criterion from ${SCORE_MIN} to ${SCORE_MAX}.`;
    } else if (!Number.isInteger(v) || v < SCORE_MIN || v > SCORE_MAX) {
      errors[`score_${c}`] = `Give a whole number from ${SCORE_MIN} to ${SCORE_MAX}.`;
    }
  }
  if (input.comment.length > MAX_COMMENT)
    errors.comment = `Keep the comment under ${MAX_COMMENT} characters.`;
  else if (mode === "save" && input.comment.trim() === "") {
    errors.comment =
      "Write a short comment: it explains your scores to the other experts and the organisers.";
  }
  return errors;
}

export type ExpertOutcome<T = object> =
  ({ ok: true } & T) | { ok: false; status: 400 | 404 | 409; message: string; errors?: FieldErrors };

function refusedAfterSubmission(submittedAt: string, tz: string) {
  return {
    ok: false as const,
    status: 409 as const,
    message: `You submitted your scores for this category on ${formatInstant(submittedAt, tz)}: they are final.`,
  };
}

/**
 * Saves the expert's score of a project: "draft" keeps blanks (incomplete), "save" needs all nine criteria
 * and a comment. Refused (nothing written) without access, outside the window or after submission.
 * Audit-logged with the score before and after; saving the same score again writes nothing.
 */
export async function saveScore(
  database: Db,
  expertId: number,
  projectId: number,
  input: ScoreInput & { mode: "draft" | "save" },
  now: Date,
): Promise<ExpertOutcome<{ state: ScoreState; changed: boolean }>> {
  const errors = scoreErrors(input, input.mode);
  if (Object.keys(errors).length) {
    return { ok: false, status: 400, message: "Some scores need your attention.", errors };
  }
  return database
    .transaction()
    .execute(async (trx): Promise<ExpertOutcome<{ state: ScoreState; changed: boolean }>> => {
      const context = await scoringContext(trx, expertId, projectId);
      if (!context) return { ok: false, status: 404, message: NOT_FOUND };
      const { project, edition } = context;
      await lockExpertCategory(trx, edition.id, project.category_id, expertId);
      const window = scoringWindow(edition, now);
      if (!window.open) return { ok: false, status: 409, message: window.message };
      const submission = await submissionOf(trx, edition.id, project.category_id, expertId);
      if (submission) return refusedAfterSubmission(submission.submitted_at, edition.timezone);

      const before = await trx
        .selectFrom("selection_scores")
        .selectAll()
        .where("project_id", "=", projectId)
        .where("expert_id", "=", expertId)
        .executeTakeFirst();
      const comment = input.comment.trim();
      const columns = {
        score_compliance: input.scores.compliance,
        score_relevance: input.scores.relevance,
        score_impact: input.scores.impact,
        score_empowerment: input.scores.empowerment,
        score_sdgs: input.scores.sdgs,
        score_replication: input.scores.replication,
        score_sustainability: input.scores.sustainability,
        score_partnerships: input.scores.partnerships,
        score_values: input.scores.values,
        comment,
      };
      const after = { ...columns, updated_at: now.toISOString() };
      const state = isCompleteScore(columns) ? "complete" : "draft";
      if (
        before &&
        before.comment === comment &&
        CRITERIA.every((c) => before[`score_${c}`] === input.scores[c])
      ) {
        return { ok: true, state, changed: false };
      }
      await trx
        .insertInto("selection_scores")
        .values({ edition_id: edition.id, project_id: projectId, expert_id: expertId, ...after })
        .onConflict((oc) => oc.columns(["project_id", "expert_id"]).doUpdateSet(after))
        .execute();
      await audit(trx, {
        actorUserId: expertId,
        action: "selection.score.save",
        entity: "project",
        entityId: projectId,
        before: before ? { expertId, scores: scoresOf(before), comment: before.comment } : null,
        after: { expertId, scores: input.scores, comment, state },
        now,
      });
      return { ok: true, state, changed: true };
    });
}

/**
 * Declares a conflict of interest: the project leaves the expert's list and the aggregates for good, and any
 * score they gave it is deleted. Refused outside the window or after the category was submitted.
 */
export async function declareConflict(
  database: Db,
  expertId: number,
  projectId: number,
  reason: string,
  now: Date,
): Promise<ExpertOutcome<{ categoryCode: string }>> {
  const text = reason.trim();
  if (text.length < 3 || text.length > MAX_REASON) {
    return {
      ok: false,
      status: 400,
      message: "Give the reason for the conflict.",
      errors: { reason: "Say in a few words why you have a conflict of interest with this project." },
    };
  }
  return database.transaction().execute(async (trx): Promise<ExpertOutcome<{ categoryCode: string }>> => {
    const context = await scoringContext(trx, expertId, projectId);
    if (!context) return { ok: false, status: 404, message: NOT_FOUND };
    const { project, edition } = context;
    await lockExpertCategory(trx, edition.id, project.category_id, expertId);
    const window = scoringWindow(edition, now);
    if (!window.open) return { ok: false, status: 409, message: window.message };
    const submission = await submissionOf(trx, edition.id, project.category_id, expertId);
    if (submission) return refusedAfterSubmission(submission.submitted_at, edition.timezone);
    const score = await trx
      .selectFrom("selection_scores")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("expert_id", "=", expertId)
      .executeTakeFirst();
    await trx
      .insertInto("conflicts")
      .values({ project_id: projectId, expert_id: expertId, reason: text, declared_at: now.toISOString() })
      .onConflict((oc) => oc.columns(["project_id", "expert_id"]).doNothing())
      .execute();
    if (score) {
      await trx
        .deleteFrom("selection_scores")
        .where("project_id", "=", projectId)
        .where("expert_id", "=", expertId)
        .execute();
    }
    await audit(trx, {
      actorUserId: expertId,
      action: "selection.conflict.declare",
      entity: "project",
      entityId: projectId,
      before: score ? { expertId, scores: scoresOf(score), comment: score.comment } : null,
      after: { expertId, reason: text },
      now,
    });
    const category = await categoryById(trx, project.category_id);
    return { ok: true, categoryCode: category.code };
  });
}

/**
 * Submits the expert's scores for a category: from then on they are final and the expert sees the other
 * experts' submitted scores. Refused while a champion they may score lacks a complete score (the message
 * names them), outside the window, or twice.
 */
export async function submitCategory(
  database: Db,
  expertId: number,
  input: { editionId: number; categoryId: number },
  now: Date,
): Promise<
  ExpertOutcome<{ categoryCode: string; projects: number }> & {
    missing?: Array<{ id: number; title: string }>;
  }
> {
  return database.transaction().execute(async (trx) => {
    const notFound = {
      ok: false as const,
      status: 404 as const,
      message: "This category does not exist or is not one you score.",
    };
    const edition = await trx
      .selectFrom("editions")
      .selectAll()
      .where("id", "=", input.editionId)
      .executeTakeFirst();
    if (!edition) return notFound;
    if (!(await holdsExpertRole(trx, expertId))) return notFound;
    const assigned = await assignedCategoryIds(trx, expertId, edition.id, "selection");
    if (!assigned.includes(input.categoryId)) return notFound;
    await lockExpertCategory(trx, edition.id, input.categoryId, expertId);
    const category = await categoryById(trx, input.categoryId);
    const window = scoringWindow(edition, now);
    if (!window.open) return { ok: false as const, status: 409 as const, message: window.message };
    const submission = await submissionOf(trx, edition.id, category.id, expertId);
    if (submission) return refusedAfterSubmission(submission.submitted_at, edition.timezone);

    const champions = await championsOf(trx, edition.id, [category.id]);
    const conflicts = await conflictsAmong(
      trx,
      champions.map((c) => c.projectId),
      [expertId],
    );
    const mine = champions.filter((c) => !conflicts.has(zKey(expertId, c.projectId)));
    if (mine.length === 0) {
      return {
        ok: false as const,
        status: 409 as const,
        message: "There is no champion for you to score in this category, so there is nothing to submit.",
      };
    }
    const scores = await trx
      .selectFrom("selection_scores")
      .selectAll()
      .where("expert_id", "=", expertId)
      .where(
        "project_id",
        "in",
        mine.map((c) => c.projectId),
      )
      .execute();
    const missing = mine
      .filter((c) => {
        const row = scores.find((s) => s.project_id === c.projectId);
        return !row || !isCompleteScore(row);
      })
      .map((c) => ({ id: c.projectId, title: c.title }));
    if (missing.length) {
      return {
        ok: false as const,
        status: 409 as const,
        message: `Score every project completely (nine criteria and a comment) before submitting: ${missing.length} of ${mine.length} ${missing.length === 1 ? "is" : "are"} not complete yet.`,
        missing,
      };
    }
    await trx
      .insertInto("selection_submissions")
      .values({
        edition_id: edition.id,
        category_id: category.id,
        expert_id: expertId,
        submitted_at: now.toISOString(),
      })
      .execute();
    await audit(trx, {
      actorUserId: expertId,
      action: "selection.submit",
      entity: "category",
      entityId: category.id,
      after: {
        editionId: edition.id,
        category: category.code,
        expertId,
        projects: mine.map((c) => c.projectId),
      },
      now,
    });
    return { ok: true as const, categoryCode: category.code, projects: mine.length };
  });
}

// ---------------------------------------------------------------------------------------- organisers --

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

export type WinnerOutcome =
  | { ok: true; categoryCode: string }
  | { ok: false; status: 400 | 404 | 409; message: string; field?: "override" | "reason" };

/**
 * Confirms a champion as the winner of its category (audit-logged). A category with a winner takes a
 * further one only with `override` and a reason. Refused before selection opens and after publication.
 */
export async function confirmWinner(
  database: Db,
  actorUserId: number,
  input: { editionId: number; projectId: number; override: boolean; reason: string | null },
  now: Date,
): Promise<WinnerOutcome> {
  return database.transaction().execute(async (trx): Promise<WinnerOutcome> => {
    // PostgreSQL: the edition row lock serialises confirmations, so two organisers cannot both add the
    // "first" winner of a category.
    const edition = await lockedEdition(trx, input.editionId);
    if (!edition) return { ok: false, status: 404, message: "This edition does not exist." };
    const project = await trx
      .selectFrom("projects")
      .select(["id", "title", "category_id", "edition_id"])
      .where("id", "=", input.projectId)
      .executeTakeFirst();
    if (!project || project.edition_id !== edition.id)
      return { ok: false, status: 404, message: "This project does not exist in this edition." };
    const window = winnerWindow(edition, now);
    if (!window.open) return { ok: false, status: 409, message: window.message };
    const champion = (await championsOf(trx, edition.id, [project.category_id])).some(
      (c) => c.projectId === project.id,
    );
    if (!champion) {
      return {
        ok: false,
        status: 409,
        message: `“${project.title}” is not a champion of its category: only champions can win.`,
      };
    }
    const existing = await trx
      .selectFrom("winners as w")
      .innerJoin("projects as p", "p.id", "w.project_id")
      .select(["w.project_id", "p.title"])
      .where("w.edition_id", "=", edition.id)
      .where("w.category_id", "=", project.category_id)
      .execute();
    if (existing.some((w) => w.project_id === project.id)) {
      return { ok: false, status: 409, message: `“${project.title}” is already a winner.` };
    }
    const reason = input.reason?.trim() || null;
    if (existing.length > 0) {
      if (!input.override) {
        return {
          ok: false,
          status: 409,
          field: "override",
          message: `This category already has a winner (“${existing.map((w) => w.title).join("”, “")}”). Tick “override” and give a reason to confirm another one.`,
        };
      }
      if (!reason || reason.length < 3) {
        return {
          ok: false,
          status: 400,
          field: "reason",
          message: "Give the reason for a further winner in this category.",
        };
      }
      if (reason.length > MAX_REASON) {
        return {
          ok: false,
          status: 400,
          field: "reason",
          message: `Keep the reason under ${MAX_REASON} characters.`,
        };
      }
    }
    const row = {
      edition_id: edition.id,
      category_id: project.category_id,
      project_id: project.id,
      override_reason: existing.length > 0 ? reason : null,
      confirmed_by: actorUserId,
      confirmed_at: now.toISOString(),
    };
    await trx.insertInto("winners").values(row).execute();
    await audit(trx, {
      actorUserId,
      action: "selection.winner.confirm",
      entity: "project",
      entityId: project.id,
      before: null,
      after: row,
      now,
    });
    const category = await categoryById(trx, project.category_id);
    return { ok: true, categoryCode: category.code };
  });
}

/** Removes a confirmed winner (audit-logged with the row removed); refused once results are published. */
export async function unconfirmWinner(
  database: Db,
  actorUserId: number,
  input: { editionId: number; projectId: number },
  now: Date,
): Promise<WinnerOutcome> {
  return database.transaction().execute(async (trx): Promise<WinnerOutcome> => {
    const edition = await lockedEdition(trx, input.editionId);
    if (!edition) return { ok: false, status: 404, message: "This edition does not exist." };
    const row = await trx
      .selectFrom("winners")
      .selectAll()
      .where("edition_id", "=", edition.id)
      .where("project_id", "=", input.projectId)
      .executeTakeFirst();
    if (!row) return { ok: false, status: 404, message: "This project is not a confirmed winner." };
    if (edition.results_published_at !== null) {
      return {
        ok: false,
        status: 409,
        message: `The results were published on ${formatInstant(edition.results_published_at, edition.timezone)}: winners can no longer change.`,
      };
    }
    await trx
      .deleteFrom("winners")
      .where("edition_id", "=", edition.id)
      .where("project_id", "=", input.projectId)
      .execute();
    await audit(trx, {
      actorUserId,
      action: "selection.winner.unconfirm",
      entity: "project",
      entityId: input.projectId,
      before: row,
      after: null,
      now,
    });
    const category = await categoryById(trx, row.category_id);
    return { ok: true, categoryCode: category.code };
  });
}

// --------------------------------------------------------------------------------------- assignments --

/** A user who holds the expert role or is still assigned for selection, with their categories. */
export type SelectionExpertRow = ExpertRow;

/** Users holding the expert role, and anyone still assigned for selection in this edition, with their categories. */
export function selectionExperts(database: Db, editionId: number): Promise<SelectionExpertRow[]> {
  return expertAssignments(database, editionId, "selection");
}

/**
 * Sets the categories `userId` scores at the selection stage of an edition to exactly `categoryIds`,
 * audit-logged with the codes before and after (the nomination module's assignment rules, at stage
 * "selection"). Unassigned experts' scores stay stored but no longer count.
 */
export function setSelectionCategories(
  database: Db,
  actorUserId: number | null,
  input: { editionId: number; userId: number; categoryIds: readonly number[] },
  now: Date,
): Promise<AssignOutcome> {
  return setExpertCategories(database, actorUserId, { ...input, stage: "selection" }, now);
}
