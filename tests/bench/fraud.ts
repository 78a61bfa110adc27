/**
 * npm run bench:fraud — one fraud-flag refresh (the job that runs every minute during voting) with BENCH_VOTES
 * (default 2,000,000) votes inside its one-hour window: the peak of the contest, two million votes cast in
 * ten minutes. Votes come from the bench:tally loader, then get realistic variety: each voter's 18 votes in a
 * row, voters following one another evenly over the ten minutes, 20,000 /24 networks of five or six voters,
 * old accounts, and a quarter of the voters with addresses like "kbcd42@mail.example" whose stems ~5 voters
 * share (so the look-alike check has ~28,000 candidate voters to follow). One cluster of each pattern is
 * planted on the six most voted projects and must be flagged, votesOfFlag() returning at least its votes.
 * SQLite always; PostgreSQL too when TEST_POSTGRES_URL is set (in a schema of its own, dropped afterwards).
 */
import { pathToFileURL } from "node:url";
import { sql, type RawBuilder } from "kysely";
import { dialectOf, type Db } from "../../db/client";
import type { FraudKind } from "../../app/domain/fraud-flags";
import { refreshFraudFlags, votesOfFlag } from "../../app/domain/fraud.server";
import { load } from "./tally";
import { onEachEngine } from "./fixtures";

const VOTES = Number(process.env.BENCH_VOTES ?? 2_000_000);
/** The job's clock: ten minutes after the first vote, so every vote is inside the one-hour window. */
export const NOW = new Date("2031-03-10T12:10:00.000Z");

/** A digit string spelt with letters ("305" → "dah"): stems of look-alike addresses have no digits. */
function letters(n: RawBuilder<unknown>): RawBuilder<string> {
  let out = sql<string>`cast(${n} as text)`;
  for (let d = 0; d <= 9; d++) out = sql<string>`replace(${out}, ${String(d)}, ${"abcdefghij"[d]})`;
  return out;
}

/** "2031-03-10T12:0m:ss.mmmZ" for `ms` milliseconds after 12:00 (below ten minutes), in portable SQL. */
function isoAfterNoon(offset: RawBuilder<unknown>): RawBuilder<string> {
  const ms = sql`(${offset})`;
  const pad = (n: RawBuilder<unknown>, width: number) =>
    sql`substr(cast(${10 ** width} + ${n} as text), 2, ${width})`;
  return sql<string>`'2031-03-10T12:0' || (${ms} / 60000) || ':' || ${pad(sql`${ms} / 1000 % 60`, 2)} || '.' || ${pad(sql`${ms} % 1000`, 3)} || 'Z'`;
}

interface Planted {
  kind: FraudKind;
  projectId: number;
  votes: number;
}

/**
 * Spreads the `votes` loaded votes (load(db, votes)) over ten minutes and many addresses, then plants one
 * cluster per pattern.
 */
