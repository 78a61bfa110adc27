import type { Db } from "../../db/client";
import type { Decision, ItuRegion, ProjectStatus, StakeholderType } from "../../db/schema";
import { categoryId } from "../fixtures/contest";

/** Seeds editions, organisations, projects and decisions straight into the database (catalogue tests). */

export const WORDS_160 = Array.from({ length: 160 }, (_, i) => `word${i}`).join(" ");

/** An edition whose phases span the given year; `published` sets nominees_published_at. */
export async function seedEdition(
  db: Db,
  year: number,
  published: string | null,
): Promise<{ id: number; year: number }> {
  const y = (m: string) => `${year}-${m}T00:00:00.000Z`;
  const row = await db
    .insertInto("editions")
    .values({
      year,
      name: `WSIS Prizes ${year}`,
      timezone: "Europe/Zurich",
      submission_opens_at: y("01-01"),
      submission_closes_at: y("02-01"),
      nomination_opens_at: y("02-01"),
      nomination_closes_at: y("03-01"),
      voting_opens_at: y("03-01"),
      voting_closes_at: y("04-01"),
      selection_opens_at: y("04-01"),
      selection_closes_at: y("05-01"),
      announcement_opens_at: y("05-01"),
      announcement_closes_at: y("12-31"),
      min_long_answer_words: 50,
      created_at: y("01-01"),
      nominees_published_at: published,
    })
    .returning(["id", "year"])
    .executeTakeFirstOrThrow();
  return row;
}

/**
 * An edition whose phases surround `now` (voting open), so that currentEdition(new Date()) in a running app
 * picks it; `published` sets nominees_published_at.
 */
export async function seedEditionAround(
  db: Db,
  year: number,
  now: Date,
  published: string | null,
): Promise<{ id: number; year: number }> {
  const at = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();
  const row = await db
    .insertInto("editions")
    .values({
      year,
      name: `WSIS Prizes ${year}`,
      timezone: "Europe/Zurich",
      submission_opens_at: at(-90),
      submission_closes_at: at(-60),
      nomination_opens_at: at(-60),
      nomination_closes_at: at(-30),
      voting_opens_at: at(-10),
      voting_closes_at: at(20),
      selection_opens_at: at(20),
      selection_closes_at: at(40),
      announcement_opens_at: at(40),
      announcement_closes_at: at(200),
      min_long_answer_words: 50,
      created_at: at(-100),
      nominees_published_at: published,
    })
    .returning(["id", "year"])
    .executeTakeFirstOrThrow();
  return row;
}

export async function seedOrganisation(
  db: Db,
  o: { name: string; stakeholder?: StakeholderType; country?: string; region?: ItuRegion },
): Promise<number> {
  const row = await db
    .insertInto("organisations")
    .values({
      name: o.name,
      stakeholder_type: o.stakeholder ?? "civil_society",
      country: o.country ?? "CH",
      region: o.region ?? "europe",
      website: "https://example.org",
      contact_name: "Contact Person",
      contact_email: `contact-${o.name.length}-${Math.random().toString(36).slice(2)}@example.org`,
      created_by: null,
      created_at: "2026-01-01T00:00:00.000Z",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export { categoryId };

export interface ProjectSeed {
  editionId: number;
  organisationId: number;
  category: string;
  title: string;
  status?: ProjectStatus;
  decision?: Decision | null;
  country?: string;
  short?: string;
  long?: string;
  sdgs?: string;
  website?: string | null;
}

export async function seedProject(db: Db, p: ProjectSeed): Promise<number> {
  const status = p.status ?? "submitted";
  const long = p.long ?? "A long answer. ".repeat(20);
  const row = await db
    .insertInto("projects")
    .values({
      edition_id: p.editionId,
      organisation_id: p.organisationId,
      category_id: await categoryId(db, p.category),
      status,
      title: p.title,
      website: p.website ?? null,
      country: p.country ?? "CH",
      start_year: 2020,
      implementation_status: "completed",
      short_description: p.short ?? `${p.title} — ${WORDS_160}`,
      sdgs: p.sdgs ?? "4,9,17",
      gdc_objectives: "1,3",
      action_line_linkage: long,
      sdg_linkage: long,
      gdc_linkage: long,
      impact: long,
      partnerships: long,
      challenges: long,
      fingerprint: `fp-${Math.random().toString(36).slice(2)}`,
      title_normalised: p.title.toLowerCase(),
      submitted_at: status === "draft" ? null : "2026-01-15T00:00:00.000Z",
      created_at: "2026-01-10T00:00:00.000Z",
      updated_at: "2026-01-15T00:00:00.000Z",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const decision = p.decision === undefined ? (status === "submitted" ? "nominate" : null) : p.decision;
  if (decision) {
    await db
      .insertInto("nomination_decisions")
      .values({
        project_id: row.id,
        decision,
        reason: decision === "reject" ? "out_of_scope" : null,
        reason_text: null,
        decided_by: null,
        decided_at: "2026-02-15T00:00:00.000Z",
      })
      .execute();
  }
  return row.id;
}
