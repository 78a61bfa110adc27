/**
 * The nomination review (DESIGN §4, issue 3 §3): who reviews what, and the review queue.
 *
 * Organisers review every category, experts the categories assigned to them at the nomination stage
 * (experts.server.ts). Conflicts: nobody decides a project of an organisation they are a member of. For an
 * expert such a project does not exist (hidden from the queue, 404); an organiser sees it (they see
 * everything) but cannot decide. Decisions themselves: decisions.server.ts; when they may be made: windows.ts.
 */
import type { Db } from "../../db/client";
import type { Decision, RejectReason, Role } from "../../db/schema";
import { QUEUE_PAGE_SIZE, type QueueFilter } from "../schemas/nomination";
import { can } from "../utils/permissions";
import { listCategories } from "./editions.server";
import { assignedCategoryIds } from "./experts.server";

/** Who reviews: organisers see every category, experts only the categories assigned to them. */
export interface Reviewer {
  userId: number;
  organiser: boolean;
}

/** The reviewer behind a set of roles, or null when the roles allow no review at all. */
export function reviewerFrom(userId: number, roles: readonly Role[]): Reviewer | null {
  if (can(roles, "nomination:manage")) return { userId, organiser: true };
  if (can(roles, "project:review:assigned")) return { userId, organiser: false };
  return null;
}

/**
 * Submitted projects of an edition that `reviewer` may review: their categories (all for organisers), never
 * a project of one of their own organisations.
 */
function reviewable(database: Db, reviewer: Reviewer, editionId: number) {
  return database
    .selectFrom("projects as p")
    .innerJoin("categories as c", "c.id", "p.category_id")
    .leftJoin("nomination_decisions as d", "d.project_id", "p.id")
    .where("p.edition_id", "=", editionId)
    .where("p.status", "=", "submitted")
    .where(
      "p.organisation_id",
      "not in",
      database
        .selectFrom("organisation_members")
        .select("organisation_id")
        .where("user_id", "=", reviewer.userId),
    )
    .$if(!reviewer.organiser, (qb) =>
      qb.where(
        "p.category_id",
        "in",
        database
          .selectFrom("expert_assignments")
          .select("category_id")
          .where("edition_id", "=", editionId)
          .where("user_id", "=", reviewer.userId)
          .where("stage", "=", "nomination"),
      ),
    );
}

export interface QueueCategory {
  id: number;
  code: string;
  name: string;
  total: number;
  decided: number;
  todo: number;
}

export interface QueueRow {
  id: number;
  title: string;
  organisation: string;
  country: string;
  categoryCode: string;
  submittedAt: string | null;
  decision: Decision | null;
  reason: RejectReason | null;
  nearDuplicateFlags: number;
  previousWinnerFlags: number;
}

export interface ReviewQueue {
  categories: QueueCategory[];
  /** The category the list is narrowed to, or null for all of the reviewer's categories. */
  category: string | null;
  show: QueueFilter;
  rows: QueueRow[];
  total: number;
  page: number;
  pageCount: number;
}

/**
 * The review queue: the reviewer's categories with decided / to-do counts, and one page of projects,
 * optionally narrowed to one category and to decided or undecided projects.
 */
