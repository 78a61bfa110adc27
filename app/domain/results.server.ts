/**
 * Announcement (DESIGN §6, issue 5 §2): publishing an edition's results, the public results, the award badges
 * and the champion and winner notifications with their delivery panel.
 *
 * Publication is one organiser action and one transaction: it freezes the awards (champions of the latest
 * tally run, confirmed winners) into the awards table, sets editions.results_published_at and writes one outbox
 * row per recipient × project × kind (idempotency key award:<kind>:<projectId>:<canonical email>), so a second
 * press, a concurrent press or a retried job never adds an email. The delivery jobs are enqueued after the
 * commit. The public pages read the awards table, not the tally: a later re-run cannot change published results.
 *
 * Readiness (documented choice): publication is refused until the official tally has run and every category
 * with champions has at least one confirmed winner that is still a champion of the latest tally run.
 */
import type { Db } from "../../db/client";
import type { AwardKind, Edition, ItuRegion, StakeholderType } from "../../db/schema";
import { awardNotification } from "../../emails/templates/award";
import { enqueue, retryEmailJobId } from "../../workers/queues";
import { REGION_LABELS, STAKEHOLDER_LABELS } from "../schemas/catalogue";
import { db } from "../utils/db.server";
import { env } from "../utils/env.server";
import { audit } from "./audit.server";
import { countryName } from "./catalogue.server";
import { toCsv, type CsvCell } from "./csv";
import {
  currentEdition,
  findEditionByYear,
  listCategories,
  lockedEdition,
  stampPublication,
  editionsPublished,
} from "./editions.server";
import { canonicalEmail } from "./email";
import { dispatchOutbox, queueEmail } from "./outbox.server";
import { formatInstant } from "./phases";
import { championsOf, latestTallyRun } from "./tally-runs.server";

/** Outbox kinds of the award notifications (the delivery panel counts these). */
export const AWARD_EMAIL_KINDS = ["award_champion", "award_winner"] as const;

const emailKind = (kind: AwardKind) => (kind === "winner" ? "award_winner" : "award_champion");

/** The outbox idempotency key of one award notification: one email per recipient, project and kind. */
export function awardEmailKey(kind: AwardKind, projectId: number, email: string): string {
  return `award:${kind}:${projectId}:${canonicalEmail(email)}`;
}

/** One delivery job to enqueue after the commit. */
export interface EmailJob {
  outboxId: number;
  jobId: string;
}

/** How jobs reach the queue; tests pass their own (their Redis prefix, short backoff). */
export type DispatchJobs = (jobs: readonly EmailJob[]) => Promise<void>;

async function defaultDispatch(jobs: readonly EmailJob[]): Promise<void> {
  for (const job of jobs) await enqueue("send-email", { outboxId: job.outboxId }, job.jobId);
}

// ------------------------------------------------------------------------------------------ readiness --

export interface CategoryReadiness {
  id: number;
  code: string;
  name: string;
  champions: Array<{ projectId: number; title: string; organisation: string; tied: boolean }>;
  winners: Array<{ projectId: number; title: string }>;
  /** What blocks publication in this category; empty when it is ready. */
  problems: string[];
}

export interface Readiness {
  /** The latest tally run, whose champions are published; null before voting closed. */
  tallyRun: { id: number; finishedAt: string } | null;
  categories: CategoryReadiness[];
  /** Every reason publication would be refused now, edition-wide first. */
  problems: string[];
  ready: boolean;
}

