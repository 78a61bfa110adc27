/**
 * Winner confirmation (DESIGN §6, issue 5 §1): organisers confirm champions as winners from the moment
 * selection opens (the aggregates are there to help, not a precondition) until results are published
 * (editions.results_published_at): one per category, a further one only with an explicit override and a
 * reason; a winner can be unconfirmed until publication. Every change is audit-logged in its transaction.
 */
import type { Db } from "../../db/client";
import { MAX_REASON } from "../schemas/selection";
import { audit } from "./audit.server";
import { categoryById, lockedEdition } from "./editions.server";
import { formatInstant } from "./phases";
import { championsOf } from "./tally-runs.server";
import { winnerWindow } from "./windows";

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