export async function reviewQueue(
  database: Db,
  reviewer: Reviewer,
  editionId: number,
  query: { category?: string; show: QueueFilter; page: number },
): Promise<ReviewQueue> {
  const allCategories = await listCategories(database);
  const assigned = reviewer.organiser
    ? null
    : new Set(await assignedCategoryIds(database, reviewer.userId, editionId));
  const mine = allCategories.filter((c) => assigned === null || assigned.has(c.id));

  const counts = await reviewable(database, reviewer, editionId)
    .select((eb) => [
      "p.category_id",
      eb.fn.count<number>("p.id").as("total"),
      eb.fn.count<number>("d.project_id").as("decided"),
    ])
    .groupBy("p.category_id")
    .execute();
  const byCategory = new Map(counts.map((r) => [r.category_id, r]));
  const categories = mine.map((c) => {
    const row = byCategory.get(c.id);
    const total = Number(row?.total ?? 0);
    const decided = Number(row?.decided ?? 0);
    return { id: c.id, code: c.code, name: c.name, total, decided, todo: total - decided };
  });

  const chosen = query.category ? (categories.find((c) => c.code === query.category) ?? null) : null;
  const filtered = reviewable(database, reviewer, editionId)
    .$if(chosen !== null, (qb) => qb.where("p.category_id", "=", chosen?.id ?? 0))
    .$if(query.show === "undecided", (qb) => qb.where("d.project_id", "is", null))
    .$if(query.show === "decided", (qb) => qb.where("d.project_id", "is not", null));

  const totalRow = await filtered.select((eb) => eb.fn.count<number>("p.id").as("n")).executeTakeFirst();
  const total = Number(totalRow?.n ?? 0);
  const pageCount = Math.max(1, Math.ceil(total / QUEUE_PAGE_SIZE));
  const page = Math.min(query.page, pageCount);
  const rows = await filtered
    .innerJoin("organisations as o", "o.id", "p.organisation_id")
    .select([
      "p.id",
      "p.title",
      "p.country",
      "p.submitted_at",
      "c.code",
      "o.name as organisation",
      "d.decision",
      "d.reason",
    ])
    .orderBy("c.position")
    .orderBy("p.id")
    .limit(QUEUE_PAGE_SIZE)
    .offset((page - 1) * QUEUE_PAGE_SIZE)
    .execute();

  const flags = rows.length
    ? await database
        .selectFrom("project_flags")
        .select((eb) => ["project_id", "kind", eb.fn.count<number>("id").as("n")])
        .where(
          "project_id",
          "in",
          rows.map((r) => r.id),
        )
        .groupBy(["project_id", "kind"])
        .execute()
    : [];
  const flagCount = (projectId: number, kind: "near_duplicate" | "previous_winner") =>
    Number(flags.find((f) => f.project_id === projectId && f.kind === kind)?.n ?? 0);

  return {
    categories,
    category: chosen?.code ?? null,
    show: query.show,
    total,
    page,
    pageCount,
    rows: rows.map((r) => ({
      id: r.id,
      title: r.title,
      organisation: r.organisation,
      country: r.country,
      categoryCode: r.code,
      submittedAt: r.submitted_at,
      decision: r.decision,
      reason: r.reason,
      nearDuplicateFlags: flagCount(r.id, "near_duplicate"),
      previousWinnerFlags: flagCount(r.id, "previous_winner"),
    })),
  };
}

export type Access = "ok" | "conflict" | "none";

/** How `reviewer` stands towards a submitted project: may decide it, sees it but conflicts, or has no access. */
export async function accessTo(
  database: Db,
  reviewer: Reviewer,
  project: { edition_id: number; category_id: number; organisation_id: number },
): Promise<Access> {
  const member = await database
    .selectFrom("organisation_members")
    .select("user_id")
    .where("user_id", "=", reviewer.userId)
    .where("organisation_id", "=", project.organisation_id)
    .executeTakeFirst();
  if (reviewer.organiser) return member ? "conflict" : "ok";
  if (member) return "none";
  const assigned = await database
    .selectFrom("expert_assignments")
    .select("user_id")
    .where("edition_id", "=", project.edition_id)
    .where("user_id", "=", reviewer.userId)
    .where("category_id", "=", project.category_id)
    .where("stage", "=", "nomination")
    .executeTakeFirst();
  return assigned ? "ok" : "none";
}

/**
 * How `reviewer` stands towards project `projectId`: "ok" (may decide), "conflict" (an organiser who is a
 * member of its organisation: sees it, cannot decide) or "none" (missing, not submitted, or not theirs to see).
 */
export async function reviewAccess(database: Db, reviewer: Reviewer, projectId: number): Promise<Access> {
  const project = await database
    .selectFrom("projects")
    .select(["status", "edition_id", "category_id", "organisation_id"])
    .where("id", "=", projectId)
    .executeTakeFirst();
  if (!project || project.status !== "submitted") return "none";
  return accessTo(database, reviewer, project);
}

/** The next undecided project in the reviewer's queue after `afterProjectId` (same category first), or null. */
export async function nextUndecided(
  database: Db,
  reviewer: Reviewer,
  editionId: number,
  current: { id: number; categoryId: number },
): Promise<number | null> {
  const base = () =>
    reviewable(database, reviewer, editionId)
      .where("d.project_id", "is", null)
      .where("p.id", "<>", current.id)
      .select("p.id");
  const same = await base()
    .where("p.category_id", "=", current.categoryId)
    .orderBy("p.id")
    .limit(1)
    .executeTakeFirst();
  if (same) return same.id;
  const any = await base().orderBy("c.position").orderBy("p.id").limit(1).executeTakeFirst();
  return any?.id ?? null;
}