/** Per category: champions of the latest tally, confirmed winners, and what is missing before publication. */
export async function resultsReadiness(database: Db, edition: Pick<Edition, "id">): Promise<Readiness> {
  const [run, categories, champions, winners] = await Promise.all([
    latestTallyRun(database, edition.id),
    listCategories(database),
    championsOf(database, edition.id),
    database
      .selectFrom("winners as w")
      .innerJoin("projects as p", "p.id", "w.project_id")
      .select(["w.category_id", "w.project_id", "p.title"])
      .where("w.edition_id", "=", edition.id)
      .orderBy("w.confirmed_at")
      .orderBy("w.project_id")
      .execute(),
  ]);
  const problems: string[] = [];
  if (!run)
    problems.push("The official tally has not run yet: champions are known once public voting closes.");
  const rows = categories.map((c): CategoryReadiness => {
    const own = champions.filter((p) => p.categoryId === c.id);
    const won = winners.filter((w) => w.category_id === c.id);
    const issues: string[] = [];
    if (own.length > 0 && won.length === 0) issues.push("No winner confirmed yet.");
    for (const w of won) {
      if (!own.some((p) => p.projectId === w.project_id)) {
        issues.push(`“${w.title}” is confirmed as winner but is not a champion of the latest tally.`);
      }
    }
    return {
      id: c.id,
      code: c.code,
      name: c.name,
      champions: own.map((p) => ({
        projectId: p.projectId,
        title: p.title,
        organisation: p.organisation,
        tied: p.tied,
      })),
      winners: won.map((w) => ({ projectId: w.project_id, title: w.title })),
      problems: issues,
    };
  });
  if (run && champions.length === 0) problems.push("The latest tally names no champions.");
  for (const c of rows) for (const p of c.problems) problems.push(`${c.code}: ${p}`);
  return {
    tallyRun: run ? { id: run.id, finishedAt: run.finished_at } : null,
    categories: rows,
    problems,
    ready: problems.length === 0,
  };
}

// -------------------------------------------------------------------------------------------- publish --

export type PublishResultsOutcome =
  | { ok: true; champions: number; winners: number; emails: number }
  | { ok: false; status: 404 | 409; message: string; problems: string[] };

interface Recipient {
  email: string;
  name: string;
}

