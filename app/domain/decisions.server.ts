/**
 * Nomination decisions (DESIGN §4, issue 3 §3): one project as its reviewer sees it (reviewer flags, the
 * decision and its history) and recording a decision. Who may decide: review.server.ts (accessTo); when:
 * windows.ts (decisionWindow).
 */
import type { Db } from "../../db/client";
import { dialectOf } from "../../db/client";
import type { Decision, RejectReason } from "../../db/schema";
import type { DecisionInput } from "../schemas/nomination";
import { z } from "zod";
import { audit } from "./audit.server";
import { categoryById } from "./editions.server";
import { accessTo, type Reviewer } from "./review.server";
import { refuse, type Outcome } from "./outcome";
import { decisionWindow, windowRefusal } from "./windows";

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
  if (!project || project.status !== "submitted") return refuse("review_project_not_found");
  const access = await accessTo(database, reviewer, project);
  if (access === "none") return refuse("review_project_not_found");

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

export type DecideOutcome = Outcome<{ changed: boolean; categoryCode: string }>;

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
    return refuse("decision_reason_missing", undefined, "reason_text");
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
    if (!project || project.status !== "submitted") return refuse("review_project_not_found");
    const access = await accessTo(trx, reviewer, project);
    if (access === "none") return refuse("review_project_not_found");
    if (access === "conflict") return refuse("review_conflict");
    const edition = await trx
      .selectFrom("editions")
      .selectAll()
      .where("id", "=", project.edition_id)
      .$if(pg, (qb) => qb.forShare())
      .executeTakeFirstOrThrow();
    const window = decisionWindow(edition, reviewer, now);
    if (!window.open) return windowRefusal(window);

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
