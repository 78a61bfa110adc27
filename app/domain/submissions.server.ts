/**
 * The submission phase (DESIGN §3): organisations draft, submit, edit and withdraw projects until the
 * deadline (windows.ts). Every function takes `now` (the server decides whether the phase is open) and an
 * optional database; ownership (membership of the project's organisation) is checked here, not only in
 * routes. What the submitter's pages show: submitter.server.ts; reviewer flags: project-flags.server.ts.
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
import { currentEdition } from "./editions.server";
import { canonicalEmail } from "./email";
import { isMember } from "./organisations.server";
import type { Jobs } from "../jobs/contract";
import { dispatchOutbox, queueEmail } from "./outbox.server";
import { formatInstant } from "./phases";
import { clearFlags, recomputeFlags } from "./project-flags.server";
import { formatNumberList } from "./sdgs";
import { fingerprint, normaliseText } from "./text";
import { submissionWindow } from "./windows";

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
  jobs?: Jobs,
): Promise<SubmissionResult> {
  if (!(await isMember(args.userId, args.organisationId, database))) return NOT_FOUND;
  const edition = await currentEdition(args.now, database);
  if (!edition)
    return { ok: false, status: 409, errors: { form: "There is no edition open for submissions." } };
  return writeProject({ ...args, edition, project: null }, database, jobs);
}

/**
 * Saves or submits changes to a project of one of the user's organisations. Saving a submitted project
 * re-validates it as a submission (it stays submitted); saving a draft or withdrawn project keeps it a draft.
 */
export async function updateProject(
  args: { userId: number; projectId: number; input: ProjectInput; intent: Intent; now: Date },
  database: Db = db(),
  jobs?: Jobs,
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
  return writeProject({ ...args, organisationId: project.organisation_id, edition, project }, database, jobs);
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
  jobs: Jobs | undefined,
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
  await dispatchOutbox(emailIds, database, jobs);
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