/** The organisation's contact and its members, one per canonical address (the contact first). */
async function recipientsByOrganisation(
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

/**
 * Publishes an edition's results (see the module comment): refused with a clear message when something is
 * missing or when they are already published (nothing is written then). Audit-logged; the delivery jobs are
 * enqueued after the commit.
 */
export async function publishResults(
  database: Db,
  input: { editionId: number; actorUserId: number | null },
  now: Date,
  options: { dispatch?: DispatchJobs; appUrl?: string } = {},
): Promise<PublishResultsOutcome> {
  const appUrl = options.appUrl ?? env().APP_URL;
  const result = await database.transaction().execute(async (trx) => {
    const edition = await lockedEdition(trx, input.editionId);
    if (!edition) {
      return {
        ok: false as const,
        status: 404 as const,
        message: "This edition does not exist.",
        problems: [],
      };
    }
    const tz = edition.timezone;
    if (edition.results_published_at !== null) {
      return {
        ok: false as const,
        status: 409 as const,
        message: `The results of the ${edition.name} were already published on ${formatInstant(edition.results_published_at, tz)}. Nothing was sent again.`,
        problems: [],
      };
    }
    if (now.getTime() < new Date(edition.voting_closes_at).getTime()) {
      return {
        ok: false as const,
        status: 409 as const,
        message: `Public voting is open until ${formatInstant(edition.voting_closes_at, tz)}: the results can be published after the official tally.`,
        problems: [],
      };
    }
    const readiness = await resultsReadiness(trx, edition);
    if (!readiness.ready) {
      return {
        ok: false as const,
        status: 409 as const,
        message: "The results cannot be published yet:",
        problems: readiness.problems,
      };
    }
    if (!(await stampPublication(trx, edition.id, "results_published_at", now))) {
      return {
        ok: false as const,
        status: 409 as const,
        message: "The results were already published. Nothing was sent again.",
        problems: [],
      };
    }

    const awards: Array<{ projectId: number; kind: AwardKind }> = [];
    for (const c of readiness.categories) {
      for (const p of c.champions) awards.push({ projectId: p.projectId, kind: "champion" });
      for (const w of c.winners) awards.push({ projectId: w.projectId, kind: "winner" });
    }
    const iso = now.toISOString();
    for (let i = 0; i < awards.length; i += 200) {
      await trx
        .insertInto("awards")
        .values(
          awards.slice(i, i + 200).map((a) => ({
            project_id: a.projectId,
            kind: a.kind,
            edition_id: edition.id,
            created_at: iso,
          })),
        )
        .onConflict((oc) => oc.columns(["project_id", "kind"]).doNothing())
        .execute();
    }

    const projectIds = [...new Set(awards.map((a) => a.projectId))];
    const projects = projectIds.length
      ? await trx
          .selectFrom("projects as p")
          .innerJoin("organisations as o", "o.id", "p.organisation_id")
          .innerJoin("categories as c", "c.id", "p.category_id")
          .select([
            "p.id",
            "p.title",
            "p.organisation_id",
            "o.name as organisation",
            "c.code",
            "c.name as category",
          ])
          .where("p.id", "in", projectIds)
          .execute()
      : [];
    const byId = new Map(projects.map((p) => [p.id, p]));
    const recipients = await recipientsByOrganisation(trx, [
      ...new Set(projects.map((p) => p.organisation_id)),
    ]);
    const ids: number[] = [];
    for (const award of awards) {
      const project = byId.get(award.projectId);
      if (!project) continue;
      for (const r of recipients.get(project.organisation_id) ?? []) {
        const content = awardNotification({
          kind: award.kind,
          recipientName: r.name,
          organisationName: project.organisation,
          projectTitle: project.title,
          categoryCode: project.code,
          categoryName: project.category,
          editionName: edition.name,
          editionYear: edition.year,
          url: `${appUrl}/projects/${project.id}`,
        });
        const id = await queueEmail(trx, {
          key: awardEmailKey(award.kind, project.id, r.email),
          kind: emailKind(award.kind),
          to: r.email,
          content,
          now,
          // The delivery panel finds an edition's award emails by these two columns.
          projectId: project.id,
          editionId: edition.id,
        });
        if (id !== null) ids.push(id);
      }
    }
    const summary = {
      results_published_at: iso,
      tally_run_id: readiness.tallyRun?.id ?? null,
      champions: awards.filter((a) => a.kind === "champion").length,
      winners: awards.filter((a) => a.kind === "winner").length,
      emails: ids.length,
    };
    await audit(trx, {
      actorUserId: input.actorUserId,
      action: "results.publish",
      entity: "edition",
      entityId: edition.id,
      before: { results_published_at: null },
      after: summary,
      now,
    });
    return { ok: true as const, ids, ...summary };
  });
  if (!result.ok) return result;
  if (options.dispatch)
    await options.dispatch(result.ids.map((id) => ({ outboxId: id, jobId: `email-${id}` })));
  else await dispatchOutbox(result.ids);
  return { ok: true, champions: result.champions, winners: result.winners, emails: result.emails };
}

// ------------------------------------------------------------------------------------------- delivery --

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
  options: { dispatch?: DispatchJobs } = {},
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
  const jobs = rows.map((r) => ({ outboxId: r.id, jobId: retryEmailJobId(r.id, r.attempts) }));
  await (options.dispatch ?? defaultDispatch)(jobs);
  return { retried: rows.length };
}

// ------------------------------------------------------------------------------------- public results --

export interface ResultEntry {
  projectId: number;
  title: string;
  /** The highest award: a winner is also a champion, but is listed once, as winner. */
  award: AwardKind;
  organisation: string;
  country: string;
  countryName: string;
  region: ItuRegion;
  regionLabel: string;
  stakeholder: StakeholderType;
  stakeholderLabel: string;
}

export interface CategoryResult {
  code: string;
  name: string;
  winners: ResultEntry[];
  /** The other champions (winners are listed under winners only). */
  champions: ResultEntry[];
}

export interface ResultsFilters {
  region?: ItuRegion | null;
  stakeholder?: StakeholderType | null;
}

/**
 * The published results of an edition per category (all 18, in display order), from the awards written at
 * publication; filtered by the organisation's region and stakeholder type. Empty before publication.
 */
