/**
 * Long jobs (fraud detection, the tallies) run in worker threads (workers/job-threads.ts), so that the
 * process running the workers — the web process by default — keeps answering while they run: with
 * better-sqlite3 a whole fraud run never gives the event loop back (1.5–3 s over 300,000 votes here, 7–9 s at
 * 240k–390k votes in production). A job that throws in its thread, or a thread that crashes, fails the job,
 * which BullMQ retries; close() ends the threads.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Job } from "bullmq";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scheduleWithPhaseOpen } from "../../app/domain/phases";
import { castVote } from "../../app/domain/voting.server";
import { createMailer } from "../../emails/transport";
import { startWorkers, type RunningWorkers } from "../../workers/index";
import { THREAD_CRASH_ENV } from "../../workers/job-threads";
import { tallyCloseJobId, type JobDeps, type JobName } from "../../app/jobs/contract";
import { instanceId } from "../../db/instance";
import { NOW as BENCH_NOW, shape } from "../bench/fraud";
import { load } from "../bench/tally";
import { makeEdition, makeProject, makeUser } from "../fixtures/contest";
import { DIALECTS, type TestDb } from "../helpers/db";
import { Cleanups, setUpWorkerTest, type WorkerTest } from "../helpers/workers";

/** Votes in the fraud window of the event-loop test: a run of 1.5–3 s on a 2-core machine. */
const VOTES = 300_000;

