import { dialectOf, type Db } from "../../db/client";
import type { Edition } from "../../db/schema";
import { db } from "../utils/db.server";
import { audit } from "./audit.server";
import { scheduleWithPhaseOpen, validatePhaseOrder, type Phase, type PhaseInstants } from "./phases";

/** All categories in display order. */
export async function listCategories(database: Db = db()) {
  return database.selectFrom("categories").select(["id", "code", "name"]).orderBy("position").execute();
}

/** A category's id, code and name; it must exist. */
export async function categoryById(database: Db, id: number) {
  return database
    .selectFrom("categories")
    .select(["id", "code", "name"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

/** The two one-time publications of an edition: its nominee list and its results. */
export type Publication = "nominees_published_at" | "results_published_at";

/**
 * Stamps a one-time publication of the edition (`column` := `now`) unless it is stamped already; false when it
 * was, so that a second publish (another request, a double click) sends nothing again.
 */
export async function stampPublication(
  database: Db,
  editionId: number,
  column: Publication,
  now: Date,
): Promise<boolean> {
  const updated = await database
    .updateTable("editions")
    .set(column, now.toISOString())
    .where("id", "=", editionId)
    .where(column, "is", null)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Editions whose nominees or results (`column`) are public at `now`, newest first ("other editions" links). */
export async function editionsPublished(
  column: Publication,
  now: Date,
  database: Db = db(),
): Promise<Array<{ year: number; name: string }>> {
  return database
    .selectFrom("editions")
    .select(["year", "name"])
    .where(column, "is not", null)
    .where(column, "<=", now.toISOString())
    .orderBy("year", "desc")
    .execute();
}

/**
 * The edition, read inside transaction `trx` and locked on PostgreSQL until it ends (SQLite transactions hold
 * the whole database), so that concurrent publications and confirmations take turns.
 */
export async function lockedEdition(trx: Db, editionId: number): Promise<Edition | undefined> {
  return trx
    .selectFrom("editions")
    .selectAll()
    .where("id", "=", editionId)
    .$if(dialectOf(trx) === "postgres", (qb) => qb.forUpdate())
    .executeTakeFirst();
}

/** All editions, newest first. */
export async function listEditions(database: Db = db()): Promise<Edition[]> {
  return database.selectFrom("editions").selectAll().orderBy("year", "desc").execute();
}

/** One edition by id, or undefined. */
export async function findEdition(id: number, database: Db = db()): Promise<Edition | undefined> {
  return database.selectFrom("editions").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The year of the edition a project belongs to (pages return to it after a change). */
export async function editionYearOfProject(
  projectId: number,
  database: Db = db(),
): Promise<number | undefined> {
  const row = await database
    .selectFrom("projects as p")
    .innerJoin("editions as e", "e.id", "p.edition_id")
    .select("e.year")
    .where("p.id", "=", projectId)
    .executeTakeFirst();
  return row?.year;
}

/** The edition whose public voting is open at `now` (the most recent if several), or undefined. */
export async function votingEdition(now: Date, database: Db = db()): Promise<Edition | undefined> {
  const t = now.toISOString();
  return database
    .selectFrom("editions")
    .selectAll()
    .where("voting_opens_at", "<=", t)
    .where("voting_closes_at", ">", t)
    .orderBy("year", "desc")
    .executeTakeFirst();
}

/** One edition by year, or undefined. */
export async function findEditionByYear(year: number, database: Db = db()): Promise<Edition | undefined> {
  return database.selectFrom("editions").selectAll().where("year", "=", year).executeTakeFirst();
}

/**
 * The edition the public should see at `now`: the one whose phases span `now`, else the next to start,
 * else the most recent one.
 */
export async function currentEdition(now: Date, database: Db = db()): Promise<Edition | undefined> {
  const t = now.toISOString();
  const running = await database
    .selectFrom("editions")
    .selectAll()
    .where("submission_opens_at", "<=", t)
    .where("announcement_closes_at", ">", t)
    .orderBy("year", "desc")
    .executeTakeFirst();
  if (running) return running;
  const next = await database
    .selectFrom("editions")
    .selectAll()
    .where("submission_opens_at", ">", t)
    .orderBy("submission_opens_at")
    .executeTakeFirst();
  return (
    next ?? (await database.selectFrom("editions").selectAll().orderBy("year", "desc").executeTakeFirst())
  );
}

export type EditionInput = { year: number; name: string; timezone: string } & PhaseInstants;

export type EditionResult =
  { ok: true; edition: Edition } | { ok: false; errors: Partial<Record<string, string>> };

/** Creates an edition after checking its phases are in order and its year is free; audit-logged. */
export async function createEdition(
  input: EditionInput,
  actorUserId: number | null,
  now: Date,
  database: Db = db(),
): Promise<EditionResult> {
  const errors = validatePhaseOrder(input);
  if (Object.keys(errors).length) return { ok: false, errors };
  if (await findEditionByYear(input.year, database)) {
    return { ok: false, errors: { year: `An edition for ${input.year} already exists.` } };
  }
  const edition = await database.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("editions")
      .values({ ...input, min_long_answer_words: 50, created_at: now.toISOString() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, {
      actorUserId,
      action: "edition.create",
      entity: "edition",
      entityId: row.id,
      after: row,
      now,
    });
    return row;
  });
  return { ok: true, edition };
}

/** Replaces an edition's name, time zone and phase instants after validation; audit-logged. */
export async function updateEdition(
  editionId: number,
  input: Omit<EditionInput, "year">,
  actorUserId: number | null,
  now: Date,
  database: Db = db(),
): Promise<EditionResult> {
  const errors = validatePhaseOrder(input);
  if (Object.keys(errors).length) return { ok: false, errors };
  const before = await database
    .selectFrom("editions")
    .selectAll()
    .where("id", "=", editionId)
    .executeTakeFirst();
  if (!before) return { ok: false, errors: { form: "This edition does not exist." } };
  const edition = await database.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable("editions")
      .set(input)
      .where("id", "=", editionId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, {
      actorUserId,
      action: "edition.update",
      entity: "edition",
      entityId: editionId,
      before,
      after: row,
      now,
    });
    return row;
  });
  return { ok: true, edition };
}

/** Moves an edition's instants so that `phase` is open at `now` (demos, CLI, tests); audit-logged. */
export async function openPhaseNow(
  year: number,
  phase: Phase,
  actorUserId: number | null,
  now: Date,
  database: Db = db(),
): Promise<Edition | undefined> {
  const edition = await findEditionByYear(year, database);
  if (!edition) return undefined;
  const result = await updateEdition(
    edition.id,
    { name: edition.name, timezone: edition.timezone, ...scheduleWithPhaseOpen(phase, now) },
    actorUserId,
    now,
    database,
  );
  return result.ok ? result.edition : undefined;
}
