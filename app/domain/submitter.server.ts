/**
 * What a submitter sees (DESIGN §3): the projects of their organisations with their outcome once the nominee
 * list is published, one of their projects, the categories their organisation still has free, and the
 * new-project page. Someone else's project looks exactly like a missing one. Writing projects:
 * submissions.server.ts.
 */
import type { Db } from "../../db/client";
import type { ProjectStatus } from "../../db/schema";
import { db } from "../utils/db.server";
import { categoryById, currentEdition, listCategories } from "./editions.server";
import { isMember, listOrganisationsOf } from "./organisations.server";
import { submissionWindow } from "./windows";

export type ProjectOutcome = "nominated" | "not_nominated" | null;

/** One line of the submitter's list. */
export interface ProjectRow {
  id: number;
  title: string;
  status: ProjectStatus;
  updated_at: string;
  submitted_at: string | null;
  organisation_id: number;
  organisation_name: string;
  category_code: string;
  category_name: string;
  outcome: ProjectOutcome;
}

/**
 * The submitter's list: every project of the user's organisations in the current edition, with its status
 * and, once the nominee list is published (and only then), whether it was nominated.
 */
export async function submissionOverview(userId: number, now: Date, database: Db = db()) {
  const [edition, organisations] = await Promise.all([
    currentEdition(now, database),
    listOrganisationsOf(userId, database),
  ]);
  const none: ProjectRow[] = [];
  if (!edition) return { edition: null, window: null, organisations, projects: none };
  const orgIds = organisations.map((o) => o.id);
  const published = edition.nominees_published_at !== null;
  const rows = orgIds.length
    ? await database
        .selectFrom("projects as p")
        .innerJoin("organisations as o", "o.id", "p.organisation_id")
        .innerJoin("categories as c", "c.id", "p.category_id")
        .leftJoin("nomination_decisions as d", "d.project_id", "p.id")
        .select([
          "p.id",
          "p.title",
          "p.status",
          "p.updated_at",
          "p.submitted_at",
          "p.organisation_id",
          "o.name as organisation_name",
          "c.code as category_code",
          "c.name as category_name",
          "d.decision",
        ])
        .where("p.edition_id", "=", edition.id)
        .where("p.organisation_id", "in", orgIds)
        .orderBy("o.name")
        .orderBy("c.position")
        .execute()
    : [];
  const projects = rows.map(({ decision, ...p }): ProjectRow => {
    // Decisions stay private until organisers publish the nominee list.
    let outcome: ProjectOutcome = null;
    if (published && p.status === "submitted" && decision)
      outcome = decision === "nominate" ? "nominated" : "not_nominated";
    return { ...p, outcome };
  });
  return { edition, window: submissionWindow(edition, now), organisations, projects };
}

/**
 * A project with its edition, organisation and category, when `userId` is a member of its organisation;
 * otherwise undefined (someone else's project looks exactly like a missing one).
 */
export async function findOwnProject(userId: number, projectId: number, database: Db = db()) {
  const project = await database
    .selectFrom("projects")
    .selectAll()
    .where("id", "=", projectId)
    .executeTakeFirst();
  if (!project || !(await isMember(userId, project.organisation_id, database))) return undefined;
  const [edition, organisation, category, decision] = await Promise.all([
    database
      .selectFrom("editions")
      .selectAll()
      .where("id", "=", project.edition_id)
      .executeTakeFirstOrThrow(),
    database
      .selectFrom("organisations")
      .select(["id", "name", "country"])
      .where("id", "=", project.organisation_id)
      .executeTakeFirstOrThrow(),
    categoryById(database, project.category_id),
    database
      .selectFrom("nomination_decisions")
      .select("decision")
      .where("project_id", "=", projectId)
      .executeTakeFirst(),
  ]);
  let outcome: ProjectOutcome = null;
  if (edition.nominees_published_at !== null && project.status === "submitted" && decision) {
    outcome = decision.decision === "nominate" ? "nominated" : "not_nominated";
  }
  return { project, edition, organisation, category, outcome };
}

/** A category with the organisation's project already in it, if any. */
export interface CategoryChoice {
  id: number;
  code: string;
  name: string;
  taken: { id: number; title: string } | null;
}

/** The categories with, for one organisation and edition, the project already using each (if any). */
export async function categoriesFor(
  organisationId: number,
  editionId: number,
  database: Db = db(),
): Promise<CategoryChoice[]> {
  const [categories, taken] = await Promise.all([
    listCategories(database),
    database
      .selectFrom("projects")
      .select(["id", "title", "category_id"])
      .where("organisation_id", "=", organisationId)
      .where("edition_id", "=", editionId)
      .execute(),
  ]);
  const byCategory = new Map(taken.map((p) => [p.category_id, { id: p.id, title: p.title }]));
  return categories.map((c) => ({ ...c, taken: byCategory.get(c.id) ?? null }));
}

/** What the "new project" page needs, or undefined when the user is not a member of the organisation. */
export async function newProjectContext(
  userId: number,
  organisationId: number,
  now: Date,
  database: Db = db(),
) {
  if (!(await isMember(userId, organisationId, database))) return undefined;
  const organisation = await database
    .selectFrom("organisations")
    .select(["id", "name", "country"])
    .where("id", "=", organisationId)
    .executeTakeFirstOrThrow();
  const edition = await currentEdition(now, database);
  const none: CategoryChoice[] = [];
  if (!edition) return { organisation, edition: null, window: null, categories: none };
  return {
    organisation,
    edition,
    window: submissionWindow(edition, now),
    categories: await categoriesFor(organisationId, edition.id, database),
  };
}
