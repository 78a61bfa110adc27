/**
 * An expert's scoring commands (DESIGN §6, issue 5 §1): saving a score, declaring a conflict, submitting a
 * category.
 *
 * Editing window: an expert saves and revises their scores (drafts may be incomplete) while the selection
 * phase is open (windows.ts), until they submit the category; submission is refused while a champion they may
 * score has no complete score (nine criteria and a comment). After submission, or once the phase closes, the
 * scores are final. A declared conflict is final: it deletes the expert's score of that project. Who may
 * score what: jury.server.ts.
 */
import { sql } from "kysely";
import type { Db } from "../../db/client";
import { dialectOf } from "../../db/client";
import { CRITERIA, MAX_REASON, type ScoreInput } from "../schemas/selection";
import { audit } from "./audit.server";
import { categoryById } from "./editions.server";
import { assignedCategoryIds, holdsExpertRole } from "./experts.server";
import { conflictsAmong, scoringContext, submissionOf } from "./jury.server";
import { zKey } from "./normalise";
import { refuse, type Outcome } from "./outcome";
import { formatInstant } from "./phases";
import { isCompleteScore, scoreErrors, scoresOf, type ScoreState } from "./scores";
import { championsOf } from "./tally-runs.server";
import { scoringWindow, windowRefusal } from "./windows";

/** PostgreSQL: serialise the writes of one expert in one category (save vs submit). SQLite runs one at a time. */
async function lockExpertCategory(trx: Db, editionId: number, categoryId: number, expertId: number) {
  if (dialectOf(trx) === "postgres") {
    await sql`select pg_advisory_xact_lock(hashtext(${`selection:${editionId}:${categoryId}:${expertId}`}))`.execute(
      trx,
    );
  }
}

export type ExpertOutcome<T extends object = object> = Outcome<T>;

function refusedAfterSubmission(submittedAt: string, tz: string) {
  return refuse("scores_submitted", { submitted: formatInstant(submittedAt, tz) });
}

/**
 * Within a transaction: the project the expert may still change their score of now (their category locked
 * until the transaction ends) with that score, if any; or the refusal (no access, window shut, submitted).
 */
async function openScore(trx: Db, expertId: number, projectId: number, now: Date) {
  const context = await scoringContext(trx, expertId, projectId);
  if (!context) return refuse("score_project_not_found");
  const { project, edition } = context;
  await lockExpertCategory(trx, edition.id, project.category_id, expertId);
  const window = scoringWindow(edition, now);
  if (!window.open) return windowRefusal(window);
  const submission = await submissionOf(trx, edition.id, project.category_id, expertId);
  if (submission) return refusedAfterSubmission(submission.submitted_at, edition.timezone);
  const score = await trx
    .selectFrom("selection_scores")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("expert_id", "=", expertId)
    .executeTakeFirst();
  return { ok: true as const, project, edition, score };
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
    return { ...refuse("scores_invalid"), errors };
  }
  return database
    .transaction()
    .execute(async (trx): Promise<ExpertOutcome<{ state: ScoreState; changed: boolean }>> => {
      const open = await openScore(trx, expertId, projectId, now);
      if (!open.ok) return open;
      const before = open.score;
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
        .values({ edition_id: open.edition.id, project_id: projectId, expert_id: expertId, ...after })
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
      ...refuse("conflict_reason_missing", undefined, "reason"),
      errors: { reason: "Say in a few words why you have a conflict of interest with this project." },
    };
  }
  return database.transaction().execute(async (trx): Promise<ExpertOutcome<{ categoryCode: string }>> => {
    const open = await openScore(trx, expertId, projectId, now);
    if (!open.ok) return open;
    const { project, score } = open;
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
    const notFound = refuse("score_category_not_found");
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
    if (!window.open) return windowRefusal(window);
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
      return refuse("nothing_to_score");
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
      return { ...refuse("scores_incomplete", { missing: missing.length, total: mine.length }), missing };
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
    return {
      ok: true as const,
      categoryCode: category.code,
      projects: mine.length,
    };
  });
}
