/**
 * The nominee list (DESIGN §4, issue 3 §3): the organisers' progress per category and the publication of the
 * list with its nominated / not-nominated emails.
 *
 * Publication (documented choice): refused while some submitted projects have no decision, unless the
 * organiser ticks "publish anyway": undecided projects then count as not nominated (no decision is
 * invented for them; the email carries no reason).
 */
import type { Db } from "../../db/client";
import type { Edition } from "../../db/schema";
import { nominationResult } from "../../emails/templates/nomination-result";
import { REJECT_REASON_LABELS } from "../schemas/nomination";
import { env } from "../utils/env.server";
import { audit } from "./audit.server";
import { listCategories, lockedEdition, stampPublication } from "./editions.server";
import type { Jobs } from "../jobs/contract";
import { dispatchOutbox, queueEmail } from "./outbox.server";
import { refuse, type Refused } from "./outcome";
import { formatInstant } from "./phases";

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
  | {
      ok: true;
      nominated: number;
      notNominated: number;
      undecided: number;
      emails: number;
    }
  | Refused;

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
  options: { jobs?: Jobs; appUrl?: string } = {},
): Promise<PublishOutcome> {
  const appUrl = options.appUrl ?? env().APP_URL;
  const result = await database.transaction().execute(async (trx) => {
    const edition = await lockedEdition(trx, input.editionId);
    if (!edition) return refuse("edition_not_found");
    const tz = edition.timezone;
    if (edition.nominees_published_at !== null) {
      return refuse("nominees_already_published", {
        edition: edition.name,
        published: formatInstant(edition.nominees_published_at, tz),
      });
    }
    if (now.getTime() < new Date(edition.submission_closes_at).getTime()) {
      return refuse("nominees_submission_open", { closes: formatInstant(edition.submission_closes_at, tz) });
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
      return refuse("nominees_undecided", { undecided }, "includeUndecided");
    }
    if (!(await stampPublication(trx, edition.id, "nominees_published_at", now))) {
      return refuse("nominees_already_published");
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
  await dispatchOutbox(result.ids, database, options.jobs);
  return {
    ok: true,
    nominated: result.nominated,
    notNominated: result.notNominated,
    undecided: result.undecided,
    emails: result.emails,
  };
}
