import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createDb, dialectOf, isUniqueViolation, type Db, type Dialect } from "../../db/client";
import { migrateDown, migrateToLatest } from "../../db/migrate";
import { migrations } from "../../db/migrations/index";
import { prepareDatabase } from "../../db/prepare";
import { DIALECTS } from "../helpers/db";
import { emptyLongAnswers } from "../../app/schemas/project-options";

/** DESIGN §2, copied by hand so that the test checks the data rather than repeating the code. */
const DESIGN_CATEGORIES: ReadonlyArray<[string, string]> = [
  [
    "C1",
    "The role of public governance authorities and all stakeholders in the promotion of ICTs for development",
  ],
  ["C2", "Information and communication infrastructure"],
  ["C3", "Access to information and knowledge"],
  ["C4", "Capacity building"],
  ["C5", "Building confidence and security in the use of ICTs"],
  ["C6", "Enabling environment"],
  ["C7-EGOV", "ICT applications: E-government"],
  ["C7-EBUS", "ICT applications: E-business"],
  ["C7-ELEARN", "ICT applications: E-learning"],
  ["C7-EHEALTH", "ICT applications: E-health"],
  ["C7-EEMPLOY", "ICT applications: E-employment"],
  ["C7-EENV", "ICT applications: E-environment"],
  ["C7-EAGRI", "ICT applications: E-agriculture"],
  ["C7-ESCI", "ICT applications: E-science"],
  ["C8", "Cultural diversity and identity, linguistic diversity and local content"],
  ["C9", "Media"],
  ["C10", "Ethical dimensions of the Information Society"],
  ["C11", "International and regional cooperation"],
];

/** An empty database (no migrations applied): a new SQLite file, or a new PostgreSQL schema. */
async function emptyDb(dialect: Dialect): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "wsis-dbtest-"));
    const db = createDb(join(dir, "test.sqlite"));
    return {
      db,
      async cleanup() {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = process.env.TEST_POSTGRES_URL ?? "";
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const db = createDb(base, { schema, poolSize: 3 });
  return {
    db,
    async cleanup() {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    },
  };
}

/** The tables of this database (on PostgreSQL, of its own schema: introspection would list every schema's). */
async function tableNames(db: Db): Promise<string[]> {
  const tables = await db.introspection.getTables();
  let schema: string | undefined;
  if (dialectOf(db) === "postgres") {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    schema = rows[0]?.schema;
  }
  return tables
    .filter((t) => schema === undefined || t.schema === schema)
    .map((t) => t.name)
    .sort();
}

/** The driver error a failing statement throws (Kysely passes it through untouched). */
async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error("expected the statement to fail");
}

