/**
 * Expert assignments (DESIGN §4, §6), shared by both stages: which categories an expert reviews at the
 * nomination stage and scores at the selection stage of an edition. Only users holding the expert role can be
 * assigned; anyone can be unassigned (a user who lost the role keeps their assignments until removed).
 */
import type { Db } from "../../db/client";
import type { ExpertStage } from "../../db/schema";
import { PERMISSIONS } from "../utils/permissions";
import { audit } from "./audit.server";
import { refuse, type Outcome } from "./outcome";

/** Category ids `userId` is assigned to at `stage` (the nomination unless said) of an edition. */
export async function assignedCategoryIds(
  database: Db,
  userId: number,
  editionId: number,
  stage: ExpertStage = "nomination",
): Promise<number[]> {
  const rows = await database
    .selectFrom("expert_assignments")
    .select("category_id")
    .where("edition_id", "=", editionId)
    .where("user_id", "=", userId)
    .where("stage", "=", stage)
    .execute();
  return rows.map((r) => r.category_id);
}

export interface ExpertRow {
  id: number;
  name: string;
  email: string;
  /** False when the user lost the expert role but still has assignments (they can only be removed). */
  isExpert: boolean;
  categoryIds: number[];
}

/** Users holding the expert role, and anyone still assigned in this edition, with their categories at `stage`. */
export async function expertAssignments(
  database: Db,
  editionId: number,
  stage: ExpertStage = "nomination",
): Promise<ExpertRow[]> {
  const [experts, assignments] = await Promise.all([
    database
      .selectFrom("users as u")
      .innerJoin("user_roles as r", "r.user_id", "u.id")
      .select(["u.id", "u.name", "u.email"])
      .where("r.role", "=", "expert")
      .execute(),
    database
      .selectFrom("expert_assignments as a")
      .innerJoin("users as u", "u.id", "a.user_id")
      .select(["u.id", "u.name", "u.email", "a.category_id"])
      .where("a.edition_id", "=", editionId)
      .where("a.stage", "=", stage)
      .execute(),
  ]);
  const rows = new Map<number, ExpertRow>();
  for (const e of experts)
    rows.set(e.id, { id: e.id, name: e.name, email: e.email, isExpert: true, categoryIds: [] });
  for (const a of assignments) {
    let row = rows.get(a.id);
    if (!row) {
      row = { id: a.id, name: a.name, email: a.email, isExpert: false, categoryIds: [] };
      rows.set(a.id, row);
    }
    row.categoryIds.push(a.category_id);
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
}

export type AssignOutcome = Outcome<{ added: string[]; removed: string[] }>;

/**
 * Sets the categories `userId` reviews at `stage` (nomination by default) of an edition to exactly `categoryIds`
 * (assigning and unassigning in one go), audit-logged with the codes before and after. Only users holding
 * the expert role can be assigned; anyone can be unassigned.
 */
export async function setExpertCategories(
  database: Db,
  actorUserId: number | null,
  input: { editionId: number; userId: number; categoryIds: readonly number[]; stage?: ExpertStage },
  now: Date,
): Promise<AssignOutcome> {
  const stage = input.stage ?? "nomination";
  return database.transaction().execute(async (trx): Promise<AssignOutcome> => {
    const edition = await trx
      .selectFrom("editions")
      .select("id")
      .where("id", "=", input.editionId)
      .executeTakeFirst();
    if (!edition) return refuse("edition_not_found");
    const user = await trx
      .selectFrom("users")
      .select(["id", "name"])
      .where("id", "=", input.userId)
      .executeTakeFirst();
    if (!user) return refuse("user_not_found");
    const categories = await trx
      .selectFrom("categories")
      .select(["id", "code"])
      .orderBy("position")
      .execute();
    const codeOf = new Map(categories.map((c) => [c.id, c.code]));
    const wanted = new Set(input.categoryIds);
    for (const id of wanted) if (!codeOf.has(id)) return refuse("category_unknown");

    const current = new Set(await assignedCategoryIds(trx, input.userId, input.editionId, stage));
    const added = [...wanted].filter((id) => !current.has(id));
    const removed = [...current].filter((id) => !wanted.has(id));
    if (added.length) {
      const role = await trx
        .selectFrom("user_roles")
        .select("role")
        .where("user_id", "=", input.userId)
        .where("role", "=", "expert")
        .executeTakeFirst();
      if (!role) {
        return refuse("not_an_expert", { name: user.name });
      }
      await trx
        .insertInto("expert_assignments")
        .values(
          added.map((categoryId) => ({
            edition_id: input.editionId,
            user_id: input.userId,
            category_id: categoryId,
            stage,
            created_at: now.toISOString(),
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    if (removed.length) {
      await trx
        .deleteFrom("expert_assignments")
        .where("edition_id", "=", input.editionId)
        .where("user_id", "=", input.userId)
        .where("stage", "=", stage)
        .where("category_id", "in", removed)
        .execute();
    }
    const codes = (ids: Iterable<number>) =>
      categories.filter((c) => [...ids].includes(c.id)).map((c) => c.code);
    if (added.length || removed.length) {
      await audit(trx, {
        actorUserId,
        action: "expert_assignment.update",
        entity: "user",
        entityId: input.userId,
        before: { editionId: input.editionId, stage, categories: codes(current) },
        after: { editionId: input.editionId, stage, categories: codes(wanted) },
        now,
      });
    }
    return { ok: true, added: codes(added), removed: codes(removed) };
  });
}

/** True when `userId` holds the expert role: a role that may score assigned projects (the permission table). */
export async function holdsExpertRole(database: Db, userId: number): Promise<boolean> {
  const row = await database
    .selectFrom("user_roles")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("role", "in", PERMISSIONS["project:score:assigned"])
    .executeTakeFirst();
  return row !== undefined;
}

/** A user who holds the expert role or is still assigned for selection, with their categories. */
export type SelectionExpertRow = ExpertRow;

/** Users holding the expert role, and anyone still assigned for selection in this edition, with their categories. */
export function selectionExperts(database: Db, editionId: number): Promise<SelectionExpertRow[]> {
  return expertAssignments(database, editionId, "selection");
}

/**
 * Sets the categories `userId` scores at the selection stage of an edition to exactly `categoryIds`,
 * audit-logged with the codes before and after (setExpertCategories at stage "selection"). Unassigned
 * experts' scores stay stored but no longer count.
 */
export function setSelectionCategories(
  database: Db,
  actorUserId: number | null,
  input: { editionId: number; userId: number; categoryIds: readonly number[] },
  now: Date,
): Promise<AssignOutcome> {
  return setExpertCategories(database, actorUserId, { ...input, stage: "selection" }, now);
}
