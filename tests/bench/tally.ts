/**
 * npm run bench:tally — a full recount (the official tally: counts, invalidations, ranking, champions, stored
 * in one transaction) over 2,000,000 votes in 18 categories on 1,000 nominees. SQLite always; PostgreSQL too
 * when TEST_POSTGRES_URL is set (in a schema of its own, dropped afterwards).
 * Options (env): BENCH_VOTES (default 2000000), BENCH_PROJECTS (1000).
 */
import { pathToFileURL } from "node:url";
import { sql } from "kysely";
import type { Db } from "../../db/client";
import { recordTally } from "../../app/domain/tally.server";
import { onEachEngine } from "./fixtures";

const VOTES = Number(process.env.BENCH_VOTES ?? 2_000_000);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 1000);
const CATEGORIES = 18;

/**
 * Edition, organisations, nominees, voters and votes (`votes` of them, BENCH_VOTES by default), generated
 * inside the database with SQL; returns the edition id. bench:fraud and tests/integration/long-jobs build on it.
 */
export async function load(db: Db, votes = VOTES): Promise<number> {
  const voters = Math.ceil(votes / CATEGORIES);
  const now = new Date().toISOString();
  const edition = await db
    .insertInto("editions")
    .values({
      year: 2099,
      name: "Tally benchmark",
      timezone: "UTC",
      submission_opens_at: "2000-01-01T00:00:00.000Z",
      submission_closes_at: "2000-01-02T00:00:00.000Z",
      nomination_opens_at: "2000-01-02T00:00:00.000Z",
      nomination_closes_at: "2000-01-03T00:00:00.000Z",
      voting_opens_at: "2000-01-03T00:00:00.000Z",
      voting_closes_at: "2000-01-04T00:00:00.000Z",
      selection_opens_at: "2000-01-04T00:00:00.000Z",
      selection_closes_at: "2000-01-05T00:00:00.000Z",
      announcement_opens_at: "2000-01-05T00:00:00.000Z",
      announcement_closes_at: "2000-01-06T00:00:00.000Z",
      min_long_answer_words: 50,
      created_at: now,
      nominees_published_at: now,
      results_published_at: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const e = edition.id;
  // Numbers 1..n from a recursive CTE: portable between SQLite and PostgreSQL.
  const seq = (n: number) =>
    sql`with recursive s(i) as (select 1 union all select i + 1 from s where i < ${n}) select i from s`;
  await sql`insert into organisations (name, stakeholder_type, country, region, website, contact_name, contact_email, created_by, created_at)
    select 'Org ' || i, 'academia', 'CH', 'europe', null, 'C', 'c@example.org', null, ${now} from (${seq(PROJECTS)}) as t`.execute(
    db,
  );
  await sql`insert into projects (edition_id, organisation_id, category_id, status, title, website, country, start_year,
      implementation_status, short_description, sdgs, gdc_objectives, action_line_linkage, sdg_linkage, gdc_linkage, impact,
      partnerships, challenges, fingerprint, title_normalised, submitted_at, created_at, updated_at)
    select ${e}, o.id, (select id from categories where position = ((o.id - 1) % ${CATEGORIES}) + 1), 'submitted', 'P' || o.id,
      null, 'CH', 2020, 'completed', 'x', '1', '1', '', '', '', '', '', '', 'fp' || o.id, 'p', ${now}, ${now}, ${now}
    from organisations o`.execute(db);
  await sql`insert into nomination_decisions (project_id, decision, reason, reason_text, decided_by, decided_at)
    select id, 'nominate', null, null, null, ${now} from projects where edition_id = ${e}`.execute(db);
  await sql`insert into users (email_canonical, email, name, password_hash, email_verified_at, pending_email, created_at)
    select 'v' || i || '@b.example', 'v' || i || '@b.example', 'V', 'x', ${now}, null, ${now} from (${seq(voters)}) as t`.execute(
    db,
  );
  // Every voter votes in every category (until VOTES): a skewed choice among the category's nominees.
  await sql`insert into votes (edition_id, category_id, project_id, voter_id, ip, network, created_at)
    select ${e}, c.id, p.id, u.id, '192.0.2.1', '192.0.2.0/24', ${now}
    from users u
    cross join categories c
    join (select id, category_id, row_number() over (partition by category_id order by id) - 1 as k,
            count(*) over (partition by category_id) as n
          from projects where edition_id = ${e}) p
      on p.category_id = c.id and p.k = ((u.id * 7 + c.position * 13) % 23) % p.n
    where (u.id - 1) * ${CATEGORIES} + c.position <= ${votes}`.execute(db);
  // A few invalidations, as after an organiser's clean-up.
  await sql`insert into vote_invalidations (vote_id, reason, flag_id, created_by, created_at)
    select id, 'bench', null, null, ${now} from votes where id % 1000 = 0`.execute(db);
  return e;
}

async function measure(db: Db, label: string): Promise<number> {
  const t0 = Date.now();
  const editionId = await load(db);
  const votes = await db
    .selectFrom("votes")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  process.stdout.write(`${label}: loaded ${Number(votes.n)} votes in ${Date.now() - t0} ms\n`);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const summary = await recordTally(db, { editionId, trigger: "rerun", requestedBy: null }, new Date());
    runs.push(performance.now() - start);
    process.stdout.write(
      `${label}: recount ${i + 1}: ${runs[i].toFixed(0)} ms, ${summary.votesCounted} votes, ${summary.champions} champions, ${summary.ties} ties\n`,
    );
  }
  return runs.sort((a, b) => a - b)[1];
}

async function main(): Promise<void> {
  const { sqlite, postgres } = await onEachEngine("tally", measure);
  const pgPart = postgres === undefined ? "" : ` pg_recount_ms=${postgres.toFixed(0)}`;
  process.stdout.write(`votes=${VOTES} recount_ms=${sqlite.toFixed(0)}${pgPart}\n`);
}

// Run only as a script: bench:fraud imports the loader.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
