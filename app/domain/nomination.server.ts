/**
 * Nomination (DESIGN §4, issue 3 §3): expert assignments, the review queue, decisions and the publication
 * of the nominee list.
 *
 * Decision window (documented choice): a project can be decided from the instant submission closes (before
 * that it may still change) until the nominee list is published (publication freezes every decision). On
 * top of that, experts decide only until the nomination phase closes — phase 2 is their working time —
 * while organisers may still record or correct decisions after it closes, up to publication, so that a
 * late category never blocks the vote.
 *
 * Conflicts: nobody decides a project of an organisation they are a member of. For an expert such a project
 * does not exist (hidden from the queue, 404); an organiser sees it (they see everything) but cannot decide.
 *
 * Publication (documented choice): refused while some submitted projects have no decision, unless the
 * organiser ticks "publish anyway": undecided projects then count as not nominated (no decision is
 * invented for them; the email carries no reason).
 */
import type { Db } from "../../db/client";
import { dialectOf } from "../../db/client";
import type { Decision, Edition, ExpertStage, RejectReason, Role } from "../../db/schema";
import { nominationResult } from "../../emails/templates/nomination-result";
import {
  REJECT_REASON_LABELS,
  QUEUE_PAGE_SIZE,
  type DecisionInput,
  type QueueFilter,
} from "../schemas/nomination";
import { z } from "zod";
import { env } from "../utils/env.server";
import { can } from "../utils/permissions";
import { audit } from "./audit.server";
import { dispatchOutbox, queueEmail } from "./outbox.server";
import { formatInstant } from "./phases";
import { decisionWindow } from "./windows";
import { categoryById, listCategories, lockedEdition, stampPublication } from "./editions.server";

/** Who reviews: organisers see every category, experts only the categories assigned to them. */
export interface Reviewer {
  userId: number;
  organiser: boolean;
}

