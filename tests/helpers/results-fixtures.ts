import { randomBytes } from "node:crypto";
import type { Db } from "../../db/client";
import type { ItuRegion, StakeholderType } from "../../db/schema";
import { scheduleWithPhaseOpen } from "../../app/domain/phases";
import { makeProject, uniqueYear } from "../fixtures/contest";

/**
 * Seeds an edition at the end of selection straight into the database: organisations (with contacts and
 * members), nominated projects, an official tally run naming champions, confirmed winners (results tests).
 */

let counter = 0;
const uniq = () => `${(counter++).toString(36)}${randomBytes(3).toString("hex")}`;

/** An edition whose selection phase is open at `now` (voting closed), nominees published, results not. */
export async function resultsEdition(
  db: Db,
  opts: { now: Date; year?: number; phase?: "voting" | "selection" },
) {
  const iso = opts.now.toISOString();
  const year = opts.year ?? uniqueYear();
  return db
    .insertInto("editions")
    .values({
      year,
      name: `WSIS Prizes ${year}`,
      timezone: "Europe/Zurich",
      ...scheduleWithPhaseOpen(opts.phase ?? "selection", opts.now),
      min_long_answer_words: 50,
      created_at: iso,
      nominees_published_at: iso,
      results_published_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface OrgInput {
  name?: string;
  region?: ItuRegion;
  stakeholder?: StakeholderType;
  contactEmail?: string;
  contactName?: string;
  /** Users (ids) who are members of the organisation. */
  members?: number[];
}

/** An organisation with its contact and members. */
export async function org(db: Db, input: OrgInput = {}) {
  const now = new Date().toISOString();
  const row = await db
    .insertInto("organisations")
    .values({
      name: input.name ?? `Org ${uniq()}`,
      stakeholder_type: input.stakeholder ?? "civil_society",
      country: "KE",
      region: input.region ?? "africa",
      website: null,
      contact_name: input.contactName ?? "Contact Person",
      contact_email: input.contactEmail ?? `contact-${uniq()}@example.org`,
      created_by: null,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const userId of input.members ?? []) {
    await db
      .insertInto("organisation_members")
      .values({ organisation_id: row.id, user_id: userId, created_at: now })
      .execute();
  }
  return row;
}

/** A user (no password that works: tests sign in with a session row). */
export async function user(
  db: Db,
  opts: { email?: string; name?: string; roles?: Array<"organiser" | "voter" | "submitter" | "expert"> } = {},
) {
  const email = opts.email ?? `u-${uniq()}@example.org`;
  const iso = new Date().toISOString();
  const row = await db
    .insertInto("users")
    .values({
      email,
      email_canonical: email.toLowerCase(),
      name: opts.name ?? "Member Person",
      password_hash: "scrypt$1$1$1$x$x",
      email_verified_at: iso,
      pending_email: null,
      created_at: iso,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const role of opts.roles ?? []) {
    await db
      .insertInto("user_roles")
      .values({ user_id: row.id, role, granted_by: null, created_at: iso })
      .execute();
  }
  return row;
}

/** A submitted, nominated project of `organisationId` in category `code`. */
export async function nominee(
  db: Db,
  editionId: number,
  code: string,
  organisationId: number,
  title?: string,
) {
  return makeProject(db, { editionId, categoryCode: code, organisationId, title, decision: "nominate" });
}

/** An official tally run of the edition (empty: add champions with champion()). */
export async function tallyRun(db: Db, editionId: number, trigger: "close" | "rerun" = "close") {
  const iso = new Date().toISOString();
  const row = await db
    .insertInto("tally_runs")
    .values({
      edition_id: editionId,
      trigger,
      votes_counted: 0,
      valid_votes: 0,
      started_at: iso,
      finished_at: iso,
      requested_by: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Records `project` as a champion (or, with champion: false, a ranked non-champion) of tally run `runId`. */
export async function champion(
  db: Db,
  runId: number,
  project: { id: number; category_id: number },
  opts: { rank?: number; votes?: number; champion?: boolean; tied?: boolean } = {},
) {
  await db
    .insertInto("tally_results")
    .values({
      run_id: runId,
      project_id: project.id,
      category_id: project.category_id,
      cast_votes: opts.votes ?? 10,
      valid_votes: opts.votes ?? 10,
      rank: opts.rank ?? 1,
      champion: opts.champion === false ? 0 : 1,
      tied_at_cutoff: opts.tied ? 1 : 0,
    })
    .execute();
}

/** Confirms `project` as a winner of its category (as the organisers' winners page would). */
export async function winner(
  db: Db,
  editionId: number,
  project: { id: number; category_id: number },
  confirmedBy: number | null = null,
) {
  await db
    .insertInto("winners")
    .values({
      edition_id: editionId,
      category_id: project.category_id,
      project_id: project.id,
      override_reason: null,
      confirmed_by: confirmedBy,
      confirmed_at: new Date().toISOString(),
    })
    .execute();
}

/**
 * A ready-to-publish contest: in each of `codes`, `perCategory` champions from distinct organisations (each
 * with a contact and, for the first, a member), the first champion confirmed as winner.
 */
export async function readyContest(
  db: Db,
  opts: { now: Date; codes?: string[]; perCategory?: number; year?: number },
) {
  const edition = await resultsEdition(db, { now: opts.now, year: opts.year });
  const runId = await tallyRun(db, edition.id);
  const projects: Array<{
    id: number;
    category_id: number;
    title: string;
    organisation_id: number;
    code: string;
  }> = [];
  const winners: number[] = [];
  for (const code of opts.codes ?? ["C1", "C4"]) {
    for (let i = 0; i < (opts.perCategory ?? 2); i++) {
      const organisation = await org(db);
      const p = await nominee(db, edition.id, code, organisation.id);
      await champion(db, runId, p, { rank: i + 1 });
      projects.push({ ...p, code });
      if (i === 0) {
        await winner(db, edition.id, p);
        winners.push(p.id);
      }
    }
  }
  return { edition, runId, projects, winners };
}
