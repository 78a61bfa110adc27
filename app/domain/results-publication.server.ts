/**
 * Publishing an edition's results (DESIGN §6, issue 5 §2): readiness, the publication itself, and the
 * organisers' results page.
 *
 * Publication is one organiser action and one transaction: it freezes the awards (champions of the latest
 * tally run, confirmed winners) into the awards table, sets editions.results_published_at and writes the
 * award notifications to the outbox (award-emails.server.ts). The delivery jobs are enqueued after the commit.
 * The public pages read the awards table, not the tally (results.server.ts): a later re-run cannot change
 * published results.
 *
 * Readiness (documented choice): publication is refused until the official tally has run and every category
 * with champions has at least one confirmed winner that is still a champion of the latest tally run.
 */
import type { Db } from "../../db/client";
import type { AwardKind, Edition } from "../../db/schema";
import { awardNotification } from "../../emails/templates/award";
import { env } from "../utils/env.server";
import { audit } from "./audit.server";
import {
  awardEmailKey,
  deliveryStatus,
  emailKind,
  recipientsByOrganisation,
  type DeliveryStatus,
} from "./award-emails.server";
import { listCategories, lockedEdition, stampPublication } from "./editions.server";
import { dispatchOutbox, queueEmail } from "./outbox.server";
import type { Jobs } from "../jobs/contract";
import { formatInstant } from "./phases";
import { championsOf, latestTallyRun } from "./tally-runs.server";

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

export type PublishResultsOutcome =
  | { ok: true; champions: number; winners: number; emails: number }
  | { ok: false; status: 404 | 409; message: string; problems: string[] };

/**
 * Publishes an edition's results (see the module comment): refused with a clear message when something is
 * missing or when they are already published (nothing is written then). Audit-logged; the delivery jobs are
 * enqueued after the commit.
 */
export async function publishResults(
  database: Db,
  input: { editionId: number; actorUserId: number | null },
  now: Date,
  options: { jobs?: Jobs; appUrl?: string } = {},
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
  await dispatchOutbox(result.ids, database, options.jobs);
  return { ok: true, champions: result.champions, winners: result.winners, emails: result.emails };
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
