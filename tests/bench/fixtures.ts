import { createHash, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import pg from "pg";
import { createDb, type Db } from "../../db/client";
import { prepareDatabase } from "../../db/prepare";
import { scheduleWithPhaseOpen } from "../../app/domain/phases";
import { hashPassword } from "../../app/utils/password.server";
import { emptyLongAnswers } from "../../app/schemas/project-options";

/** An edition with voting open now and `perCategory` published nominees in each of the 18 categories. */
export async function votingEdition(db: Db, perCategory: number, now = new Date()) {
  const iso = now.toISOString();
  const edition = await db
    .insertInto("editions")
    .values({
      year: 2090 + Math.floor(Math.random() * 9),
      name: "Benchmark edition",
      timezone: "Europe/Zurich",
      ...scheduleWithPhaseOpen("voting", now),
      min_long_answer_words: 50,
      created_at: iso,
      nominees_published_at: iso,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const org = await db
    .insertInto("organisations")
    .values({
      name: "Bench org",
      stakeholder_type: "academia",
      country: "CH",
      region: "europe",
      website: null,
      contact_name: "Bench",
      contact_email: "bench@example.org",
      created_by: null,
      created_at: iso,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const categories = await db.selectFrom("categories").select(["id", "code"]).orderBy("position").execute();
  const nominees: number[][] = [];
  for (const c of categories) {
    const ids: number[] = [];
    for (let i = 0; i < perCategory; i++) {
      // One organisation may hold one project per category: extra organisations for the rest.
      const owner =
        i === 0
          ? org.id
          : (
              await db
                .insertInto("organisations")
                .values({
                  name: `Bench org ${c.code}-${i}`,
                  stakeholder_type: "civil_society",
                  country: "KE",
                  region: "africa",
                  website: null,
                  contact_name: "Bench",
                  contact_email: `bench${i}@example.org`,
                  created_by: null,
                  created_at: iso,
                })
                .returning("id")
                .executeTakeFirstOrThrow()
            ).id;
      const p = await db
        .insertInto("projects")
        .values({
          edition_id: edition.id,
          organisation_id: owner,
          category_id: c.id,
          status: "submitted",
          title: `Nominee ${c.code} ${i}`,
          website: null,
          country: "KE",
          start_year: 2020,
          implementation_status: "completed",
          short_description: "x",
          sdgs: "1",
          gdc_objectives: "1",
          ...emptyLongAnswers(),
          fingerprint: `bench-${c.code}-${i}-${randomBytes(4).toString("hex")}`,
          title_normalised: `nominee ${c.code} ${i}`,
          submitted_at: iso,
          created_at: iso,
          updated_at: iso,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await db
        .insertInto("nomination_decisions")
        .values({
          project_id: p.id,
          decision: "nominate",
          reason: null,
          reason_text: null,
          decided_by: null,
          decided_at: iso,
        })
        .execute();
      ids.push(p.id);
    }
    nominees.push(ids);
  }
  return { editionId: edition.id, categories, nominees };
}

/** `count` verified voters, each with a live session; returns their session tokens (cookie values). */
export async function votersWithSessions(db: Db, count: number, now = new Date()): Promise<string[]> {
  const iso = now.toISOString();
  const expires = new Date(now.getTime() + 24 * 3600 * 1000).toISOString();
  const hash = await hashPassword(randomBytes(12).toString("hex"));
  const tokens: string[] = [];
  const tag = randomBytes(4).toString("hex");
  for (let start = 0; start < count; start += 500) {
    const n = Math.min(500, count - start);
    const users = await db
      .insertInto("users")
      .values(
        Array.from({ length: n }, (_, k) => ({
          email: `voter${start + k}.${tag}@bench.example.org`,
          email_canonical: `voter${start + k}.${tag}@bench.example.org`,
          name: `Voter ${start + k}`,
          password_hash: hash,
          email_verified_at: iso,
          pending_email: null,
          created_at: iso,
        })),
      )
      .returning("id")
      .execute();
    await db
      .insertInto("user_roles")
      .values(
        users.map((u) => ({ user_id: u.id, role: "voter" as const, granted_by: null, created_at: iso })),
      )
      .execute();
    const batch = users.map((u) => ({ userId: u.id, token: randomBytes(32).toString("base64url") }));
    await db
      .insertInto("sessions")
      .values(
        batch.map((b) => ({
          id: createHash("sha256").update(b.token).digest("hex"),
          user_id: b.userId,
          created_at: iso,
          expires_at: expires,
          ip: null,
          user_agent: null,
        })),
      )
      .execute();
    tokens.push(...batch.map((b) => b.token));
  }
  return tokens;
}

/**
 * Runs `measure` on a fresh SQLite file and, when TEST_POSTGRES_URL is set, in a fresh PostgreSQL schema; both
 * migrated, both removed afterwards. Returns the SQLite result and the PostgreSQL one, if any.
 */
export async function onEachEngine<T>(
  name: string,
  measure: (db: Db, label: "sqlite" | "postgres") => Promise<T>,
): Promise<{ sqlite: T; postgres?: T }> {
  const file = `var/bench/${name}-${Date.now()}.sqlite`;
  const sqlite = createDb(file);
  let sqliteResult: T;
  try {
    await prepareDatabase(sqlite);
    sqliteResult = await measure(sqlite, "sqlite");
  } finally {
    await sqlite.destroy();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  }
  const pgUrl = process.env.TEST_POSTGRES_URL;
  if (!pgUrl) return { sqlite: sqliteResult };
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const db = createDb(pgUrl, { schema });
  try {
    await prepareDatabase(db);
    return { sqlite: sqliteResult, postgres: await measure(db, "postgres") };
  } finally {
    await db.destroy();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}