export async function shape(db: Db, votes = VOTES): Promise<Planted[]> {
  const run = (query: RawBuilder<unknown>) => query.execute(db);
  // Each voter casts their 18 votes in a row, and voters follow one another evenly over the ten minutes.
  const slot = sql`(cast(voter_id - (select min(id) from users) as bigint) * 18 + category_id - (select min(id) from categories))`;
  const offset = sql`${slot} * 600000 / ${sql.lit(Math.ceil(votes / 18) * 18)}`;
  // 20,000 /24 networks of five or six voters each, two of whom share an address (a household).
  const net = sql`'10.' || (voter_id % 20000 / 256) || '.' || (voter_id % 20000 % 256)`;
  await run(sql`update votes set created_at = ${isoAfterNoon(offset)},
      ip = ${net} || '.' || (voter_id / 20000 % 3 + 1), network = ${net} || '.0/24'`);
  await run(sql`update users set created_at = '2031-02-01T00:00:00.000Z',
      email_canonical = case when id % 4 = 0
        then 'k' || ${letters(sql`id % 20000`)} || (id % 97) || '@mail.example' else email_canonical end`);

  const top = await db
    .selectFrom("votes")
    .select(["project_id", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy("project_id")
    .orderBy("n", "desc")
    .orderBy("project_id")
    .limit(6)
    .execute();
  const p = top.map((t) => t.project_id);
  const votesOf = (projectId: number, n: number) =>
    sql`(select id from votes where project_id = ${projectId} order by id limit ${n})`;
  // Voters of a project still with their "v…@b.example" address, so that no two plants share a voter.
  const votersOf = (projectId: number, n: number) =>
    sql`(select v.voter_id from votes v join users u on u.id = v.voter_id where v.project_id = ${projectId}
      and v.created_at < '2031-03-10T12:05' and u.email_canonical like '%@b.example' order by v.id limit ${n})`;
  await run(
    sql`update votes set ip = '203.0.113.7', network = '203.0.113.0/24' where id in ${votesOf(p[0], 25)}`,
  );
  await run(
    sql`update votes set ip = '198.51.100.' || (id % 200), network = '198.51.100.0/24' where id in ${votesOf(p[1], 60)}`,
  );
  // A spike of 60 votes in one second for a project that gets about eight a second anyway (the threshold is
  // measured against the project's own pace).
  await run(
    sql`update votes set created_at = ${isoAfterNoon(sql`300000 + id % 1000`)} where id in ${votesOf(p[2], 60)}`,
  );
  // Accounts created at 11:59 that voted before 12:05: less than ten minutes apart.
  await run(sql`update users set created_at = '2031-03-10T11:59:00.000Z' where id in ${votersOf(p[3], 25)}`);
  await run(
    sql`update users set email_canonical = 'x' || id || '@mailinator.com' where id in ${votersOf(p[4], 6)}`,
  );
  await run(
    sql`update users set email_canonical = 'johnsmith' || id || '@example.net' where id in ${votersOf(p[5], 6)}`,
  );
  return [
    { kind: "same_ip", projectId: p[0], votes: 25 },
    { kind: "same_network", projectId: p[1], votes: 60 },
    { kind: "same_second", projectId: p[2], votes: 60 },
    { kind: "fresh_accounts", projectId: p[3], votes: 25 },
    { kind: "disposable_email", projectId: p[4], votes: 6 },
    { kind: "lookalike_email", projectId: p[5], votes: 6 },
  ];
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

async function measure(db: Db, label: string): Promise<{ ms: number; flags: number }> {
  const t0 = Date.now();
  const editionId = await load(db);
  const planted = await shape(db);
  // Statistics as autovacuum keeps them during voting (SQLite has none unless ANALYZE is run, and we never do).
  if (dialectOf(db) === "postgres") await sql`analyze`.execute(db);
  process.stdout.write(`${label}: loaded ${VOTES} votes in ${Date.now() - t0} ms\n`);

  const runs: number[] = [];
  let flags = 0;
  for (let i = 0; i < 3; i++) {
    const heap = process.memoryUsage().heapUsed;
    const start = performance.now();
    flags = await refreshFraudFlags(db, editionId, NOW);
    runs.push(performance.now() - start);
    process.stdout.write(
      `${label}: detect ${i + 1}: ${runs[i].toFixed(0)} ms, ${flags} flags, heap ${mb(heap)} → ${mb(process.memoryUsage().heapUsed)} MB, max rss ${mb(process.resourceUsage().maxRSS * 1024)} MB\n`,
    );
  }

  const stored = await db
    .selectFrom("fraud_flags")
    .select(["id", "kind", "project_id", "vote_count"])
    .where("edition_id", "=", editionId)
    .execute();
  const byKind = new Map<string, number>();
  for (const f of stored) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  process.stdout.write(`${label}: flags by kind ${JSON.stringify(Object.fromEntries(byKind))}\n`);
  for (const plant of planted) {
    const flag = stored.find((f) => f.kind === plant.kind && f.project_id === plant.projectId);
    if (!flag)
      throw new Error(
        `${label}: the planted ${plant.kind} cluster on project ${plant.projectId} is not flagged`,
      );
    const start = performance.now();
    const ids = await votesOfFlag(db, flag.id);
    process.stdout.write(
      `${label}: ${plant.kind} flagged (${flag.vote_count} votes); votesOfFlag ${ids.length} ids in ${(performance.now() - start).toFixed(0)} ms\n`,
    );
    if (ids.length < plant.votes) throw new Error(`${label}: votesOfFlag misses planted ${plant.kind} votes`);
  }
  return { ms: runs.sort((a, b) => a - b)[1], flags };
}

async function main(): Promise<void> {
  const { sqlite, postgres } = await onEachEngine("fraud", measure);
  const pgPart = postgres === undefined ? "" : ` pg_detect_ms=${postgres.ms.toFixed(0)}`;
  process.stdout.write(`votes=${VOTES} detect_ms=${sqlite.ms.toFixed(0)} flags=${sqlite.flags}${pgPart}\n`);
}

// Run only as a script: tests/integration/long-jobs.test.ts imports the loader.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