export async function publishedResults(
  editionId: number,
  filters: ResultsFilters,
  database: Db = db(),
): Promise<CategoryResult[]> {
  let awards = database
    .selectFrom("awards as a")
    .innerJoin("editions as e", "e.id", "a.edition_id")
    .innerJoin("projects as p", "p.id", "a.project_id")
    .innerJoin("organisations as o", "o.id", "p.organisation_id")
    .select([
      "a.kind",
      "p.id",
      "p.title",
      "p.category_id",
      "p.country",
      "o.name as organisation",
      "o.region",
      "o.stakeholder_type",
    ])
    .where("a.edition_id", "=", editionId)
    .where("e.results_published_at", "is not", null);
  if (filters.region) awards = awards.where("o.region", "=", filters.region);
  if (filters.stakeholder) awards = awards.where("o.stakeholder_type", "=", filters.stakeholder);
  const [categories, rows] = await Promise.all([listCategories(database), awards.execute()]);
  const entries = new Map<number, ResultEntry>();
  const categoryOf = new Map<number, number>();
  for (const r of rows) {
    const existing = entries.get(r.id);
    if (existing) {
      if (r.kind === "winner") existing.award = "winner";
      continue;
    }
    categoryOf.set(r.id, r.category_id);
    entries.set(r.id, {
      projectId: r.id,
      title: r.title,
      award: r.kind,
      organisation: r.organisation,
      country: r.country,
      countryName: countryName(r.country),
      region: r.region,
      regionLabel: REGION_LABELS[r.region] ?? r.region,
      stakeholder: r.stakeholder_type,
      stakeholderLabel: STAKEHOLDER_LABELS[r.stakeholder_type] ?? r.stakeholder_type,
    });
  }
  const all = [...entries.values()].sort(
    (a, b) => a.title.localeCompare(b.title, "en", { sensitivity: "base" }) || a.projectId - b.projectId,
  );
  return categories.map((c) => {
    const own = all.filter((e) => categoryOf.get(e.projectId) === c.id);
    return {
      code: c.code,
      name: c.name,
      winners: own.filter((e) => e.award === "winner"),
      champions: own.filter((e) => e.award === "champion"),
    };
  });
}

/** The award a project holds once its edition's results are public at `now` (winner over champion), or null. */
export async function projectAward(
  projectId: number,
  now: Date,
  database: Db = db(),
): Promise<{ kind: AwardKind; year: number } | null> {
  const rows = await database
    .selectFrom("awards as a")
    .innerJoin("editions as e", "e.id", "a.edition_id")
    .select(["a.kind", "e.year"])
    .where("a.project_id", "=", projectId)
    .where("e.results_published_at", "is not", null)
    .where("e.results_published_at", "<=", now.toISOString())
    .execute();
  const best = rows.find((r) => r.kind === "winner") ?? rows[0];
  return best ? { kind: best.kind, year: best.year } : null;
}

/** True when the edition's results are public at `now`. */
export function resultsArePublic(edition: Pick<Edition, "results_published_at">, now: Date): boolean {
  return edition.results_published_at !== null && edition.results_published_at <= now.toISOString();
}

/** What the public results page and downloads show. */
export type ResultsListing =
  /** `?edition=YEAR` names no edition. */
  | { kind: "not-found"; year: number }
  /** No edition exists at all. */
  | { kind: "none"; editions: Array<{ year: number; name: string }> }
  | {
      kind: "edition";
      edition: { id: number; year: number; name: string };
      /** When the results were published (ISO), or null until they are public. */
      publishedAt: string | null;
      /** The same instant as "5 Jun 2027, 12:00 (Europe/Zurich)". */
      publishedAtText: string | null;
      /** "5 Jun 2027, 12:00 (Europe/Zurich)": when the announcement phase opens. */
      announcement: string;
      announcementPassed: boolean;
      categories: CategoryResult[];
      /** Editions with public results, newest first. */
      editions: Array<{ year: number; name: string }>;
    };

/**
 * The results of `year` (or of the current edition) filtered by `filters`: an empty list of categories until
 * they are published.
 */