/** The longest the event loop of the process running the workers may stall while a long job runs. */
const MAX_STALL_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(DIALECTS)("long jobs in worker threads on %s", (dialect) => {
  let w: WorkerTest;
  let t: TestDb;
  let outboxDir: string;
  const cleanups = new Cleanups();

  beforeEach(async () => {
    w = await setUpWorkerTest(dialect, cleanups);
    t = w.t;
    outboxDir = mkdtempSync(join(tmpdir(), "wsis-outbox-"));
    cleanups.push(() => rmSync(outboxDir, { recursive: true, force: true }));
  });

  afterEach(() => cleanups.run());

  /** Workers in this process, as the web process runs them; their long jobs run in threads. */
  async function start(now: () => Date = () => new Date()): Promise<RunningWorkers> {
    const deps: JobDeps = {
      db: t.db,
      databaseUrl: t.url,
      mailer: createMailer({ smtpUrl: "", outboxDir }),
      now,
    };
    const running = await startWorkers({ redisUrl: w.redisUrl, prefix: w.prefix, deps });
    cleanups.push(() => running.close());
    return running;
  }

  /** Adds job `name` with its own retry policy. */
  async function add(name: JobName, jobId: string, attempts: number, backoffMs: number) {
    await w.queues.ready();
    await w.queues
      .queue(name)
      .add(name, {}, { jobId, attempts, backoff: { type: "fixed", delay: backoffMs } });
  }

  /** Polls job `jobId` until `until` holds; fails after `timeoutMs`. */
  async function waitForJob(
    name: JobName,
    jobId: string,
    until: (job: Job, state: string) => boolean,
    timeoutMs: number,
  ): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await w.queues.queue(name).getJob(jobId);
      const state = job ? await job.getState() : "missing";
      // Read again once its state is known: the job may have moved on between the two reads.
      const latest = job && (await w.queues.queue(name).getJob(jobId));
      if (latest && until(latest, state)) return latest;
      if (Date.now() > deadline) throw new Error(`timed out waiting for job ${jobId}`);
      await sleep(20);
    }
  }

  const completed = (name: JobName, jobId: string, timeoutMs: number) =>
    waitForJob(
      name,
      jobId,
      (job, state) => {
        if (state === "failed") throw new Error(`job ${jobId} failed: ${job.failedReason}`);
        return state === "completed";
      },
      timeoutMs,
    );

  /** An edition in voting with a project that got `sameIp` votes from one address (a same-IP flag at 20). */
  async function editionWithSameIpVotes(sameIp = 20) {
    const now = new Date();
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const project = await makeProject(t.db, { editionId: edition.id, categoryCode: "C2" });
    for (let i = 0; i < sameIp; i++) {
      const voter = await makeUser(t.db);
      const outcome = await castVote(
        t.db,
        { voter, roles: ["voter"], projectId: project.id, ip: "203.0.113.9" },
        now,
      );
      expect(outcome).toMatchObject({ ok: true });
    }
    return { editionId: edition.id, projectId: project.id };
  }

  async function sameIpFlags(projectId: number) {
    return t.db
      .selectFrom("fraud_flags")
      .select(["kind", "vote_count"])
      .where("project_id", "=", projectId)
      .where("kind", "=", "same_ip")
      .execute();
  }

  // PostgreSQL's driver is asynchronous: there the old code stalled the loop far less, so the load part runs on
  // SQLite, the default engine, where it held the web process for the whole run.
  it.runIf(dialect === "sqlite")(
    `keeps the event loop of the process running the workers free while detect-fraud reads ${VOTES} votes`,
    async () => {
      const editionId = await load(t.db, VOTES);
      await shape(t.db, VOTES);
      await t.db
        .updateTable("editions")
        .set(scheduleWithPhaseOpen("voting", BENCH_NOW))
        .where("id", "=", editionId)
        .execute();
      // The thread is started first, by a run at an instant with no voting (nothing to read): under tsx a
      // thread's start-up transpiles its modules, which a compiled build does not (see the README).
      let clock = new Date("2001-01-01T00:00:00.000Z");
      const running = await start(() => clock);
      await add("detect-fraud", "fraud-warm", 1, 0);
      expect((await completed("detect-fraud", "fraud-warm", 60_000)).returnvalue).toBe(0);
      clock = BENCH_NOW;

      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const started = performance.now();
      await add("detect-fraud", "fraud-load", 1, 0);
      const job = await completed("detect-fraud", "fraud-load", 150_000);
      const took = performance.now() - started;
      await sleep(50); // one more turn of the loop, so that a stall at the very end is recorded too
      loop.disable();
      const maxStallMs = loop.max / 1e6;
      process.stdout.write(
        `detect-fraud over ${VOTES} votes in a thread: ${took.toFixed(0)} ms from enqueue to completion ` +
          `(${Number(job.finishedOn) - Number(job.processedOn)} ms processing), ` +
          `event loop max ${maxStallMs.toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms\n`,
      );

      // The planted clusters were found and stored by the thread.
      expect(Number(job.returnvalue)).toBeGreaterThanOrEqual(6);
      const kinds = await t.db
        .selectFrom("fraud_flags")
        .select("kind")
        .distinct()
        .where("edition_id", "=", editionId)
        .execute();
      expect(kinds.map((k) => k.kind).sort()).toEqual([
        "disposable_email",
        "fresh_accounts",
        "lookalike_email",
        "same_ip",
        "same_network",
        "same_second",
      ]);
      // In the main thread the same run stalled the loop for its whole length (1.5–3 s here).
      expect(maxStallMs).toBeLessThan(MAX_STALL_MS);

      const thread = running.threads?.worker("detect-fraud");
      expect(thread?.threadId).toBeGreaterThan(0);
      await running.close();
      expect(thread?.threadId).toBe(-1); // ended
    },
    240_000,
  );

  it("fails and retries a job whose thread crashed, then reuses the new thread; close() ends it", async () => {
    const { projectId } = await editionWithSameIpVotes();
    const marker = join(outboxDir, "crash-next-job");
    writeFileSync(marker, "");
    process.env[THREAD_CRASH_ENV] = marker; // restored by the cleanups
    const running = await start();

    await add("detect-fraud", "fraud-crash", 3, 200);
    const job = await completed("detect-fraud", "fraud-crash", 60_000);
    expect(existsSync(marker)).toBe(false); // the first attempt crashed its thread
    expect(job.attemptsMade).toBe(2);
    expect((job.stacktrace ?? []).join("\n")).toContain("fraud thread crashed");
    expect(await sameIpFlags(projectId)).toEqual([{ kind: "same_ip", vote_count: 20 }]);

    const thread = running.threads?.worker("detect-fraud");
    expect(thread?.threadId).toBeGreaterThan(0);
    await add("detect-fraud", "fraud-again", 1, 0);
    await completed("detect-fraud", "fraud-again", 60_000);
    expect(running.threads?.worker("detect-fraud")).toBe(thread); // reused

    await running.close();
    expect(thread?.threadId).toBe(-1);
  });

  it("fails a job that throws in its thread, keeps the thread, and the retry succeeds", async () => {
    const { projectId } = await editionWithSameIpVotes();
    const running = await start();
    // Warm the thread up, so that the retry delay below is not spent starting it.
    await add("detect-fraud", "fraud-warm", 1, 0);
    await completed("detect-fraud", "fraud-warm", 60_000);
    const thread = running.threads?.worker("detect-fraud");
    await sql`delete from fraud_flags`.execute(t.db);

    await sql`alter table fraud_flags rename to fraud_flags_away`.execute(t.db);
    await add("detect-fraud", "fraud-throws", 2, 3_000);
    const failedOnce = await waitForJob(
      "detect-fraud",
      "fraud-throws",
      (job) => job.attemptsMade >= 1,
      30_000,
    );
    expect(failedOnce.failedReason).toMatch(/fraud_flags/);
    await sql`alter table fraud_flags_away rename to fraud_flags`.execute(t.db);

    const job = await completed("detect-fraud", "fraud-throws", 30_000);
    expect(job.attemptsMade).toBe(2);
    expect(await sameIpFlags(projectId)).toEqual([{ kind: "same_ip", vote_count: 20 }]);
    expect(running.threads?.worker("detect-fraud")).toBe(thread);
  });

  it("runs the tallies in their thread: live-tally enqueues the close tally, which is stored", async () => {
    const now = new Date();
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const project = await makeProject(t.db, { editionId: edition.id, categoryCode: "C3" });
    for (let i = 0; i < 3; i++) {
      const voter = await makeUser(t.db);
      await castVote(t.db, { voter, roles: ["voter"], projectId: project.id, ip: "198.51.100.7" }, now);
    }
    await t.db
      .updateTable("editions")
      .set({ voting_closes_at: new Date(now.getTime() - 1000).toISOString() })
      .where("id", "=", edition.id)
      .execute();
    const running = await start();

    await add("live-tally", "live-once", 1, 0);
    await completed("live-tally", "live-once", 60_000);
    // The enqueue asked by the thread went through this process's producer.
    await completed("official-tally", tallyCloseJobId(await instanceId(t.db), edition.id), 60_000);
    const run = await t.db
      .selectFrom("tally_runs")
      .selectAll()
      .where("edition_id", "=", edition.id)
      .executeTakeFirstOrThrow();
    expect(run).toMatchObject({ trigger: "close", votes_counted: 3, valid_votes: 3 });
    const live = await t.db
      .selectFrom("live_counts")
      .select("cast_votes")
      .where("project_id", "=", project.id)
      .executeTakeFirstOrThrow();
    expect(Number(live.cast_votes)).toBe(3);
    // Both tally jobs share one thread.
    expect(running.threads?.worker("official-tally")).toBe(running.threads?.worker("live-tally"));
  });
});
