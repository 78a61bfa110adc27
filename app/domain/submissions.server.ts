/**
 * The submission phase (DESIGN §3): organisations draft, submit, edit and withdraw projects until the
 * deadline. Every function takes `now` (the server decides whether the phase is open) and an optional
 * database; ownership (membership of the project's organisation) is checked here, not only in routes.
 */
import { sql, type Transaction } from "kysely";
import { dialectOf, isUniqueViolation, type Db } from "../../db/client";
import type { Database, Edition, Project, ProjectStatus } from "../../db/schema";
import { submissionConfirmation } from "../../emails/templates/submission-confirmation";
import {
  draftProjectSchema,
  projectErrorsFrom,
  projectValuesOfInput,
  submitProjectSchema,
  type ProjectErrors,
  type ProjectInput,
  type ProjectSchemaOptions,
} from "../schemas/project";
import { db } from "../utils/db.server";
import { env } from "../utils/env.server";
import { audit } from "./audit.server";
import { currentEdition, listCategories, categoryById } from "./editions.server";
import { canonicalEmail } from "./email";
import { isMember, listOrganisationsOf } from "./organisations.server";
import { dispatchOutbox, queueEmail } from "./outbox.server";
import { formatInstant } from "./phases";
import { formatNumberList } from "./sdgs";
import { nearDuplicates, titleSimilarity, SIMILAR_TITLE_THRESHOLD } from "./similarity";
import { fingerprint, normaliseText } from "./text";
import { submissionWindow } from "./windows";

/** Sends committed outbox rows (tests pass a recorder instead of reaching Redis). */
export type Dispatch = (ids: ReadonlyArray<number | null>) => Promise<void>;

export type SubmissionResult =
  | { ok: true; projectId: number; status: ProjectStatus }
  | {
      ok: false;
      /** 400 invalid input, 404 not yours / not found, 409 refused by a rule (deadline, duplicate, taken category). */
      status: 400 | 404 | 409;
      errors: ProjectErrors;
      /** The project that blocks this one (same organisation and category, or an exact duplicate the user may see). */
      existing?: { id: number; title: string };
    };

const NOT_FOUND: SubmissionResult = {
  ok: false,
  status: 404,
  errors: { form: "This project does not exist or you are not a member of its organisation." },
};

/** The schema options an edition implies at `now`. */
export function schemaOptions(edition: Edition, now: Date): ProjectSchemaOptions {
  return { minLongAnswerWords: edition.min_long_answer_words, currentYear: now.getUTCFullYear() };
}

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

type Intent = "save" | "submit";

/** Thrown inside a transaction to roll it back with a result for the caller. */
class Refusal extends Error {
  constructor(readonly result: SubmissionResult) {
    super("refused");
  }
}

/**
 * Creates a project for an organisation in the current edition: saved as a draft, or submitted at once.
 * Refused after the deadline, for non-members (404), in a category the organisation already uses (with a
 * message naming that project), and on submit for incomplete answers or an exact duplicate.
 */
export async function createProject(
  args: { userId: number; organisationId: number; input: ProjectInput; intent: Intent; now: Date },
  database: Db = db(),
  dispatch: Dispatch = dispatchOutbox,
): Promise<SubmissionResult> {
  if (!(await isMember(args.userId, args.organisationId, database))) return NOT_FOUND;
  const edition = await currentEdition(args.now, database);
  if (!edition)
    return { ok: false, status: 409, errors: { form: "There is no edition open for submissions." } };
  return writeProject({ ...args, edition, project: null }, database, dispatch);
}

/**
 * Saves or submits changes to a project of one of the user's organisations. Saving a submitted project
 * re-validates it as a submission (it stays submitted); saving a draft or withdrawn project keeps it a draft.
 */
export async function updateProject(
  args: { userId: number; projectId: number; input: ProjectInput; intent: Intent; now: Date },
  database: Db = db(),
  dispatch: Dispatch = dispatchOutbox,
): Promise<SubmissionResult> {
  const project = await database
    .selectFrom("projects")
    .selectAll()
    .where("id", "=", args.projectId)
    .executeTakeFirst();
  if (!project || !(await isMember(args.userId, project.organisation_id, database))) return NOT_FOUND;
  const edition = await database
    .selectFrom("editions")
    .selectAll()
    .where("id", "=", project.edition_id)
    .executeTakeFirstOrThrow();
  return writeProject(
    { ...args, organisationId: project.organisation_id, edition, project },
    database,
    dispatch,
  );
}