/** The reviewer behind a set of roles, or null when the roles allow no review at all. */
export function reviewerFrom(userId: number, roles: readonly Role[]): Reviewer | null {
  if (can(roles, "edition:manage")) return { userId, organiser: true };
  if (can(roles, "project:review:assigned")) return { userId, organiser: false };
  return null;
}

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
async function accessTo(
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

const NOT_FOUND = "This project does not exist or is not in your review queue.";
const CONFLICT =
  "You are a member of this project’s organisation, so you cannot decide it: another organiser or an assigned expert must.";

/** A decision as stored in nomination_decisions and in audit before/after snapshots. */
export interface DecisionSnapshot {
  decision: Decision;
  reason: RejectReason | null;
  reason_text: string | null;
  decided_by: number | null;
  decided_at: string;
}

const SnapshotSchema = z.object({
  decision: z.enum(["nominate", "reject"]),
  reason: z
    .enum(["incomplete", "out_of_scope", "not_implemented", "duplicate", "previous_winner", "other"])
    .nullable(),
  reason_text: z.string().nullable(),
  decided_by: z.number().nullable(),
  decided_at: z.string(),
});

function parseSnapshot(json: string | null): DecisionSnapshot | null {
  if (json === null) return null;
  try {
    const parsed = SnapshotSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface FlagView {
  kind: "near_duplicate" | "previous_winner";
  score: number;
  match: {
    id: number;
    title: string;
    organisation: string;
    categoryCode: string;
    year: number;
    status: string;
    shortDescription: string;
    /** Where the reviewer can open the matched project, or null when no page of it is open to them. */
    href: string | null;
    /** Earlier award of the match ("winner" / "champion"), if any. */
    award: string | null;
  } | null;
}

export interface HistoryEntry {
  at: string;
  by: string | null;
  before: DecisionSnapshot | null;
  after: DecisionSnapshot | null;
}

/** Everything the review page shows about one project, once access is granted. */
export async function projectForReview(database: Db, reviewer: Reviewer, projectId: number, now: Date) {
  const project = await database
    .selectFrom("projects")
    .selectAll()
    .where("id", "=", projectId)
    .executeTakeFirst();
  if (!project || project.status !== "submitted")
    return { ok: false as const, status: 404 as const, message: NOT_FOUND };
  const access = await accessTo(database, reviewer, project);
  if (access === "none") return { ok: false as const, status: 404 as const, message: NOT_FOUND };

  const [edition, category, organisation, decision] = await Promise.all([
    database
      .selectFrom("editions")
      .selectAll()
      .where("id", "=", project.edition_id)
      .executeTakeFirstOrThrow(),
    categoryById(database, project.category_id),
    database
      .selectFrom("organisations")
      .select(["id", "name", "stakeholder_type", "country", "region", "website", "contact_name"])
      .where("id", "=", project.organisation_id)
      .executeTakeFirstOrThrow(),
    database
      .selectFrom("nomination_decisions as d")
      .leftJoin("users as u", "u.id", "d.decided_by")
      .select(["d.decision", "d.reason", "d.reason_text", "d.decided_at", "u.name as decided_by_name"])
      .where("d.project_id", "=", projectId)
      .executeTakeFirst(),
  ]);

  const flagRows = await database
    .selectFrom("project_flags as f")
    .leftJoin("projects as m", "m.id", "f.match_project_id")
    .leftJoin("organisations as mo", "mo.id", "m.organisation_id")
    .leftJoin("categories as mc", "mc.id", "m.category_id")
    .leftJoin("editions as me", "me.id", "m.edition_id")
    .leftJoin("nomination_decisions as md", "md.project_id", "m.id")
    .select([
      "f.kind",
      "f.score",
      "m.id as match_id",
      "m.title as match_title",
      "m.status as match_status",
      "m.short_description as match_description",
      "m.edition_id as match_edition_id",
      "m.category_id as match_category_id",
      "m.organisation_id as match_organisation_id",
      "mo.name as match_organisation",
      "mc.code as match_category",
      "me.year as match_year",
      "me.nominees_published_at as match_published_at",
      "md.decision as match_decision",
    ])
    .where("f.project_id", "=", projectId)
    .orderBy("f.kind")
    .orderBy("f.score", "desc")
    .execute();
  const matchIds = flagRows.flatMap((f) => (f.match_id === null ? [] : [f.match_id]));
  const awards = matchIds.length
    ? await database
        .selectFrom("awards")
        .select(["project_id", "kind"])
        .where("project_id", "in", matchIds)
        .execute()
    : [];

  const flags: FlagView[] = [];
  for (const f of flagRows) {
    if (
      f.match_id === null ||
      f.match_title === null ||
      f.match_edition_id === null ||
      f.match_category_id === null ||
      f.match_organisation_id === null
    ) {
      flags.push({ kind: f.kind, score: f.score, match: null });
      continue;
    }
    const award =
      awards.find((a) => a.project_id === f.match_id && a.kind === "winner") ??
      awards.find((a) => a.project_id === f.match_id);
    const isPublic =
      f.match_status === "submitted" &&
      f.match_decision === "nominate" &&
      f.match_published_at !== null &&
      f.match_published_at <= now.toISOString();
    const matchAccess =
      f.match_status === "submitted"
        ? await accessTo(database, reviewer, {
            edition_id: f.match_edition_id,
            category_id: f.match_category_id,
            organisation_id: f.match_organisation_id,
          })
        : "none";
    flags.push({
      kind: f.kind,
      score: f.score,
      match: {
        id: f.match_id,
        title: f.match_title,
        organisation: f.match_organisation ?? "",
        categoryCode: f.match_category ?? "",
        year: f.match_year ?? 0,
        status: f.match_status ?? "",
        shortDescription: f.match_description ?? "",
        href: matchAccess !== "none" ? `/review/${f.match_id}` : isPublic ? `/projects/${f.match_id}` : null,
        award: award?.kind ?? null,
      },
    });
  }

  const historyRows = await database
    .selectFrom("audit_log as a")
    .leftJoin("users as u", "u.id", "a.actor_user_id")
    .select(["a.created_at", "a.before_json", "a.after_json", "u.name"])
    .where("a.action", "=", "nomination.decide")
    .where("a.entity", "=", "project")
    .where("a.entity_id", "=", String(projectId))
    .orderBy("a.id", "desc")
    .limit(50)
    .execute();
  const history: HistoryEntry[] = historyRows.map((h) => ({
    at: h.created_at,
    by: h.name,
    before: parseSnapshot(h.before_json),
    after: parseSnapshot(h.after_json),
  }));

  return {
    ok: true as const,
    conflict: access === "conflict",
    window: decisionWindow(edition, reviewer, now),
    project,
    edition,
    category,
    organisation,
    decision: decision ?? null,
    flags,
    history,
  };
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

export type DecideOutcome =
  | { ok: true; changed: boolean; categoryCode: string }
  | { ok: false; status: 400 | 403 | 404 | 409; message: string; field?: "reason" | "reason_text" };

/**
 * Records (or changes) the decision on a project: upsert of nomination_decisions and an audit entry with
 * the decision before and after, in one transaction. Refused (nothing written) without access, for a
 * conflict, outside the decision window, or after publication. Repeating the current decision writes nothing.
 */
export async function decide(
  database: Db,
  reviewer: Reviewer,
  projectId: number,
  input: DecisionInput,
  now: Date,
): Promise<DecideOutcome> {
  if (input.decision === "reject" && input.reason === "other" && !input.reasonText?.trim()) {
    return { ok: false, status: 400, message: "Explain the reason in a few words.", field: "reason_text" };
  }
  const pg = dialectOf(database) === "postgres";
  return database.transaction().execute(async (trx): Promise<DecideOutcome> => {
    // PostgreSQL: lock the project (two reviewers deciding at once record a true "before") and share-lock
    // the edition, so publication waits for this decision or this decision sees the publication.
    const project = await trx
      .selectFrom("projects")
      .select(["id", "status", "edition_id", "category_id", "organisation_id"])
      .where("id", "=", projectId)
      .$if(pg, (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (!project || project.status !== "submitted") return { ok: false, status: 404, message: NOT_FOUND };
    const access = await accessTo(trx, reviewer, project);
    if (access === "none") return { ok: false, status: 404, message: NOT_FOUND };
    if (access === "conflict") return { ok: false, status: 403, message: CONFLICT };
    const edition = await trx
      .selectFrom("editions")
      .selectAll()
      .where("id", "=", project.edition_id)
      .$if(pg, (qb) => qb.forShare())
      .executeTakeFirstOrThrow();
    const window = decisionWindow(edition, reviewer, now);
    if (!window.open) return { ok: false, status: 409, message: window.message };

    const category = await categoryById(trx, project.category_id);
    const before = await trx
      .selectFrom("nomination_decisions")
      .select(["decision", "reason", "reason_text", "decided_by", "decided_at"])
      .where("project_id", "=", projectId)
      .executeTakeFirst();
    const after: DecisionSnapshot = {
      decision: input.decision,
      reason: input.decision === "reject" ? input.reason : null,
      reason_text:
        input.decision === "reject" && input.reason === "other" ? (input.reasonText?.trim() ?? null) : null,
      decided_by: reviewer.userId,
      decided_at: now.toISOString(),
    };
    if (
      before &&
      before.decision === after.decision &&
      before.reason === after.reason &&
      before.reason_text === after.reason_text
    ) {
      return { ok: true, changed: false, categoryCode: category.code };
    }
    await trx
      .insertInto("nomination_decisions")
      .values({ project_id: projectId, ...after })
      .onConflict((oc) =>
        oc.column("project_id").doUpdateSet({
          decision: after.decision,
          reason: after.reason,
          reason_text: after.reason_text,
          decided_by: after.decided_by,
          decided_at: after.decided_at,
        }),
      )
      .execute();
    await audit(trx, {
      actorUserId: reviewer.userId,
      action: "nomination.decide",
      entity: "project",
      entityId: projectId,
      before: before ?? undefined,
      after,
      now,
    });
    return { ok: true, changed: true, categoryCode: category.code };
  });
}

export interface CategoryProgress {
  id: number;
  code: string;
  name: string;
  submitted: number;
  nominated: number;
  rejected: number;
  undecided: number;
  experts: number;
}

/** Progress per category for organisers: submitted projects, decided (nominated / rejected), to do, experts. */
export async function nominationProgress(
  database: Db,
  editionId: number,
): Promise<{ categories: CategoryProgress[]; totals: Omit<CategoryProgress, "id" | "code" | "name"> }> {
  const [categories, counts, experts] = await Promise.all([
    listCategories(database),
    database
      .selectFrom("projects as p")
      .leftJoin("nomination_decisions as d", "d.project_id", "p.id")
      .select((eb) => [
        "p.category_id",
        eb.fn.count<number>("p.id").as("submitted"),
        eb.fn
          .sum<number>(eb.case().when("d.decision", "=", "nominate").then(1).else(0).end())
          .as("nominated"),
        eb.fn.sum<number>(eb.case().when("d.decision", "=", "reject").then(1).else(0).end()).as("rejected"),
      ])
      .where("p.edition_id", "=", editionId)
      .where("p.status", "=", "submitted")
      .groupBy("p.category_id")
      .execute(),
    database
      .selectFrom("expert_assignments")
      .select((eb) => ["category_id", eb.fn.count<number>("user_id").as("n")])
      .where("edition_id", "=", editionId)
      .where("stage", "=", "nomination")
      .groupBy("category_id")
      .execute(),
  ]);
  const rows = categories.map((c) => {
    const row = counts.find((r) => r.category_id === c.id);
    const submitted = Number(row?.submitted ?? 0);
    const nominated = Number(row?.nominated ?? 0);
    const rejected = Number(row?.rejected ?? 0);
    return {
      id: c.id,
      code: c.code,
      name: c.name,
      submitted,
      nominated,
      rejected,
      undecided: submitted - nominated - rejected,
      experts: Number(experts.find((e) => e.category_id === c.id)?.n ?? 0),
    };
  });
  const sum = (k: "submitted" | "nominated" | "rejected" | "undecided" | "experts") =>
    rows.reduce((acc, r) => acc + r[k], 0);
  return {
    categories: rows,
    totals: {
      submitted: sum("submitted"),
      nominated: sum("nominated"),
      rejected: sum("rejected"),
      undecided: sum("undecided"),
      experts: sum("experts"),
    },
  };
}

export interface PublicationInfo {
  publishedAt: string;
  publishedBy: string | null;
  emails: { queued: number; sent: number; failed: number };
}

const resultKey = (projectId: number) => `nomination_result:${projectId}`;

/** When and by whom the nominee list was published, and how its emails are doing; null if not published. */
export async function publicationInfo(database: Db, edition: Edition): Promise<PublicationInfo | null> {
  if (edition.nominees_published_at === null) return null;
  const entry = await database
    .selectFrom("audit_log as a")
    .leftJoin("users as u", "u.id", "a.actor_user_id")
    .select(["u.name"])
    .where("a.action", "=", "nomination.publish")
    .where("a.entity", "=", "edition")
    .where("a.entity_id", "=", String(edition.id))
    .orderBy("a.id", "desc")
    .executeTakeFirst();
  const projects = await database
    .selectFrom("projects")
    .select("id")
    .where("edition_id", "=", edition.id)
    .execute();
  const emails = { queued: 0, sent: 0, failed: 0 };
  const keys = projects.map((p) => resultKey(p.id));
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await database
      .selectFrom("outbox")
      .select((eb) => ["status", eb.fn.count<number>("id").as("n")])
      .where("idempotency_key", "in", keys.slice(i, i + 500))
      .groupBy("status")
      .execute();
    for (const r of rows) emails[r.status] += Number(r.n);
  }
  return { publishedAt: edition.nominees_published_at, publishedBy: entry?.name ?? null, emails };
}

export type PublishOutcome =
  | { ok: true; nominated: number; notNominated: number; undecided: number; emails: number }
  | { ok: false; status: 404 | 409; message: string; field?: "includeUndecided" };

/**
 * Publishes the nominee list of an edition in one transaction: sets editions.nominees_published_at (only if
 * still unset — the database decides under concurrency), writes one nominated / not-nominated email per
 * submitted project to its organisation's contact (idempotency key nomination_result:<projectId>, so never
 * twice), audit-logged; then dispatches the emails after the commit.
 */
export async function publishNominees(
  database: Db,
  actorUserId: number | null,
  input: { editionId: number; includeUndecided: boolean },
  now: Date,
  options: { dispatch?: (ids: ReadonlyArray<number | null>) => Promise<void>; appUrl?: string } = {},
): Promise<PublishOutcome> {
  const appUrl = options.appUrl ?? env().APP_URL;
  const result = await database.transaction().execute(async (trx) => {
    const edition = await lockedEdition(trx, input.editionId);
    if (!edition)
      return { ok: false as const, status: 404 as const, message: "This edition does not exist." };
    const tz = edition.timezone;
    if (edition.nominees_published_at !== null) {
      return {
        ok: false as const,
        status: 409 as const,
        message: `The nominee list of ${edition.name} was already published on ${formatInstant(edition.nominees_published_at, tz)}. Nothing was sent again.`,
      };
    }
    if (now.getTime() < new Date(edition.submission_closes_at).getTime()) {
      return {
        ok: false as const,
        status: 409 as const,
        message: `Submission is open until ${formatInstant(edition.submission_closes_at, tz)}: the nominee list can be published after that.`,
      };
    }
    const projects = await trx
      .selectFrom("projects as p")
      .innerJoin("organisations as o", "o.id", "p.organisation_id")
      .innerJoin("categories as c", "c.id", "p.category_id")
      .leftJoin("nomination_decisions as d", "d.project_id", "p.id")
      .select([
        "p.id",
        "p.title",
        "o.name as organisation",
        "o.contact_name",
        "o.contact_email",
        "c.code",
        "c.name as category",
        "d.decision",
        "d.reason",
        "d.reason_text",
      ])
      .where("p.edition_id", "=", edition.id)
      .where("p.status", "=", "submitted")
      .orderBy("p.id")
      .execute();
    const undecided = projects.filter((p) => p.decision === null).length;
    if (undecided > 0 && !input.includeUndecided) {
      return {
        ok: false as const,
        status: 409 as const,
        field: "includeUndecided" as const,
        message: `${undecided} submitted ${undecided === 1 ? "project has" : "projects have"} no decision yet. Wait for the experts, or tick “publish anyway” to count ${undecided === 1 ? "it" : "them"} as not nominated.`,
      };
    }
    if (!(await stampPublication(trx, edition.id, "nominees_published_at", now))) {
      return {
        ok: false as const,
        status: 409 as const,
        message: "The nominee list was already published. Nothing was sent again.",
      };
    }

    const votingOpens = formatInstant(edition.voting_opens_at, tz);
    const ids: Array<number | null> = [];
    let nominated = 0;
    for (const p of projects) {
      const isNominee = p.decision === "nominate";
      if (isNominee) nominated++;
      const reason =
        p.decision === "reject" && p.reason
          ? p.reason === "other" && p.reason_text
            ? p.reason_text
            : REJECT_REASON_LABELS[p.reason]
          : null;
      const content = nominationResult({
        nominated: isNominee,
        contactName: p.contact_name,
        organisationName: p.organisation,
        projectTitle: p.title,
        categoryCode: p.code,
        categoryName: p.category,
        editionName: edition.name,
        reason,
        votingOpens,
        url: isNominee ? `${appUrl}/projects/${p.id}` : `${appUrl}/submissions/${p.id}`,
      });
      ids.push(
        await queueEmail(trx, {
          key: resultKey(p.id),
          kind: "nomination_result",
          to: p.contact_email,
          content,
          now,
        }),
      );
    }
    const summary = {
      nominees_published_at: now.toISOString(),
      nominated,
      notNominated: projects.length - nominated,
      undecided,
      emails: ids.filter((id) => id !== null).length,
    };
    await audit(trx, {
      actorUserId,
      action: "nomination.publish",
      entity: "edition",
      entityId: edition.id,
      before: { nominees_published_at: null },
      after: summary,
      now,
    });
    return { ok: true as const, ids, ...summary };
  });
  if (!result.ok) return result;
  await (options.dispatch ?? dispatchOutbox)(result.ids);
  return {
    ok: true,
    nominated: result.nominated,
    notNominated: result.notNominated,
    undecided: result.undecided,
    emails: result.emails,
  };
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

export type AssignOutcome =
  { ok: true; added: string[]; removed: string[] } | { ok: false; status: 400 | 404; message: string };

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
    if (!edition) return { ok: false, status: 404, message: "This edition does not exist." };
    const user = await trx
      .selectFrom("users")
      .select(["id", "name"])
      .where("id", "=", input.userId)
      .executeTakeFirst();
    if (!user) return { ok: false, status: 404, message: "This user does not exist." };
    const categories = await trx
      .selectFrom("categories")
      .select(["id", "code"])
      .orderBy("position")
      .execute();
    const codeOf = new Map(categories.map((c) => [c.id, c.code]));
    const wanted = new Set(input.categoryIds);
    for (const id of wanted)
      if (!codeOf.has(id)) return { ok: false, status: 400, message: "Unknown category." };

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
        return {
          ok: false,
          status: 400,
          message: `${user.name} does not hold the expert role: grant it first.`,
        };
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
