import { sql } from "kysely";
import { dialectOf, type Db } from "../../db/client";
import { instanceId } from "../../db/instance";
import { tallyRerunJobId, type Jobs } from "../jobs/contract";
import { processJobs } from "../jobs/port.server";
import { audit } from "./audit.server";
import { rankAll, type ProjectCount } from "./champions";

/** Published nominees of an edition (every one of them is ranked, with zero votes if need be). */
function nomineesQuery(database: Db, editionId: number) {
  return database
    .selectFrom("projects as p")
    .innerJoin("nomination_decisions as d", "d.project_id", "p.id")
    .select(["p.id", "p.category_id"])
    .where("p.edition_id", "=", editionId)
    .where("p.status", "=", "submitted")
    .where("d.decision", "=", "nominate");
}

/**
 * Counts an edition's votes from the votes table: cast votes per project through the covering index
 * (edition, category, project), invalidated votes from the (small) invalidation log, valid = cast − invalid.
 */
export async function countVotes(database: Db, editionId: number): Promise<ProjectCount[]> {
  const [cast, invalid, nominees] = await Promise.all([
    database
      .selectFrom("votes")
      .select(["category_id", "project_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("edition_id", "=", editionId)
      .groupBy(["category_id", "project_id"])
      .execute(),
    database
      .selectFrom("votes as v")
      .innerJoin(
        database.selectFrom("vote_invalidations").select("vote_id").distinct().as("i"),
        "i.vote_id",
        "v.id",
      )
      .select(["v.project_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("v.edition_id", "=", editionId)
      .groupBy("v.project_id")
      .execute(),
    nomineesQuery(database, editionId).execute(),
  ]);
  const invalidBy = new Map(invalid.map((r) => [r.project_id, Number(r.n)]));
  const counts = new Map<number, ProjectCount>();
  for (const n of nominees)
    counts.set(n.id, { projectId: n.id, categoryId: n.category_id, castVotes: 0, validVotes: 0 });
  for (const r of cast) {
    const castVotes = Number(r.n);
    counts.set(r.project_id, {
      projectId: r.project_id,
      categoryId: r.category_id,
      castVotes,
      validVotes: castVotes - (invalidBy.get(r.project_id) ?? 0),
    });
  }
  return [...counts.values()];
}

export interface TallyRunSummary {
  runId: number;
  votesCounted: number;
  validVotes: number;
  champions: number;
  ties: number;
  created: boolean;
}

/** Test-only hooks into recordTally (fault injection: tests kill a worker while it waits in beforeCommit). */
export interface TallyHooks {
  /** Runs inside the transaction after every row is written, just before it commits. */
  beforeCommit?: () => Promise<void>;
}

/**
 * Recounts everything and stores the official tally and the champions in ONE transaction: a worker killed
 * mid-tally leaves nothing behind, and the retried job computes the same result. With trigger "close" it runs
 * once per edition (a retry finds the stored run and returns it).
 */
export async function recordTally(
  database: Db,
  input: { editionId: number; trigger: "close" | "rerun"; requestedBy: number | null },
  now: Date,
  hooks: TallyHooks = {},
): Promise<TallyRunSummary> {
  return database.transaction().execute(async (trx) => {
    // SQLite: take the write lock before counting. A transaction that reads, then writes, fails with
    // SQLITE_BUSY_SNAPSHOT when another connection (the live-tally thread, a web process) committed in between.
    if (dialectOf(trx) === "sqlite") await sql`delete from tally_runs where 0`.execute(trx);
    if (input.trigger === "close") {
      const existing = await trx
        .selectFrom("tally_runs")
        .selectAll()
        .where("edition_id", "=", input.editionId)
        .where("trigger", "=", "close")
        .executeTakeFirst();
      if (existing) {
        const stats = await runStats(trx, existing.id);
        return {
          runId: existing.id,
          votesCounted: existing.votes_counted,
          validVotes: existing.valid_votes,
          ...stats,
          created: false,
        };
      }
    }
    const started = performance.now();
    const counts = await countVotes(trx, input.editionId);
    const ranked = rankAll(counts);
    const votesCounted = counts.reduce((s, c) => s + c.castVotes, 0);
    const validVotes = counts.reduce((s, c) => s + c.validVotes, 0);
    const run = await trx
      .insertInto("tally_runs")
      .values({
        edition_id: input.editionId,
        trigger: input.trigger,
        votes_counted: votesCounted,
        valid_votes: validVotes,
        started_at: now.toISOString(),
        finished_at: new Date(now.getTime() + Math.round(performance.now() - started)).toISOString(),
        requested_by: input.requestedBy,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const rows = ranked.map((r) => ({
      run_id: run.id,
      project_id: r.projectId,
      category_id: r.categoryId,
      cast_votes: r.castVotes,
      valid_votes: r.validVotes,
      rank: r.rank,
      champion: r.champion ? 1 : 0,
      tied_at_cutoff: r.tiedAtCutoff ? 1 : 0,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto("tally_results")
        .values(rows.slice(i, i + 500))
        .execute();
    await hooks.beforeCommit?.();
    return {
      runId: run.id,
      votesCounted,
      validVotes,
      champions: ranked.filter((r) => r.champion).length,
      ties: ranked.filter((r) => r.tiedAtCutoff).length,
      created: true,
    };
  });
}

async function runStats(database: Db, runId: number): Promise<{ champions: number; ties: number }> {
  const row = await database
    .selectFrom("tally_results")
    .select([
      (eb) => eb.fn.sum<number>("champion").as("champions"),
      (eb) => eb.fn.sum<number>("tied_at_cutoff").as("ties"),
    ])
    .where("run_id", "=", runId)
    .executeTakeFirst();
  return { champions: Number(row?.champions ?? 0), ties: Number(row?.ties ?? 0) };
}

/** PostgreSQL only: how long a vote may take between getting its id and committing (see advanceLiveCounts). */
export const LIVE_GRACE_MS = 500;

/**
 * Advances the live counts of an edition from its watermarks: new votes since the last vote id counted, new
 * invalidations since the last invalidation id. One transaction, so the counts and the watermarks move
 * together; cheap (an id range scan), so it runs every second during voting.
 */
export async function advanceLiveCounts(
  database: Db,
  editionId: number,
  now: Date,
): Promise<{ votes: number; invalidations: number }> {
  return database.transaction().execute(async (trx) => {
    await trx
      .insertInto("tally_state")
      .values({
        edition_id: editionId,
        last_vote_id: 0,
        last_invalidation_id: 0,
        updated_at: now.toISOString(),
      })
      .onConflict((oc) => oc.column("edition_id").doNothing())
      .execute();
    const state = await trx
      .selectFrom("tally_state")
      .selectAll()
      .where("edition_id", "=", editionId)
      .executeTakeFirstOrThrow();
    // On PostgreSQL ids are handed out before commit, so a lower id can become visible after a higher one:
    // the watermark stops below any row younger than a short grace period. SQLite has a single writer.
    const pg = dialectOf(trx) === "postgres";
    const cutoff = new Date(now.getTime() - LIVE_GRACE_MS).toISOString();
    const [maxVote, maxInvalidation, youngVote, youngInvalidation] = await Promise.all([
      trx
        .selectFrom("votes")
        .select((eb) => eb.fn.max<number>("id").as("id"))
        .executeTakeFirst(),
      trx
        .selectFrom("vote_invalidations")
        .select((eb) => eb.fn.max<number>("id").as("id"))
        .executeTakeFirst(),
      pg
        ? trx
            .selectFrom("votes")
            .select((eb) => eb.fn.min<number>("id").as("id"))
            .where("edition_id", "=", editionId)
            .where("id", ">", state.last_vote_id)
            .where("created_at", ">", cutoff)
            .executeTakeFirst()
        : undefined,
      pg
        ? trx
            .selectFrom("vote_invalidations")
            .select((eb) => eb.fn.min<number>("id").as("id"))
            .where("id", ">", state.last_invalidation_id)
            .where("created_at", ">", cutoff)
            .executeTakeFirst()
        : undefined,
    ]);
    const safe = (max: number | null | undefined, young: number | null | undefined, last: number) =>
      young === null || young === undefined ? Number(max ?? 0) : Math.max(last, Number(young) - 1);
    const voteHigh = safe(maxVote?.id, youngVote?.id, state.last_vote_id);
    const invHigh = safe(maxInvalidation?.id, youngInvalidation?.id, state.last_invalidation_id);
    const fresh = await trx
      .selectFrom("votes")
      .select(["category_id", "project_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("edition_id", "=", editionId)
      .where("id", ">", state.last_vote_id)
      .where("id", "<=", voteHigh)
      .groupBy(["category_id", "project_id"])
      .execute();
    // Only the first invalidation of a vote counts; later ones for the same vote change nothing.
    const invalidated = await trx
      .selectFrom("vote_invalidations as i")
      .innerJoin("votes as v", "v.id", "i.vote_id")
      .select(["v.category_id", "v.project_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("v.edition_id", "=", editionId)
      .where("i.id", ">", state.last_invalidation_id)
      .where("i.id", "<=", invHigh)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("vote_invalidations as e")
              .select("e.id")
              .whereRef("e.vote_id", "=", "i.vote_id")
              .whereRef("e.id", "<", "i.id"),
          ),
        ),
      )
      .groupBy(["v.category_id", "v.project_id"])
      .execute();
    const deltas = new Map<number, { category: number; cast: number; invalid: number }>();
    for (const r of fresh)
      deltas.set(r.project_id, { category: r.category_id, cast: Number(r.n), invalid: 0 });
    for (const r of invalidated) {
      const d = deltas.get(r.project_id) ?? { category: r.category_id, cast: 0, invalid: 0 };
      d.invalid += Number(r.n);
      deltas.set(r.project_id, d);
    }
    for (const [projectId, d] of deltas) {
      await trx
        .insertInto("live_counts")
        .values({
          project_id: projectId,
          edition_id: editionId,
          category_id: d.category,
          cast_votes: d.cast,
          invalid_votes: d.invalid,
        })
        .onConflict((oc) =>
          oc.column("project_id").doUpdateSet({
            cast_votes: sql`live_counts.cast_votes + ${d.cast}`,
            invalid_votes: sql`live_counts.invalid_votes + ${d.invalid}`,
          }),
        )
        .execute();
    }
    await trx
      .updateTable("tally_state")
      .set({ last_vote_id: voteHigh, last_invalidation_id: invHigh, updated_at: now.toISOString() })
      .where("edition_id", "=", editionId)
      .execute();
    return {
      votes: fresh.reduce((s, r) => s + Number(r.n), 0),
      invalidations: invalidated.reduce((s, r) => s + Number(r.n), 0),
    };
  });
}

/** Live leaderboard of a category for organisers: nominees with cast and valid votes, most valid first. */
export async function liveLeaderboard(database: Db, editionId: number, categoryId: number) {
  const rows = await database
    .selectFrom("projects as p")
    .innerJoin("nomination_decisions as d", "d.project_id", "p.id")
    .innerJoin("organisations as o", "o.id", "p.organisation_id")
    .leftJoin("live_counts as l", "l.project_id", "p.id")
    .select(["p.id", "p.title", "o.name as organisation", "l.cast_votes", "l.invalid_votes"])
    .where("p.edition_id", "=", editionId)
    .where("p.category_id", "=", categoryId)
    .where("p.status", "=", "submitted")
    .where("d.decision", "=", "nominate")
    .execute();
  return rows
    .map((r) => {
      const cast = Number(r.cast_votes ?? 0);
      const invalid = Number(r.invalid_votes ?? 0);
      return { id: r.id, title: r.title, organisation: r.organisation, cast, valid: cast - invalid };
    })
    .sort((a, b) => b.valid - a.valid || a.id - b.id);
}

/** Queues a full recount requested by an organiser (audit-logged); the worker stores it as a new run. */
export async function requestTallyRerun(
  database: Db,
  editionId: number,
  actorUserId: number,
  now: Date,
  jobs: Jobs = processJobs(),
): Promise<void> {
  await audit(database, { actorUserId, action: "tally.rerun", entity: "edition", entityId: editionId, now });
  await jobs.enqueue(
    "official-tally",
    { editionId, trigger: "rerun", requestedBy: actorUserId },
    tallyRerunJobId(await instanceId(database), editionId, now),
  );
}