async function writeProject(
  args: {
    userId: number;
    organisationId: number;
    edition: Edition;
    project: Project | null;
    input: ProjectInput;
    intent: Intent;
    now: Date;
  },
  database: Db,
  dispatch: Dispatch,
): Promise<SubmissionResult> {
  const { edition, project, now } = args;
  const window = submissionWindow(edition, now);
  if (!window.open) return { ok: false, status: 409, errors: { form: window.message } };

  const target: ProjectStatus =
    args.intent === "submit" || project?.status === "submitted" ? "submitted" : "draft";
  // The domain re-validates what the route parsed: a submitted project is complete whoever calls this.
  const schema = target === "submitted" ? submitProjectSchema : draftProjectSchema;
  const parsed = schema(schemaOptions(edition, now)).safeParse(projectValuesOfInput(args.input));
  if (!parsed.success) return { ok: false, status: 400, errors: projectErrorsFrom(parsed.error.issues) };
  const input = parsed.data;

  const category = await database
    .selectFrom("categories")
    .select(["id", "code", "name"])
    .where("id", "=", input.category_id)
    .executeTakeFirst();
  if (!category)
    return { ok: false, status: 400, errors: { category_id: "Choose a category from the list." } };

  const nowIso = now.toISOString();
  const print = fingerprint(input.title, input.short_description);
  const columns = {
    category_id: input.category_id,
    title: input.title,
    website: input.website,
    country: input.country,
    start_year: input.start_year,
    implementation_status: input.implementation_status,
    short_description: input.short_description,
    sdgs: formatNumberList(input.sdgs),
    gdc_objectives: formatNumberList(input.gdc_objectives),
    action_line_linkage: input.action_line_linkage,
    sdg_linkage: input.sdg_linkage,
    gdc_linkage: input.gdc_linkage,
    impact: input.impact,
    partnerships: input.partnerships,
    challenges: input.challenges,
    fingerprint: print,
    title_normalised: normaliseText(input.title),
    status: target,
    updated_at: nowIso,
  };
  const becomesSubmitted = target === "submitted" && project?.status !== "submitted";

  let emailIds: Array<number | null> = [];
  let projectId: number;
  try {
    const outcome = await database.transaction().execute(async (trx) => {
      if (target === "submitted")
        await refuseExactDuplicate(trx, args.userId, edition.id, project?.id ?? null, print);
      let id: number;
      if (project) {
        const updated = await trx
          .updateTable("projects")
          .set({ ...columns, submitted_at: becomesSubmitted ? nowIso : project.submitted_at })
          .where("id", "=", project.id)
          .where("organisation_id", "=", args.organisationId)
          .returning("id")
          .executeTakeFirst();
        if (!updated) throw new Refusal(NOT_FOUND);
        id = updated.id;
      } else {
        const inserted = await trx
          .insertInto("projects")
          .values({
            ...columns,
            edition_id: edition.id,
            organisation_id: args.organisationId,
            submitted_at: target === "submitted" ? nowIso : null,
            created_at: nowIso,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        id = inserted.id;
      }
      let ids: Array<number | null> = [];
      if (target === "submitted") {
        await recomputeFlags(trx, { id, edition, organisationId: args.organisationId, ...input }, now);
        if (becomesSubmitted) {
          await audit(trx, {
            actorUserId: args.userId,
            action: "project.submit",
            entity: "project",
            entityId: id,
            before: project ? { status: project.status } : undefined,
            after: { status: "submitted", submitted_at: nowIso },
            now,
          });
          ids = await queueConfirmation(trx, {
            projectId: id,
            userId: args.userId,
            edition,
            category,
            input,
            now,
          });
        }
      }
      return { id, ids };
    });
    projectId = outcome.id;
    emailIds = outcome.ids;
  } catch (error) {
    if (error instanceof Refusal) return error.result;
    if (isUniqueViolation(error))
      return categoryTaken(args.organisationId, edition.id, input.category_id, database);
    throw error;
  }
  await dispatch(emailIds);
  return { ok: true, projectId, status: target };
}

/** The friendly side of the one-project-per-organisation-per-category constraint. */
async function categoryTaken(
  organisationId: number,
  editionId: number,
  categoryId: number,
  database: Db,
): Promise<SubmissionResult> {
  const existing = await database
    .selectFrom("projects")
    .select(["id", "title"])
    .where("organisation_id", "=", organisationId)
    .where("edition_id", "=", editionId)
    .where("category_id", "=", categoryId)
    .executeTakeFirst();
  const name = existing?.title ? `“${existing.title}”` : "an untitled draft";
  return {
    ok: false,
    status: 409,
    errors: {
      category_id: `Your organisation already has a project in this category in this edition: ${name}. Each organisation may enter one project per category; open that project to continue it, or choose another category.`,
    },
    existing: existing ? { id: existing.id, title: existing.title } : undefined,
  };
}

/**
 * Refuses (rolls back with a 409) when a submitted project of the edition has the same fingerprint. The
 * match is named only when the user may see it (a project of one of their organisations).
 */
async function refuseExactDuplicate(
  trx: Transaction<Database>,
  userId: number,
  editionId: number,
  selfId: number | null,
  print: string,
): Promise<void> {
  // PostgreSQL: serialise submissions of the same text, so two concurrent ones cannot both pass the check.
  // (SQLite runs one write transaction at a time.)
  if (dialectOf(trx) === "postgres") await sql`select pg_advisory_xact_lock(hashtext(${print}))`.execute(trx);
  let query = trx
    .selectFrom("projects")
    .select(["id", "title", "organisation_id"])
    .where("edition_id", "=", editionId)
    .where("fingerprint", "=", print)
    .where("status", "=", "submitted");
  if (selfId !== null) query = query.where("id", "!=", selfId);
  const match = await query.orderBy("id").executeTakeFirst();
  if (!match) return;
  const message =
    "The same project may not be submitted twice: a project with this title and short description";
  if (await isMember(userId, match.organisation_id, trx)) {
    throw new Refusal({
      ok: false,
      status: 409,
      errors: { title: `${message} is already submitted by your organisation: “${match.title}”.` },
      existing: { id: match.id, title: match.title },
    });
  }
  throw new Refusal({
    ok: false,
    status: 409,
    errors: { title: `${message} has already been submitted in this edition by another organisation.` },
  });
}

/**
 * Re-derives the reviewer flags of a project being submitted: near-duplicates among the edition's submitted
 * projects (both directions, so the earlier project shows the link too) and earlier editions' winners, and
 * likely previous winners (same organisation, similar title).
 */
async function recomputeFlags(
  trx: Transaction<Database>,
  p: { id: number; edition: Edition; organisationId: number; title: string; short_description: string },
  now: Date,
): Promise<void> {
  await clearFlags(trx, p.id, p.edition.id);
  const [peers, winners] = await Promise.all([
    trx
      .selectFrom("projects")
      .select(["id", "title", "short_description as description"])
      .where("edition_id", "=", p.edition.id)
      .where("status", "=", "submitted")
      .where("id", "!=", p.id)
      .execute(),
    trx
      .selectFrom("awards as a")
      .innerJoin("projects as w", "w.id", "a.project_id")
      .innerJoin("editions as e", "e.id", "a.edition_id")
      .select(["w.id", "w.title", "w.short_description as description", "w.organisation_id"])
      .where("a.kind", "=", "winner")
      .where("e.year", "<", p.edition.year)
      .execute(),
  ]);
  const subject = { title: p.title, description: p.short_description };
  const createdAt = now.toISOString();
  const rows: Array<{
    project_id: number;
    kind: "near_duplicate" | "previous_winner";
    match_project_id: number;
    score: number;
  }> = [];
  for (const { candidate, score } of nearDuplicates(subject, peers)) {
    rows.push({ project_id: p.id, kind: "near_duplicate", match_project_id: candidate.id, score });
    rows.push({ project_id: candidate.id, kind: "near_duplicate", match_project_id: p.id, score });
  }
  for (const { candidate, score } of nearDuplicates(subject, winners)) {
    rows.push({ project_id: p.id, kind: "near_duplicate", match_project_id: candidate.id, score });
  }
  for (const w of winners) {
    if (w.organisation_id !== p.organisationId) continue;
    const score = titleSimilarity(p.title, w.title);
    if (score >= SIMILAR_TITLE_THRESHOLD) {
      rows.push({
        project_id: p.id,
        kind: "previous_winner",
        match_project_id: w.id,
        score: Math.round(score * 1000) / 1000,
      });
    }
  }
  for (let i = 0; i < rows.length; i += 100) {
    await trx
      .insertInto("project_flags")
      .values(rows.slice(i, i + 100).map((r) => ({ ...r, created_at: createdAt })))
      .onConflict((oc) => oc.columns(["project_id", "kind", "match_project_id"]).doNothing())
      .execute();
  }
}

/** Removes a project's flags and the near-duplicate flags of its edition's projects that point at it. */
async function clearFlags(trx: Transaction<Database>, projectId: number, editionId: number): Promise<void> {
  await trx.deleteFrom("project_flags").where("project_id", "=", projectId).execute();
  await trx
    .deleteFrom("project_flags")
    .where("kind", "=", "near_duplicate")
    .where("match_project_id", "=", projectId)
    .where("project_id", "in", trx.selectFrom("projects").select("id").where("edition_id", "=", editionId))
    .execute();
}

/**
 * Queues the confirmation email to the organisation's contact and the submitting user. The key is per
 * project and recipient, so re-submitting after edits (or after a withdrawal) never sends a second copy.
 */
async function queueConfirmation(
  trx: Transaction<Database>,
  a: {
    projectId: number;
    userId: number;
    edition: Edition;
    category: { code: string; name: string };
    input: ProjectInput;
    now: Date;
  },
): Promise<Array<number | null>> {
  const [organisation, user] = await Promise.all([
    trx
      .selectFrom("projects as p")
      .innerJoin("organisations as o", "o.id", "p.organisation_id")
      .select(["o.name", "o.contact_email"])
      .where("p.id", "=", a.projectId)
      .executeTakeFirstOrThrow(),
    trx.selectFrom("users").select("email").where("id", "=", a.userId).executeTakeFirstOrThrow(),
  ]);
  const content = submissionConfirmation({
    projectTitle: a.input.title,
    organisationName: organisation.name,
    categoryCode: a.category.code,
    categoryName: a.category.name,
    editionName: a.edition.name,
    submittedAt: formatInstant(a.now, a.edition.timezone),
    deadline: formatInstant(a.edition.submission_closes_at, a.edition.timezone),
    url: `${env().APP_URL}/submissions/${a.projectId}`,
  });
  const recipients = new Map<string, string>();
  for (const address of [organisation.contact_email, user.email]) {
    const key = canonicalEmail(address);
    if (address.trim() && !recipients.has(key)) recipients.set(key, address.trim());
  }
  const ids: Array<number | null> = [];
  for (const [key, to] of recipients) {
    ids.push(
      await queueEmail(trx, {
        key: `project-submitted:${a.projectId}:${key}`,
        kind: "project_submitted",
        to,
        content,
        now: a.now,
      }),
    );
  }
  return ids;
}

/**
 * Withdraws a submitted project (before the deadline): it leaves the review, its flags are cleared, and it
 * can be edited and submitted again while the phase is open.
 */
export async function withdrawProject(
  args: { userId: number; projectId: number; now: Date },
  database: Db = db(),
): Promise<SubmissionResult> {
  const project = await database
    .selectFrom("projects")
    .selectAll()
    .where("id", "=", args.projectId)
    .executeTakeFirst();
  if (!project || !(await isMember(args.userId, project.organisation_id, database))) return NOT_FOUND;
  const edition = await database
    .selectFrom("editions")
    .selectAll()
    .where("id", "=", project.edition_id)
    .executeTakeFirstOrThrow();
  const window = submissionWindow(edition, args.now);
  if (!window.open) return { ok: false, status: 409, errors: { form: window.message } };
  if (project.status !== "submitted") {
    return { ok: false, status: 409, errors: { form: "Only a submitted project can be withdrawn." } };
  }
  await database.transaction().execute(async (trx) => {
    await trx
      .updateTable("projects")
      .set({ status: "withdrawn", submitted_at: null, updated_at: args.now.toISOString() })
      .where("id", "=", project.id)
      .where("status", "=", "submitted")
      .execute();
    await clearFlags(trx, project.id, edition.id);
    await audit(trx, {
      actorUserId: args.userId,
      action: "project.withdraw",
      entity: "project",
      entityId: project.id,
      before: { status: "submitted", submitted_at: project.submitted_at },
      after: { status: "withdrawn" },
      now: args.now,
    });
  });
  return { ok: true, projectId: project.id, status: "withdrawn" };
}