export async function resultsListing(
  args: { year: number | null; filters: ResultsFilters; now: Date },
  database: Db = db(),
): Promise<ResultsListing> {
  const [edition, editions] = await Promise.all([
    args.year !== null ? findEditionByYear(args.year, database) : currentEdition(args.now, database),
    editionsPublished("results_published_at", args.now, database),
  ]);
  if (!edition)
    return args.year !== null ? { kind: "not-found", year: args.year } : { kind: "none", editions };
  const published = resultsArePublic(edition, args.now);
  return {
    kind: "edition",
    edition: { id: edition.id, year: edition.year, name: edition.name },
    publishedAt: published ? edition.results_published_at : null,
    publishedAtText:
      published && edition.results_published_at
        ? formatInstant(edition.results_published_at, edition.timezone)
        : null,
    announcement: formatInstant(edition.announcement_opens_at, edition.timezone),
    announcementPassed: edition.announcement_opens_at <= args.now.toISOString(),
    categories: published ? await publishedResults(edition.id, args.filters, database) : [],
    editions,
  };
}

/** The CSV download of published results: one row per project, its highest award. */
export function resultsCsv(
  edition: { year: number; name: string },
  categories: readonly CategoryResult[],
  appUrl: string = env().APP_URL,
): string {
  const rows: CsvCell[][] = [];
  for (const c of categories) {
    for (const e of [...c.winners, ...c.champions]) {
      rows.push([
        edition.year,
        c.code,
        c.name,
        e.award,
        e.projectId,
        e.title,
        e.organisation,
        e.stakeholderLabel,
        e.regionLabel,
        e.countryName,
        `${appUrl}/projects/${e.projectId}`,
      ]);
    }
  }
  return toCsv(
    [
      "edition",
      "category_code",
      "category",
      "award",
      "project_id",
      "project",
      "organisation",
      "stakeholder_type",
      "region",
      "country",
      "url",
    ],
    rows,
  );
}

/**
 * The published results for a download (JSON or CSV): a bad filter is refused (400) rather than dropped — a
 * file must contain what was asked for — and unpublished results are a 404.
 */
export async function resultsDownload(
  args: { query: ResultsFilters & { edition: number | null }; notices: string[]; now: Date },
  database: Db = db(),
): Promise<
  | {
      ok: true;
      edition: { year: number; name: string; publishedAt: string };
      categories: CategoryResult[];
    }
  | { ok: false; status: 400 | 404; message: string }
> {
  if (args.notices.length) return { ok: false, status: 400, message: args.notices.join(" ") };
  const listing = await resultsListing(
    { year: args.query.edition, filters: args.query, now: args.now },
    database,
  );
  if (listing.kind === "not-found") {
    return { ok: false, status: 404, message: `There is no ${listing.year} edition of the WSIS Prizes.` };
  }
  if (listing.kind === "none")
    return { ok: false, status: 404, message: "No results have been published yet." };
  if (!listing.publishedAt) {
    return {
      ok: false,
      status: 404,
      message: `The results of the ${listing.edition.name} have not been published yet.`,
    };
  }
  return {
    ok: true,
    edition: { year: listing.edition.year, name: listing.edition.name, publishedAt: listing.publishedAt },
    categories: listing.categories,
  };
}

export interface ResultsAdminView {
  readiness: Readiness;
  /** Null before publication. */
  publication: { at: string; by: string | null } | null;
  votingCloses: string;
  votingClosed: boolean;
  delivery: DeliveryStatus;
}

/** The organisers' results page: readiness per category, publication, and the delivery of the notifications. */
export async function resultsAdminView(database: Db, edition: Edition, now: Date): Promise<ResultsAdminView> {
  const [readiness, delivery, entry] = await Promise.all([
    resultsReadiness(database, edition),
    deliveryStatus(database, edition.id),
    database
      .selectFrom("audit_log as a")
      .leftJoin("users as u", "u.id", "a.actor_user_id")
      .select("u.name")
      .where("a.action", "=", "results.publish")
      .where("a.entity", "=", "edition")
      .where("a.entity_id", "=", String(edition.id))
      .orderBy("a.id", "desc")
      .executeTakeFirst(),
  ]);
  const tz = edition.timezone;
  return {
    readiness,
    publication: edition.results_published_at
      ? { at: formatInstant(edition.results_published_at, tz), by: entry?.name ?? null }
      : null,
    votingCloses: formatInstant(edition.voting_closes_at, tz),
    votingClosed: now.toISOString() >= edition.voting_closes_at,
    delivery,
  };
}
