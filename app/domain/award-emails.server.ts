/**
 * The award notifications (DESIGN §6, issue 5 §2): who receives them, their outbox keys, their delivery jobs,
 * and the organisers' delivery panel (counts by status, failed emails with their SMTP reply, retry).
 *
 * One outbox row per recipient × project × kind (idempotency key award:<kind>:<projectId>:<canonical email>),
 * so a second press, a concurrent press or a retried job never adds an email. They are written by
 * publishResults (results-publication.server.ts).
 */
import type { Db } from "../../db/client";
import type { AwardKind } from "../../db/schema";
import { instanceId } from "../../db/instance";
import { retryEmailJobId, type Jobs } from "../jobs/contract";
import { processJobs } from "../jobs/port.server";
import { audit } from "./audit.server";
import { canonicalEmail } from "./email";

/** Outbox kinds of the award notifications (the delivery panel counts these). */
export const AWARD_EMAIL_KINDS = ["award_champion", "award_winner"] as const;

/** The outbox kind of an award's notification. */
export const emailKind = (kind: AwardKind) => (kind === "winner" ? "award_winner" : "award_champion");

/** The outbox idempotency key of one award notification: one email per recipient, project and kind. */
export function awardEmailKey(kind: AwardKind, projectId: number, email: string): string {
  return `award:${kind}:${projectId}:${canonicalEmail(email)}`;
}

/** One recipient of an award notification. */
export interface Recipient {
  email: string;
  name: string;
}

/** The organisation's contact and its members, one per canonical address (the contact first). */
export async function recipientsByOrganisation(
  database: Db,
  organisationIds: readonly number[],
): Promise<Map<number, Recipient[]>> {
  const out = new Map<number, Recipient[]>();
  if (organisationIds.length === 0) return out;
  const [orgs, members] = await Promise.all([
    database
      .selectFrom("organisations")
      .select(["id", "contact_name", "contact_email"])
      .where("id", "in", organisationIds)
      .execute(),
    database
      .selectFrom("organisation_members as m")
      .innerJoin("users as u", "u.id", "m.user_id")
      .select(["m.organisation_id", "u.email", "u.name"])
      .where("m.organisation_id", "in", organisationIds)
      .orderBy("m.organisation_id")
      .orderBy("u.id")
      .execute(),
  ]);
  for (const o of orgs) {
    const list: Recipient[] = [{ email: o.contact_email, name: o.contact_name }];
    for (const m of members) {
      if (m.organisation_id === o.id) list.push({ email: m.email, name: m.name });
    }
    const seen = new Set<string>();
    out.set(
      o.id,
      list.filter((r) => {
        const key = canonicalEmail(r.email);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      }),
    );
  }
  return out;
}

export interface FailedEmail {
  id: number;
  to: string;
  kind: AwardKind;
  projectId: number | null;
  projectTitle: string | null;
  attempts: number;
  /** The SMTP reply (or connection error) of the last attempt. */
  lastError: string | null;
}

export interface DeliveryStatus {
  queued: number;
  sent: number;
  failed: number;
  total: number;
  /** The failed emails, oldest first (at most `limit`). */
  failures: FailedEmail[];
}

/** Counts of an edition's award emails by status, and the failed ones with their SMTP reply. */
export async function deliveryStatus(database: Db, editionId: number, limit = 200): Promise<DeliveryStatus> {
  const [counts, failed] = await Promise.all([
    database
      .selectFrom("outbox")
      .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
      .where("edition_id", "=", editionId)
      .where("kind", "in", AWARD_EMAIL_KINDS)
      .groupBy("status")
      .execute(),
    database
      .selectFrom("outbox as x")
      .leftJoin("projects as p", "p.id", "x.project_id")
      .select(["x.id", "x.to_address", "x.kind", "x.project_id", "p.title", "x.attempts", "x.last_error"])
      .where("x.edition_id", "=", editionId)
      .where("x.kind", "in", AWARD_EMAIL_KINDS)
      .where("x.status", "=", "failed")
      .orderBy("x.id")
      .limit(limit)
      .execute(),
  ]);
  const status = { queued: 0, sent: 0, failed: 0 };
  for (const c of counts) status[c.status] += Number(c.n);
  return {
    ...status,
    total: status.queued + status.sent + status.failed,
    failures: failed.map((f) => ({
      id: f.id,
      to: f.to_address,
      kind: f.kind === "award_winner" ? "winner" : "champion",
      projectId: f.project_id,
      projectTitle: f.title,
      attempts: f.attempts,
      lastError: f.last_error,
    })),
  };
}

/**
 * Puts an edition's failed award emails back in the queue (audit-logged) and enqueues each under a fresh job
 * id (retryEmailJobId). Only failed rows change, so a repeated click re-sends nothing twice; the delivery job's
 * claim keeps a row from being sent twice even if two jobs run for it.
 */
export async function retryFailed(
  database: Db,
  input: { editionId: number; actorUserId: number | null },
  now: Date,
  options: { jobs?: Jobs } = {},
): Promise<{ retried: number }> {
  const rows = await database.transaction().execute(async (trx) => {
    const failed = await trx
      .selectFrom("outbox")
      .select(["id", "attempts"])
      .where("edition_id", "=", input.editionId)
      .where("kind", "in", AWARD_EMAIL_KINDS)
      .where("status", "=", "failed")
      .orderBy("id")
      .execute();
    const requeued: Array<{ id: number; attempts: number }> = [];
    for (let i = 0; i < failed.length; i += 500) {
      const chunk = failed.slice(i, i + 500);
      const done = await trx
        .updateTable("outbox")
        // No error and no lease: the sweeper knows from these that the row's job is retryEmailJobId's.
        .set({ status: "queued", sent_at: null, last_error: null })
        .where(
          "id",
          "in",
          chunk.map((r) => r.id),
        )
        .where("status", "=", "failed")
        .returning(["id", "attempts"])
        .execute();
      requeued.push(...done);
    }
    if (requeued.length) {
      await audit(trx, {
        actorUserId: input.actorUserId,
        action: "results.retry_failed",
        entity: "edition",
        entityId: input.editionId,
        after: { outbox_ids: requeued.map((r) => r.id) },
        now,
      });
    }
    return requeued;
  });
  const instance = await instanceId(database);
  await (options.jobs ?? processJobs()).enqueueEach(
    "send-email",
    rows.map((r) => ({ data: { outboxId: r.id }, jobId: retryEmailJobId(instance, r.id, r.attempts) })),
  );
  return { retried: rows.length };
}
