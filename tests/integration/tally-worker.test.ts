import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rankAll } from "../../app/domain/champions";
import { invalidateVotes } from "../../app/domain/invalidation.server";
import { latestTallyRun } from "../../app/domain/tally-runs.server";
import { countVotes, liveLeaderboard, recordTally, requestTallyRerun } from "../../app/domain/tally.server";
import { castVote } from "../../app/domain/voting.server";
import { createMailer } from "../../emails/transport";
import { scheduleHousekeeping, startWorkers, type StallOptions } from "../../workers/index";
import { officialTally, TALLY_PAUSE_ENV } from "../../app/domain/tally-jobs.server";
import { tallyCloseJobId, type JobDeps } from "../../app/jobs/contract";
import type { JobQueues } from "../../workers/queues";
import { instanceId } from "../../db/instance";
import { categoryId, makeEdition, makeProject, makeUser } from "../fixtures/contest";
import { DIALECTS, type TestDb } from "../helpers/db";
import { Cleanups, setUpWorkerTest, startWorkerProcess, type WorkerTest } from "../helpers/workers";

/** Polls `probe` every 25 ms until it returns a value other than undefined/false; fails after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(DIALECTS)("tally workers on %s", (dialect) => {
  let w: WorkerTest;
  let t: TestDb;
  let queues: JobQueues;
  let deps: JobDeps;
  let instance: string;
  const cleanups = new Cleanups();

  beforeEach(async () => {
    // requestTallyRerun() enqueues through the process-wide producer, which setUpWorkerTest points at w.prefix.
    w = await setUpWorkerTest(dialect, cleanups);
    ({ t, queues } = w);
    const outboxDir = mkdtempSync(join(tmpdir(), "wsis-outbox-"));
    cleanups.push(() => rmSync(outboxDir, { recursive: true, force: true }));
    const mailer = createMailer({ smtpUrl: "", outboxDir });
    deps = { db: t.db, mailer, now: () => new Date() };
    instance = await instanceId(t.db);
  });

  afterEach(() => cleanups.run());

  /** Workers in this process on the test's database and prefix; closed after the test. */
  async function start(options: StallOptions & { housekeeping?: boolean } = {}) {
    const workers = await startWorkers({ redisUrl: w.redisUrl, prefix: w.prefix, deps, ...options });
    cleanups.push(() => workers.close());
    if (options.housekeeping) await scheduleHousekeeping(queues);
    return workers;
  }

  async function voteFor(projectId: number, at = new Date()) {
    const voter = await makeUser(t.db);
    const outcome = await castVote(t.db, { voter, roles: ["voter"], projectId, ip: "198.51.100.7" }, at);
    expect(outcome).toMatchObject({ ok: true, created: true });
  }

  /**
   * An edition whose voting has closed (selection not started) with seven C3 nominees receiving 6, 5, 4, 3, 2, 2
   * and 1 votes (the two with 2 tie at fifth place) and two C4 nominees with 2 and 0 votes.
   */
  async function closedEditionWithVotes(closesInMs = -60_000) {
    const edition = await makeEdition(t.db, { phase: "voting", now: new Date() });
    const c3: number[] = [];
    for (const n of [6, 5, 4, 3, 2, 2, 1]) {
      const p = await makeProject(t.db, { editionId: edition.id, categoryCode: "C3" });
      c3.push(p.id);
      for (let i = 0; i < n; i++) await voteFor(p.id);
    }
    const c4 = await makeProject(t.db, { editionId: edition.id, categoryCode: "C4" });
    await makeProject(t.db, { editionId: edition.id, categoryCode: "C4" });
    for (let i = 0; i < 2; i++) await voteFor(c4.id);
    const closesAt = new Date(Date.now() + closesInMs).toISOString();
    await t.db
      .updateTable("editions")
      .set({ voting_closes_at: closesAt })
      .where("id", "=", edition.id)
      .execute();
    return { editionId: edition.id, c3, votes: 25 };
  }

  function runsOf(editionId: number) {
    return t.db
      .selectFrom("tally_runs")
      .selectAll()
      .where("edition_id", "=", editionId)
      .orderBy("id")
      .execute();
  }

  /** A run's stored results, comparable across runs. */
  function resultsOf(runId: number) {
    return t.db
      .selectFrom("tally_results")
      .select([
        "project_id",
        "category_id",
        "cast_votes",
        "valid_votes",
        "rank",
        "champion",
        "tied_at_cutoff",
      ])
      .where("run_id", "=", runId)
      .orderBy("project_id")
      .execute();
  }

  async function championsOf(runId: number) {
    const rows = await resultsOf(runId);
    return rows.filter((r) => Number(r.champion) === 1).map((r) => r.project_id);
  }

  async function closeRun(editionId: number, timeoutMs: number) {
    return waitFor(
      "the close tally run",
      async () => (await runsOf(editionId)).find((r) => r.trigger === "close"),
      timeoutMs,
    );
  }

  it("keeps the live leaderboard within 2 s of the votes table", async () => {
    const edition = await makeEdition(t.db, { phase: "voting", now: new Date() });
    const [a, b, c] = [
      await makeProject(t.db, { editionId: edition.id, categoryCode: "C1" }),
      await makeProject(t.db, { editionId: edition.id, categoryCode: "C1" }),
      await makeProject(t.db, { editionId: edition.id, categoryCode: "C1" }),
    ];
    const c1 = await categoryId(t.db, "C1");
    await start({ housekeeping: true });

    /** Waits until the leaderboard shows `expected` (id → [cast, valid]); returns how long that took. */
    async function leaderboardCatchesUp(expected: Map<number, [number, number]>) {
      const since = Date.now();
      await waitFor(
        "the live leaderboard",
        async () => {
          const board = await liveLeaderboard(t.db, edition.id, c1);
          return board.every((r) => {
            const [cast, valid] = expected.get(r.id) ?? [0, 0];
            return r.cast === cast && r.valid === valid;
          });
        },
        // A correctness bound (live counts within 2 s of the truth), not a benchmark.
        2_000,
      );
      return Date.now() - since;
    }

    for (let i = 0; i < 3; i++) await voteFor(a.id);
    for (let i = 0; i < 2; i++) await voteFor(b.id);
    await voteFor(c.id);
    expect(
      await leaderboardCatchesUp(
        new Map([
          [a.id, [3, 3]],
          [b.id, [2, 2]],
          [c.id, [1, 1]],
        ]),
      ),
    ).toBeLessThanOrEqual(2_000);

    // More votes and an invalidation while the workers keep counting.
    for (let i = 0; i < 3; i++) await voteFor(c.id);
    const organiser = await makeUser(t.db, { roles: ["organiser"] });
    const [aVote] = await t.db
      .selectFrom("votes")
      .select("id")
      .where("project_id", "=", a.id)
      .limit(1)
      .execute();
    expect(
      await invalidateVotes(
        t.db,
        { editionId: edition.id, voteIds: [aVote.id], reason: "test", actorUserId: organiser.id },
        new Date(),
      ),
    ).toEqual({ ok: true, invalidated: 1 });
    expect(
      await leaderboardCatchesUp(
        new Map([
          [a.id, [3, 2]],
          [b.id, [2, 2]],
          [c.id, [4, 4]],
        ]),
      ),
    ).toBeLessThanOrEqual(2_000);
    const board = await liveLeaderboard(t.db, edition.id, c1);
    expect(board.map((r) => r.id)).toEqual([c.id, a.id, b.id]);
  });

  it("stores the official tally and the champions once voting closes, once", async () => {
    const { editionId, c3 } = await closedEditionWithVotes(1_000);
    await start({ housekeeping: true });

    const run = await closeRun(editionId, 15_000);
    expect(run).toMatchObject({ trigger: "close", votes_counted: 25, valid_votes: 25, requested_by: null });
    const job = await waitFor(
      "the close job to complete",
      async () => {
        const j = await queues.queue("official-tally").getJob(tallyCloseJobId(instance, editionId));
        return j?.finishedOn ? j : undefined;
      },
      5_000,
    );
    // Ids only in the payload.
    expect(job.data).toEqual({ editionId, trigger: "close", requestedBy: null });

    // Champions: the top five of C3 plus the project tied at fifth place (both flagged), and C4's two nominees.
    const stored = await resultsOf(run.id);
    const expected = rankAll(await countVotes(t.db, editionId));
    expect(stored).toEqual(
      expected
        .map((r) => ({
          project_id: r.projectId,
          category_id: r.categoryId,
          cast_votes: r.castVotes,
          valid_votes: r.validVotes,
          rank: r.rank,
          champion: r.champion ? 1 : 0,
          tied_at_cutoff: r.tiedAtCutoff ? 1 : 0,
        }))
        .sort((x, y) => x.project_id - y.project_id),
    );
    expect((await championsOf(run.id)).filter((id) => c3.includes(id)).sort()).toEqual(
      [...c3.slice(0, 6)].sort(),
    );
    expect(
      stored
        .filter((r) => Number(r.tied_at_cutoff) === 1)
        .map((r) => r.project_id)
        .sort(),
    ).toEqual([c3[4], c3[5]].sort());

    // A second close enqueue is a no-op: same job id, still one run, the job not processed again.
    await queues.add(
      "official-tally",
      { editionId, trigger: "close", requestedBy: null },
      tallyCloseJobId(instance, editionId),
    );
    await new Promise((r) => setTimeout(r, 1_500)); // a live-tally tick or two after the close
    const again = await queues.queue("official-tally").getJob(tallyCloseJobId(instance, editionId));
    expect(again?.finishedOn).toBe(job.finishedOn);
    expect(
      await queues.queue("official-tally").getJobCounts("waiting", "active", "delayed", "completed"),
    ).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      completed: 1,
    });
    expect((await runsOf(editionId)).map((r) => r.id)).toEqual([run.id]);
    // And the processor itself finds the stored run rather than recounting.
    expect(await officialTally({ editionId, trigger: "close", requestedBy: null }, deps)).toMatchObject({
      created: false,
      runId: run.id,
    });
  });

  it("leaves no partial result when a worker is killed mid-tally, and the retried job gets the same result", async () => {
    const { editionId } = await closedEditionWithVotes();
    const lock: StallOptions = { lockDuration: 1_000, stalledInterval: 500 };
    const child = await startWorkerProcess(w, cleanups, {
      ...lock,
      env: { LOG_LEVEL: "warn", [TALLY_PAUSE_ENV]: "120000" },
    });

    await queues.add(
      "official-tally",
      { editionId, trigger: "close", requestedBy: null },
      tallyCloseJobId(instance, editionId),
    );
    const official = queues.queue("official-tally");
    await waitFor(
      "the tally job to be active",
      async () => (await official.getActive()).some((j) => j.id === tallyCloseJobId(instance, editionId)),
      10_000,
    );
    // The child has written every row and waits inside the transaction, before its commit.
    await waitFor(
      "the worker to pause inside the tally transaction",
      async () => child.output().includes("tally paused before commit"),
      // The tally runs in a job thread, started on its first job (slow on a loaded machine under tsx).
      30_000,
    );
    expect(await runsOf(editionId)).toEqual([]);

    expect(await child.kill()).toBe("SIGKILL");
    expect(await t.db.selectFrom("tally_runs").select("id").execute()).toEqual([]);
    expect(await t.db.selectFrom("tally_results").select("run_id").execute()).toEqual([]);
    expect((await official.getActive()).map((j) => j.id)).toEqual([tallyCloseJobId(instance, editionId)]);

    // A normal worker finds the stalled job once its lock has expired and runs it again.
    await start(lock);
    const run = await closeRun(editionId, 15_000);
    await waitFor(
      "the retried job to complete",
      async () => (await official.getJob(tallyCloseJobId(instance, editionId)))?.finishedOn,
      5_000,
    );
    expect(await official.getJobCounts("active", "failed", "completed")).toEqual({
      active: 0,
      failed: 0,
      completed: 1,
    });

    // What recordTally computes on the same data (a re-run, stored beside it) equals the retried result.
    const fresh = await recordTally(t.db, { editionId, trigger: "rerun", requestedBy: null }, new Date());
    const recount = await t.db
      .selectFrom("tally_runs")
      .selectAll()
      .where("id", "=", fresh.runId)
      .executeTakeFirstOrThrow();
    expect({ votes: run.votes_counted, valid: run.valid_votes }).toEqual({
      votes: recount.votes_counted,
      valid: recount.valid_votes,
    });
    expect(run.votes_counted).toBe(25);
    expect(await resultsOf(run.id)).toEqual(await resultsOf(fresh.runId));
    expect(await championsOf(run.id)).toHaveLength(8);
    expect((await runsOf(editionId)).map((r) => r.trigger)).toEqual(["close", "rerun"]);
  });

  it("re-runs the tally for an organiser after an invalidation, keeping both runs", async () => {
    const { editionId, c3 } = await closedEditionWithVotes();
    await start({ housekeeping: true });
    const first = await closeRun(editionId, 15_000);
    expect(first).toMatchObject({ votes_counted: 25, valid_votes: 25 });
    expect((await championsOf(first.id)).filter((id) => c3.includes(id))).toHaveLength(6);

    // One vote of the fifth project is invalid: the tie at fifth place disappears.
    const organiser = await makeUser(t.db, { roles: ["organiser"] });
    const [fifthVote] = await t.db
      .selectFrom("votes")
      .select("id")
      .where("project_id", "=", c3[4])
      .limit(1)
      .execute();
    expect(
      await invalidateVotes(
        t.db,
        { editionId, voteIds: [fifthVote.id], reason: "same device", actorUserId: organiser.id },
        new Date(),
      ),
    ).toEqual({ ok: true, invalidated: 1 });
    await requestTallyRerun(t.db, editionId, organiser.id, new Date());

    const second = await waitFor(
      "the re-run",
      async () => (await runsOf(editionId)).find((r) => r.trigger === "rerun"),
      15_000,
    );
    expect(second).toMatchObject({ votes_counted: 25, valid_votes: 24, requested_by: organiser.id });
    expect(second.id).toBeGreaterThan(first.id);
    expect((await championsOf(second.id)).filter((id) => c3.includes(id)).sort()).toEqual(
      [c3[0], c3[1], c3[2], c3[3], c3[5]].sort(),
    );
    expect((await resultsOf(second.id)).filter((r) => Number(r.tied_at_cutoff) === 1)).toEqual([]);
    expect((await resultsOf(second.id)).find((r) => r.project_id === c3[4])).toMatchObject({
      cast_votes: 2,
      valid_votes: 1,
      champion: 0,
    });

    // Both runs kept, each with its time and number of votes; the latest is the official one.
    const runs = await runsOf(editionId);
    expect(runs.map((r) => [r.trigger, r.votes_counted, r.valid_votes])).toEqual([
      ["close", 25, 25],
      ["rerun", 25, 24],
    ]);
    expect(runs.every((r) => !Number.isNaN(Date.parse(r.started_at)))).toBe(true);
    expect((await championsOf(first.id)).filter((id) => c3.includes(id))).toHaveLength(6);
    expect((await latestTallyRun(t.db, editionId))?.id).toBe(second.id);
    const audits = await t.db
      .selectFrom("audit_log")
      .select("actor_user_id")
      .where("action", "=", "tally.rerun")
      .execute();
    expect(audits).toEqual([{ actor_user_id: organiser.id }]);
  });
});