describe.each(DIALECTS)("database on %s", (dialect) => {
  let current: { db: Db; cleanup: () => Promise<void> } | undefined;
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });

  async function prepared(): Promise<Db> {
    current = await emptyDb(dialect);
    await prepareDatabase(current.db);
    return current.db;
  }

  it("talks to the expected engine", async () => {
    const db = await prepared();
    expect(dialectOf(db)).toBe(dialect);
  });

  it("applies every migration, and a second run applies nothing", async () => {
    current = await emptyDb(dialect);
    const first = await migrateToLatest(current.db);
    expect(first.results?.map((r) => [r.migrationName, r.status])).toEqual(
      Object.keys(migrations).map((name) => [name, "Success"]),
    );
    const second = await migrateToLatest(current.db);
    expect(second.results).toEqual([]);
    expect(await tableNames(current.db)).toEqual(
      expect.arrayContaining([
        "users",
        "user_roles",
        "sessions",
        "categories",
        "editions",
        "projects",
        "outbox",
      ]),
    );
  });

  it("holds the 18 categories of DESIGN §2 with their exact codes and names, in order, once", async () => {
    const db = await prepared();
    await prepareDatabase(db); // a second start must not duplicate or reorder them
    const rows = await db
      .selectFrom("categories")
      .select(["code", "name", "position"])
      .orderBy("position")
      .execute();
    expect(rows.map((r) => [r.code, r.name])).toEqual(DESIGN_CATEGORIES);
    expect(rows.map((r) => r.position)).toEqual(DESIGN_CATEGORIES.map((_, i) => i + 1));
  });

  it.runIf(dialect === "postgres")(
    "keeps its migration bookkeeping in its own schema, whatever other schemas hold",
    async () => {
      // Another app (or a parallel test run) with Kysely migrations in another schema of the same database.
      const decoy = await emptyDb(dialect);
      try {
        await migrateToLatest(decoy.db);
        current = await emptyDb(dialect);
        await migrateToLatest(current.db);
        await migrateToLatest(current.db);
        expect(await current.db.selectFrom("categories").select("id").execute()).toEqual([]);
        await prepareDatabase(current.db);
        expect(await current.db.selectFrom("categories").select("id").execute()).toHaveLength(18);
        // The decoy is untouched: still fully migrated, no categories seeded there.
        expect(await decoy.db.selectFrom("categories").select("id").execute()).toEqual([]);
      } finally {
        await decoy.cleanup();
      }
    },
  );

  it("enforces the unique constraints, and isUniqueViolation recognises them", async () => {
    const db = await prepared();
    const now = new Date().toISOString();
    const user = (email: string) => ({
      email,
      email_canonical: email.toLowerCase(),
      name: "N",
      password_hash: "x",
      email_verified_at: null,
      pending_email: null,
      created_at: now,
    });
    const u = await db
      .insertInto("users")
      .values(user("a@example.org"))
      .returning("id")
      .executeTakeFirstOrThrow();
    const e1 = await errorOf(() => db.insertInto("users").values(user("A@example.org")).execute());
    expect(isUniqueViolation(e1)).toBe(true);

    await db
      .insertInto("user_roles")
      .values({ user_id: u.id, role: "voter", granted_by: null, created_at: now })
      .execute();
    const e2 = await errorOf(() =>
      db
        .insertInto("user_roles")
        .values({ user_id: u.id, role: "voter", granted_by: null, created_at: now })
        .execute(),
    );
    expect(isUniqueViolation(e2)).toBe(true);

    const outbox = {
      idempotency_key: "welcome:1",
      kind: "welcome",
      to_address: "a@example.org",
      subject: "s",
      html: "h",
      text: "t",
      status: "queued" as const,
      attempts: 0,
      last_error: null,
      created_at: now,
      sent_at: null,
    };
    await db.insertInto("outbox").values(outbox).execute();
    const e3 = await errorOf(() =>
      db
        .insertInto("outbox")
        .values({ ...outbox, to_address: "b@example.org" })
        .execute(),
    );
    expect(isUniqueViolation(e3)).toBe(true);

    const edition = await db
      .insertInto("editions")
      .values({
        year: 2030,
        name: "E",
        timezone: "Europe/Zurich",
        submission_opens_at: now,
        submission_closes_at: now,
        nomination_opens_at: now,
        nomination_closes_at: now,
        voting_opens_at: now,
        voting_closes_at: now,
        selection_opens_at: now,
        selection_closes_at: now,
        announcement_opens_at: now,
        announcement_closes_at: now,
        min_long_answer_words: 50,
        created_at: now,
        nominees_published_at: null,
        results_published_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const org = await db
      .insertInto("organisations")
      .values({
        name: "O",
        stakeholder_type: "academia",
        country: "CH",
        region: "europe",
        website: null,
        contact_name: "C",
        contact_email: "c@example.org",
        created_by: u.id,
        created_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const [c1, c2] = await db.selectFrom("categories").select("id").orderBy("position").limit(2).execute();
    const project = (categoryId: number, title: string) => ({
      edition_id: edition.id,
      organisation_id: org.id,
      category_id: categoryId,
      status: "draft" as const,
      title,
      website: null,
      country: "CH",
      start_year: null,
      implementation_status: null,
      short_description: "",
      sdgs: "",
      gdc_objectives: "",
      ...emptyLongAnswers(),
      fingerprint: title,
      title_normalised: title,
      submitted_at: null,
      created_at: now,
      updated_at: now,
    });
    await db.insertInto("projects").values(project(c1.id, "one")).execute();
    await db.insertInto("projects").values(project(c2.id, "other category")).execute();
    const e4 = await errorOf(() =>
      db.insertInto("projects").values(project(c1.id, "same category")).execute(),
    );
    expect(isUniqueViolation(e4)).toBe(true);

    // Other constraint failures are not unique violations.
    const fk = await errorOf(() =>
      db
        .insertInto("user_roles")
        .values({ user_id: 999_999, role: "expert", granted_by: null, created_at: now })
        .execute(),
    );
    expect(isUniqueViolation(fk)).toBe(false);
    const check = await errorOf(() =>
      db
        .insertInto("outbox")
        .values({ ...outbox, idempotency_key: "k2", status: sql`'nope'` })
        .execute(),
    );
    expect(isUniqueViolation(check)).toBe(false);
    expect(isUniqueViolation(new Error("boom"))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });

  it("migrates down step by step to an empty schema, and up again", async () => {
    const db = await prepared();
    const names = Object.keys(migrations);
    for (let i = names.length - 1; i >= 0; i--) {
      const result = await migrateDown(db);
      expect(result.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([
        [names[i], "Down", "Success"],
      ]);
    }
    expect(await tableNames(db)).toEqual([]);
    await prepareDatabase(db);
    expect(await db.selectFrom("categories").select("code").execute()).toHaveLength(18);
  });

  it.runIf(dialect === "sqlite")(
    "opens SQLite with WAL, foreign keys, a WAL size limit and a busy timeout of a few ms (longer waits on timers)",
    async () => {
      const db = await prepared();
      const pragma = async (name: string) => (await sql.raw(`pragma ${name}`).execute(db)).rows[0];
      expect(await pragma("journal_mode")).toEqual({ journal_mode: "wal" });
      expect(await pragma("foreign_keys")).toEqual({ foreign_keys: 1 });
      expect(await pragma("busy_timeout")).toEqual({ timeout: 5 });
      expect(await pragma("journal_size_limit")).toEqual({ journal_size_limit: 64 * 1024 * 1024 });
    },
  );
});
