/** Rows for submission tests, written straight to the database (no pages, no password hashing). */
import type { Db } from "../../db/client";
import type { Edition, Role } from "../../db/schema";
import type { ProjectFormValues } from "../../app/schemas/project";

export const CREATED = "2026-01-01T00:00:00.000Z";

/** `n` distinct words. */
export function words(n: number, prefix = "word"): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");
}

/** An edition whose submission phase runs from `opens` to `closes`; the later phases follow, a month each. */
export async function makeEdition(
  db: Db,
  input: { year: number; opens: Date; closes: Date; minLongAnswerWords?: number; timezone?: string },
): Promise<Edition> {
  const month = 30 * 24 * 3600 * 1000;
  const at = (k: number) => new Date(input.closes.getTime() + k * month).toISOString();
  return db
    .insertInto("editions")
    .values({
      year: input.year,
      name: `WSIS Prizes ${input.year}`,
      timezone: input.timezone ?? "Europe/Zurich",
      submission_opens_at: input.opens.toISOString(),
      submission_closes_at: input.closes.toISOString(),
      nomination_opens_at: at(0),
      nomination_closes_at: at(1),
      voting_opens_at: at(1),
      voting_closes_at: at(2),
      selection_opens_at: at(2),
      selection_closes_at: at(3),
      announcement_opens_at: at(3),
      announcement_closes_at: at(4),
      min_long_answer_words: input.minLongAnswerWords ?? 50,
      created_at: CREATED,
      nominees_published_at: null,
      results_published_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A verified user holding `roles`. */
export async function makeUser(db: Db, email: string, roles: Role[] = ["submitter"], name = "Test User") {
  const user = await db
    .insertInto("users")
    .values({
      email,
      email_canonical: email.toLowerCase(),
      name,
      password_hash: "not-a-real-hash",
      email_verified_at: CREATED,
      created_at: CREATED,
      pending_email: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const role of roles) {
    await db
      .insertInto("user_roles")
      .values({ user_id: user.id, role, granted_by: null, created_at: CREATED })
      .execute();
  }
  return user;
}

/** An organisation with `members` as its members. */
export async function makeOrganisation(
  db: Db,
  input: { name: string; contactEmail: string; members: number[]; country?: string },
) {
  const org = await db
    .insertInto("organisations")
    .values({
      name: input.name,
      stakeholder_type: "civil_society",
      country: input.country ?? "KE",
      region: "africa",
      website: null,
      contact_name: "Contact Person",
      contact_email: input.contactEmail,
      created_by: input.members[0] ?? null,
      created_at: CREATED,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const userId of input.members) {
    await db
      .insertInto("organisation_members")
      .values({ organisation_id: org.id, user_id: userId, created_at: CREATED })
      .execute();
  }
  return org;
}

export { categoryId } from "../fixtures/contest";

/** A questionnaire that passes every submit rule (170-word description, 60-word long answers). */
export function completeValues(
  categoryIdValue: number,
  overrides: Partial<ProjectFormValues> = {},
): ProjectFormValues {
  return {
    category_id: String(categoryIdValue),
    title: "Digital skills for rural schools",
    website: "https://example.org/project",
    country: "KE",
    start_year: "2020",
    implementation_status: "completed",
    short_description: words(170, "desc"),
    sdgs: ["4", "17"],
    gdc_objectives: ["1", "2"],
    action_line_linkage: words(60, "al"),
    sdg_linkage: words(60, "sdg"),
    gdc_linkage: words(60, "gdc"),
    impact: words(60, "impact"),
    partnerships: words(60, "part"),
    challenges: words(60, "chal"),
    ...overrides,
  };
}
