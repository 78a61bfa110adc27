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
import { refuse, type Outcome } from "./outcome";
import { formatInstant } from "./phases";
import { championsOf } from "./tally-runs.server";
import { winnerWindow, windowRefusal } from "./windows";

export type WinnerOutcome = Outcome<{ categoryCode: string }>;

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
    if (!edition) return refuse("edition_not_found");
    const project = await trx
      .selectFrom("projects")
      .select(["id", "title", "category_id", "edition_id"])
      .where("id", "=", input.projectId)
      .executeTakeFirst();
    if (!project || project.edition_id !== edition.id) return refuse("project_not_in_edition");
    const window = winnerWindow(edition, now);
    if (!window.open) return windowRefusal(window);
    const champion = (await championsOf(trx, edition.id, [project.category_id])).some(
      (c) => c.projectId === project.id,
    );
    if (!champion) {
      return refuse("not_a_champion", { title: project.title });
    }
    const existing = await trx
      .selectFrom("winners as w")
      .innerJoin("projects as p", "p.id", "w.project_id")
      .select(["w.project_id", "p.title"])
      .where("w.edition_id", "=", edition.id)
      .where("w.category_id", "=", project.category_id)
      .execute();
    if (existing.some((w) => w.project_id === project.id)) {
      return refuse("already_a_winner", { title: project.title });
    }
    const reason = input.reason?.trim() || null;
    if (existing.length > 0) {
      if (!input.override) {
        return refuse(
          "category_has_winner",
          { winners: existing.map((w) => w.title).join("”, “") },
          "override",
        );
      }
      if (!reason || reason.length < 3) {
        return refuse("winner_reason_missing", undefined, "reason");
      }
      if (reason.length > MAX_REASON) {
        return refuse("winner_reason_too_long", { max: MAX_REASON }, "reason");
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
    if (!edition) return refuse("edition_not_found");
    const row = await trx
      .selectFrom("winners")
      .selectAll()
      .where("edition_id", "=", edition.id)
      .where("project_id", "=", input.projectId)
      .executeTakeFirst();
    if (!row) return refuse("winner_not_found");
    if (edition.results_published_at !== null) {
      return refuse("winners_published", {
        published: formatInstant(edition.results_published_at, edition.timezone),
      });
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
