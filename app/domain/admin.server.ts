import { sql } from "kysely";
import type { Db } from "../../db/client";
import { isUniqueViolation } from "../../db/client";
import type { Edition, OutboxStatus, Role } from "../../db/schema";
import { ROLES } from "../../db/schema";
import { DEFAULT_TIME_ZONE } from "../schemas/edition";
import { db } from "../utils/db.server";
import { createEdition, currentEdition, type EditionInput, type EditionResult } from "./editions.server";
import { PHASE_LABELS, editionStateAt, formatInstant } from "./phases";
import { grantRole, revokeRole } from "./users.server";

/** Rows per page on every admin list. */
export const PAGE_SIZE = 50;

/** The page count for `total` rows (at least 1, so "page 1 of 1" reads well on an empty list). */
export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / PAGE_SIZE));
}

const offset = (page: number) => (page - 1) * PAGE_SIZE;

/** The time zone admin pages show instants in: the current edition's, else Geneva's. */
export async function displayTimeZone(now: Date, database: Db = db()): Promise<string> {
  return (await currentEdition(now, database))?.timezone ?? DEFAULT_TIME_ZONE;
}

/** Figures for the admin dashboard. */
export async function dashboardCounts(database: Db = db()) {
  const [users, editions, outbox] = await Promise.all([
    database
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow(),
    database
      .selectFrom("editions")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow(),
    database
      .selectFrom("outbox")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("status")
      .execute(),
  ]);
  const byStatus: Record<OutboxStatus, number> = { queued: 0, sent: 0, failed: 0 };
  for (const row of outbox) byStatus[row.status] = Number(row.n);
  return { users: Number(users.n), editions: Number(editions.n), outbox: byStatus };
}

/** `text` made safe inside a LIKE pattern (backslash is the escape character). */
function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface AdminUserRow {
  id: number;
  email: string;
  name: string;
  verified: boolean;
  createdAt: string;
  roles: Role[];
}

/** Users whose email or name contains `q` (any case), newest first, one page of PAGE_SIZE, with their roles. */
export async function searchUsers(
  input: { q: string; page: number },
  database: Db = db(),
): Promise<{ rows: AdminUserRow[]; total: number }> {
  let query = database.selectFrom("users");
  if (input.q) {
    const pattern = likeContains(input.q);
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(${sql.ref("users.email")})`, "like", sql`${pattern} escape '\\'`),
        eb(sql`lower(${sql.ref("users.name")})`, "like", sql`${pattern} escape '\\'`),
      ]),
    );
  }
  const [count, users] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    query
      .select(["id", "email", "name", "email_verified_at", "created_at"])
      .orderBy("id", "desc")
      .limit(PAGE_SIZE)
      .offset(offset(input.page))
      .execute(),
  ]);
  const ids = users.map((u) => u.id);
  const roles = ids.length
    ? await database
        .selectFrom("user_roles")
        .select(["user_id", "role"])
        .where("user_id", "in", ids)
        .execute()
    : [];
  const rows = users.map((u) => ({
    id: u.id,
    email: u.email,
    name: u.name,
    verified: u.email_verified_at !== null,
    createdAt: u.created_at,
    // Always in ROLES order, whatever order they were granted in.
    roles: ROLES.filter((r) => roles.some((x) => x.user_id === u.id && x.role === r)),
  }));
  return { rows, total: Number(count.n) };
}

export type RoleChangeResult = { ok: true } | { ok: false; status: 400 | 404; error: string };

/**
 * Grants or revokes one role on behalf of an organiser (audit-logged by grantRole/revokeRole). An organiser
 * cannot revoke their own organiser role, so the platform always keeps at least the one acting.
 */
export async function changeUserRole(
  input: { actorUserId: number; userId: number; role: Role; intent: "grant" | "revoke"; now: Date },
  database: Db = db(),
): Promise<RoleChangeResult> {
  if (input.intent === "revoke" && input.role === "organiser" && input.userId === input.actorUserId) {
    return {
      ok: false,
      status: 400,
      error: "You cannot revoke your own organiser role. Ask another organiser.",
    };
  }
  const target = await database
    .selectFrom("users")
    .select("id")
    .where("id", "=", input.userId)
    .executeTakeFirst();
  if (!target) return { ok: false, status: 404, error: "This user does not exist." };
  if (input.intent === "grant")
    await grantRole(input.userId, input.role, input.actorUserId, input.now, database);
  else await revokeRole(input.userId, input.role, input.actorUserId, input.now, database);
  return { ok: true };
}

/** Outbox rows (metadata only, never bodies), newest first, optionally of one status. */
export async function listOutbox(input: { page: number; status: OutboxStatus | null }, database: Db = db()) {
  let query = database.selectFrom("outbox");
  if (input.status) query = query.where("status", "=", input.status);
  const [count, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    query
      .select([
        "id",
        "kind",
        "to_address",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
      ])
      .orderBy("id", "desc")
      .limit(PAGE_SIZE)
      .offset(offset(input.page))
      .execute(),
  ]);
  return { rows, total: Number(count.n) };
}

/** The entity names that occur in the audit log, for its filter. */
export async function auditEntities(database: Db = db()): Promise<string[]> {
  const rows = await database.selectFrom("audit_log").select("entity").distinct().orderBy("entity").execute();
  return rows.map((r) => r.entity);
}

/** Audit entries, newest first, optionally for one entity (and one entity id), with the actor's email. */
export async function listAuditLog(
  input: { page: number; entity: string | null; entityId: string | null },
  database: Db = db(),
) {
  let query = database.selectFrom("audit_log").leftJoin("users", "users.id", "audit_log.actor_user_id");
  if (input.entity) query = query.where("audit_log.entity", "=", input.entity);
  if (input.entityId) query = query.where("audit_log.entity_id", "=", input.entityId);
  const [count, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    query
      .select([
        "audit_log.id",
        "audit_log.action",
        "audit_log.entity",
        "audit_log.entity_id",
        "audit_log.before_json",
        "audit_log.after_json",
        "audit_log.created_at",
        "audit_log.actor_user_id",
        "users.email as actor_email",
      ])
      .orderBy("audit_log.id", "desc")
      .limit(PAGE_SIZE)
      .offset(offset(input.page))
      .execute(),
  ]);
  return { rows, total: Number(count.n) };
}

/** One line saying where edition `e` stands at `now`, with instants in the edition's time zone. */
export function describeEditionState(e: Edition, now: Date): string {
  const state = editionStateAt(e, now);
  const tz = e.timezone;
  switch (state.kind) {
    case "open":
      return `${PHASE_LABELS[state.phase]} is open until ${formatInstant(state.closesAt, tz)}.`;
    case "upcoming":
      return `Not started: ${PHASE_LABELS[state.next].toLowerCase()} opens on ${formatInstant(state.opensAt, tz)}.`;
    case "between":
      return `Between phases: ${PHASE_LABELS[state.next].toLowerCase()} opens on ${formatInstant(state.opensAt, tz)}.`;
    case "finished":
      return `Finished on ${formatInstant(state.closedAt, tz)}.`;
  }
}

/**
 * Creates an edition from the admin form (createEdition: order check, free year, audit). Two organisers
 * racing for the same year get the same field message, not a 500: the unique constraint has the last word.
 */
export async function createEditionFromForm(
  input: EditionInput,
  actorUserId: number,
  now: Date,
  database: Db = db(),
): Promise<EditionResult> {
  try {
    return await createEdition(input, actorUserId, now, database);
  } catch (e) {
    if (isUniqueViolation(e))
      return { ok: false, errors: { year: `An edition for ${input.year} already exists.` } };
    throw e;
  }
}
