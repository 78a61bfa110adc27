/**
 * npm run chaos — the fault-injection runs of issue 9 as one script, against the built app (tests/helpers/app.ts),
 * each scenario on its own database, private Redis (tests/helpers/redis-server.ts, so it may be paused or
 * killed; the shared Redis on 6379 is never touched) and, for mail, its own SMTP relay:
 *
 *   1 redis-pause   Redis frozen (SIGSTOP) for CHAOS_PAUSE_S under vote load, then SIGCONT.
 *   2 rolling-stop  SIGTERM to the app under keep-alive vote load; a second app on the same database and Redis
 *                   prefix takes the new connections (a rolling restart).
 *   3 worker-kill   a worker process (`npm run worker`; no web process runs workers here) SIGKILLed while award
 *                   emails go to a slow relay; a new worker started; duplicates and delay counted.
 *   4 sqlite-lock   another process holds BEGIN EXCLUSIVE for CHAOS_LOCK_S under vote load (SQLite only).
 *   5 long-reader   a CHAOS_READER_S read transaction during voting; WAL size before/after (SQLite only).
 *   6 restored-db   emails delivered, the database restored from a copy taken before (PostgreSQL: a fresh
 *                   database with the same row ids) on the same Redis prefix, enqueued again: all must be sent.
 *
 * Each scenario prints one line; the last line is the summary:
 *   lost=… duplicates=… max_stall_ms=… resets=… errors_500=… shed_503=…
 * lost: acknowledged votes missing from the database, plus emails not delivered by CHAOS_MAIL_DEADLINE_S;
 * duplicates: duplicate vote rows, plus emails received twice (same Message-ID); max_stall_ms: the longest any
 * request waited for its first byte (or error) while its app was alive; resets: connections reset under a
 * request; errors_500: 5xx answers other than a deliberate 503 with Retry-After; shed_503: those 503s.
 *
 * Knobs (env): CHAOS_DIALECT (sqlite | postgres, with TEST_POSTGRES_URL), CHAOS_SCENARIOS (e.g. 1,2,4),
 * CHAOS_SECONDS (calm load before and after each fault, 8), CHAOS_RATE (votes/s, 200), CHAOS_CONNECTIONS (32),
 * CHAOS_PAUSE_S (20), CHAOS_LOCK_S (10), CHAOS_READER_S (30), CHAOS_EMAILS (300), CHAOS_SMTP_DELAY_MS (300),
 * CHAOS_MAIL_DEADLINE_S (240), CHAOS_SKIP_BUILD=1 (reuse build/).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { loadavg } from "node:os";
import { Redis } from "ioredis";
import { sql } from "kysely";
import { csrfTokenForSession } from "../../app/utils/csrf.server";
import { resetEnvCache } from "../../app/utils/env.server";
import { createDb, type Db, type Dialect } from "../../db/client";
import { SERVER_ENTRY, startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { PrivateRedis } from "../helpers/redis-server";
import { votersWithSessions, votingEdition } from "../bench/fixtures";
import { figures, VoteLoad, type Voter } from "./load";
import { dispatch, queueAwardEmails, startSlowRelay, startWorkerProcess, type WorkerProc } from "./mail";

const num = (name: string, fallback: number) => {
  const v = process.env[name];
  return v ? Number(v) : fallback;
};
const DIALECT: Dialect = process.env.CHAOS_DIALECT === "postgres" ? "postgres" : "sqlite";
const CALM_S = num("CHAOS_SECONDS", 8);
const RATE = num("CHAOS_RATE", 200);
const CONNECTIONS = num("CHAOS_CONNECTIONS", 32);
const PAUSE_S = num("CHAOS_PAUSE_S", 20);
const LOCK_S = num("CHAOS_LOCK_S", 10);
const READER_S = num("CHAOS_READER_S", 30);
const EMAILS = num("CHAOS_EMAILS", 300);
const SMTP_DELAY_MS = num("CHAOS_SMTP_DELAY_MS", 300);
const MAIL_DEADLINE_S = num("CHAOS_MAIL_DEADLINE_S", 240);
const SCENARIOS = new Set((process.env.CHAOS_SCENARIOS ?? "1,2,3,4,5,6").split(",").map((s) => s.trim()));
const SECRET = "chaos-session-secret-0123456789abcdef";
const APP_ENV = {
  NODE_ENV: "production",
  SESSION_SECRET: SECRET,
  TRUST_PROXY: "1",
  APP_URL: "http://127.0.0.1",
  LOG_LEVEL: "info",
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
/** Progress goes to stderr; stdout holds only the scenario lines and the summary. */
const note = (msg: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

/** What each scenario adds to the summary line. */
interface Totals {
  lost: number;
  duplicates: number;
  maxStallMs: number;
  resets: number;
  errors500: number;
  shed503: number;
}
const zero = (): Totals => ({ lost: 0, duplicates: 0, maxStallMs: 0, resets: 0, errors500: 0, shed503: 0 });

/** Children to kill and processes to wake (SIGCONT) should the run die half way. */
const strays = new Set<number>();
const paused = new Set<number>();
process.on("exit", () => {
  for (const pid of paused) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      /* gone */
    }
  }
  for (const pid of strays) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/** The pid of a redis-server, from its own INFO. */
async function redisPid(url: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await client.info("server");
    const m = /process_id:(\d+)/.exec(info);
    if (!m) throw new Error("redis INFO has no process_id");
    return Number(m[1]);
  } finally {
    client.disconnect();
  }
}

async function app(
  databaseUrl: string,
  redisUrl: string,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  for (let attempt = 1; ; attempt++) {
    try {
      const a = await startApp({ databaseUrl, redisUrl, env: { ...APP_ENV, ...env } });
      strays.add(a.pid);
      return a;
    } catch (e) {
      // On a PostgreSQL shared with other test runs, Kysely's migrator lists the tables of every schema and
      // fails when another run drops its schema at that moment: not a fault under test, so start again.
      if (attempt >= 3 || !/Migration \S+ failed: relation .* does not exist/.test(String(e))) throw e;
      note(`app start failed on another schema's drop (${String(e).split("\n")[1] ?? ""}); again`);
    }
  }
}

/**
 * SIGTERM and wait for the exit, with a bound: the milliseconds it took, whether it had to be killed, and how
 * it ended (exit code or signal).
 */
async function stopApp(
  a: RunningApp,
  boundMs = 30_000,
): Promise<{ ms: number; forced: boolean; exit: string }> {
  const start = Date.now();
  const stopped = a.stop();
  const forced = await Promise.race([stopped.then(() => false), sleep(boundMs).then(() => true)]);
  if (forced) {
    process.kill(a.pid, "SIGKILL");
    await stopped;
  }
  strays.delete(a.pid);
  const { code, signal } = await a.exited;
  return { ms: Date.now() - start, forced, exit: signal ?? String(code) };
}

const appErrors = (a: RunningApp) =>
  a.logs
    .join("")
    .split("\n")
    .filter((l) => l.includes('"level":"error"')).length;

interface VoteRig {
  t: TestDb;
  editionId: number;
  redis: PrivateRedis;
  apps: RunningApp[];
  load: VoteLoad;
}

/**
 * A database with a voting edition and enough voters with sessions, a private Redis, one app, and the vote
 * load (not started). `seconds` is how long the scenario votes (sizes the number of voters).
 */
async function voteRig(seconds: number): Promise<VoteRig> {
  const t = await createTestDb(DIALECT);
  const { editionId, categories, nominees } = await votingEdition(t.db, 10);
  const count = Math.ceil((RATE * seconds * 1.3) / categories.length) + 50;
  const tokens = await votersWithSessions(t.db, count);
  const sessions = await t.db.selectFrom("sessions").select(["id", "user_id"]).execute();
  const userOf = new Map(sessions.map((s) => [s.id, s.user_id]));
  process.env.SESSION_SECRET = SECRET;
  resetEnvCache();
  const voters: Voter[] = tokens.map((token, i) => {
    const userId = userOf.get(createHash("sha256").update(token).digest("hex")) ?? 0;
    return {
      userId,
      token,
      csrf: csrfTokenForSession(token),
      ip: `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`,
    };
  });
  const redis = await PrivateRedis.start();
  const first = await app(t.url, redis.url);
  const load = new VoteLoad({
    voters,
    categories: categories.map((c) => c.id),
    nominees,
    target: first.url,
    rate: RATE,
    connections: CONNECTIONS,
    healthEveryMs: 250,
  });
  return { t, editionId, redis, apps: [first], load };
}

/** Votes acknowledged but missing, and (voter, category) pairs holding more than one vote. */
async function checkVotes(db: Db, editionId: number, acked: Set<string>) {
  const rows = await db
    .selectFrom("votes")
    .select(["voter_id", "category_id"])
    .where("edition_id", "=", editionId)
    .execute();
  const seen = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.voter_id}:${r.category_id}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  let lost = 0;
  for (const key of acked) if (!seen.has(key)) lost++;
  let duplicates = 0;
  for (const n of seen.values()) if (n > 1) duplicates += n - 1;
  return { lost, duplicates, rows: rows.length };
}

/** Stops the load and the apps, counts, cleans up; returns the scenario's line and totals. */
async function finishRig(
  name: string,
  rig: VoteRig,
  extra: string,
): Promise<{ line: string; totals: Totals }> {
  await rig.load.stop();
  const errors = rig.apps.reduce((n, a) => n + appErrors(a), 0);
  for (const a of rig.apps) await stopApp(a);
  const votes = await checkVotes(rig.t.db, rig.editionId, rig.load.acked);
  await rig.redis.stop();
  await rig.t.cleanup();
  const f = figures(rig.load.samples);
  if (process.env.CHAOS_DEBUG) {
    const slow = rig.load.samples
      .filter((s) => s.latencyMs > 1000)
      .map((s) => `${s.phase}/${s.kind}@${(s.sentAt / 1000).toFixed(1)}s:${Math.round(s.latencyMs)}`);
    note(`${name}: ${slow.length} requests over 1 s: ${slow.slice(0, 40).join(" ")}`);
    for (const a of rig.apps) {
      const lines = a.logs
        .join("")
        .split("\n")
        .filter((l) => /"level":"(warn|error)"/.test(l));
      note(`${name}: app ${a.pid} warnings:\n${lines.slice(0, 30).join("\n")}`);
    }
  }
  const phases = [...rig.load.ackedByPhase].map(([p, n]) => `${p}:${n}`).join(",");
  const stalls = [...new Set(rig.load.samples.map((s) => s.phase))]
    .map((p) => `${p}:${maxIn(rig.load, p)}`)
    .join(",");
  const line =
    `${name}: ${extra ? `${extra} ` : ""}acked=${rig.load.acked.size} (${phases}) rows=${votes.rows} ` +
    `lost=${votes.lost} duplicates=${votes.duplicates} max_stall_ms=${f.maxStallMs} (${stalls}) p99_ms=${f.p99Ms} ` +
    `resets=${f.resets} errors_500=${f.errors500} shed_503=${f.shed503} refused=${rig.load.refused} ` +
    `other_errors=${f.otherErrors} app_error_logs=${errors} answers=${f.statuses}`;
  return {
    line,
    totals: {
      lost: votes.lost,
      duplicates: votes.duplicates,
      maxStallMs: f.maxStallMs,
      resets: f.resets,
      errors500: f.errors500,
      shed503: f.shed503,
    },
  };
}

/** Distinct /healthz answers seen in a phase, e.g. "200:redis×80". */
function healthIn(load: VoteLoad, phase: string): string {
  const seen = load.health.get(phase);
  if (!seen) return "none";
  return [...seen].map(([k, n]) => `${k.replace(/\s+/g, "")}×${n}`).join("|");
}

/** Max latency of the requests sent in a phase (all kinds, or one). */
function maxIn(load: VoteLoad, phase: string, kind?: "vote" | "health"): number {
  let max = 0;
  for (const s of load.samples)
    if (s.phase === phase && (!kind || s.kind === kind)) max = Math.max(max, s.latencyMs);
  return Math.round(max);
}

/**
 * Starts the load: phase "warmup" for the app's first two seconds of traffic (a cold process: still counted,
 * but shown apart), then "before" until CALM_S seconds have passed.
 */
async function calmStart(rig: VoteRig): Promise<void> {
  const warmupMs = Math.min(2000, CALM_S * 500);
  rig.load.phase = "warmup";
  rig.load.start();
  await sleep(warmupMs);
  rig.load.phase = "before";
  await sleep(CALM_S * 1000 - warmupMs);
}

// ---------------------------------------------------------------------------------------------------------------

async function redisPause() {
  const rig = await voteRig(CALM_S * 2 + PAUSE_S);
  const pid = await redisPid(rig.redis.url);
  await calmStart(rig);
  note(`redis-pause: SIGSTOP redis (pid ${pid}) for ${PAUSE_S} s`);
  rig.load.phase = "pause";
  paused.add(pid);
  process.kill(pid, "SIGSTOP");
  try {
    await sleep(PAUSE_S * 1000);
  } finally {
    process.kill(pid, "SIGCONT");
    paused.delete(pid);
  }
  rig.load.phase = "after";
  await sleep(CALM_S * 1000);
  const extra = `pause_s=${PAUSE_S} max_ms_during_pause=${maxIn(rig.load, "pause")} healthz_during_pause=${healthIn(rig.load, "pause")}`;
  return finishRig("1 redis-pause", rig, extra);
}

async function rollingStop() {
  const rig = await voteRig(CALM_S * 2 + 5);
  const [first] = rig.apps;
  await calmStart(rig);
  note("rolling-stop: starting the second app");
  rig.load.phase = "second-start";
  const second = await app(rig.t.url, rig.redis.url, { REDIS_PREFIX: first.prefix });
  rig.apps.push(second);
  rig.load.phase = "stop";
  rig.load.target = second.url;
  note("rolling-stop: SIGTERM to the first app");
  const stopped = stopApp(first);
  await sleep(CALM_S * 1000);
  const { ms, forced, exit } = await stopped;
  rig.load.phase = "after";
  await sleep(1000);
  const errors = appErrors(first);
  rig.apps = [second];
  const extra = `stop_ms=${ms} exit=${exit} forced_kill=${forced} first_app_error_logs=${errors}`;
  return finishRig("2 rolling-stop", rig, extra);
}

async function sqliteLock() {
  const rig = await voteRig(CALM_S * 2 + LOCK_S);
  await calmStart(rig);
  note(`sqlite-lock: another process holds BEGIN EXCLUSIVE for ${LOCK_S} s`);
  rig.load.phase = "locked"; // from the moment the other process starts taking the lock
  const holder = spawn(
    process.execPath,
    [
      "-e",
      `const D=require("better-sqlite3");const db=new D(process.argv[1]);db.pragma("busy_timeout=30000");` +
        `db.exec("BEGIN EXCLUSIVE");console.log("locked");` +
        `setTimeout(()=>{db.exec("COMMIT");db.close();console.log("released");process.exit(0)},Number(process.argv[2]))`,
      rig.t.url,
      String(LOCK_S * 1000),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  strays.add(holder.pid ?? 0);
  await lineFrom(holder, "locked");
  await lineFrom(holder, "released");
  strays.delete(holder.pid ?? 0);
  rig.load.phase = "after";
  await sleep(CALM_S * 1000);
  const extra = `lock_s=${LOCK_S} max_ms_while_locked=${maxIn(rig.load, "locked")} healthz_max_ms_while_locked=${maxIn(rig.load, "locked", "health")}`;
  return finishRig("4 sqlite-lock", rig, extra);
}

/** Resolves when the child prints `text` (rejects if it exits first). */
function lineFrom(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (c: Buffer) => {
      seen += c.toString();
      if (seen.includes(text)) {
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      if (!seen.includes(text)) reject(new Error(`child exited (${code}) before "${text}"`));
    });
  });
}

const walMb = (file: string) =>
  existsSync(`${file}-wal`) ? Math.round((statSync(`${file}-wal`).size / 1048576) * 10) / 10 : 0;

async function longReader() {
  const rig = await voteRig(CALM_S * 2 + READER_S);
  const file = rig.t.url;
  let walMax = 0;
  const sampler = setInterval(() => (walMax = Math.max(walMax, walMb(file))), 250);
  await calmStart(rig);
  const walBefore = walMb(file);
  note(`long-reader: a read transaction held for ${READER_S} s`);
  rig.load.phase = "reader";
  const reader = spawn(
    process.execPath,
    [
      "-e",
      `const D=require("better-sqlite3");const db=new D(process.argv[1],{readonly:true});db.exec("BEGIN");` +
        `db.prepare("SELECT count(*) AS n FROM votes").get();console.log("reading");` +
        `setTimeout(()=>{db.exec("COMMIT");db.close();console.log("done");process.exit(0)},Number(process.argv[2]))`,
      file,
      String(READER_S * 1000),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  strays.add(reader.pid ?? 0);
  await lineFrom(reader, "reading");
  await lineFrom(reader, "done");
  strays.delete(reader.pid ?? 0);
  const walAtRelease = walMb(file);
  rig.load.phase = "after";
  await sleep(CALM_S * 1000);
  clearInterval(sampler);
  const walAfter = walMb(file);
  const extra = `reader_s=${READER_S} wal_before_mb=${walBefore} wal_at_release_mb=${walAtRelease} wal_max_mb=${walMax} wal_after_mb=${walAfter}`;
  return finishRig("5 long-reader", rig, extra);
}

// --- mail scenarios: a foreground part that causes the fault, then a background wait for the deliveries ---------

/** Waits until `done()` or the deadline; returns whether it was met. */
async function until(done: () => Promise<boolean> | boolean, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await done()) return true;
    await sleep(500);
  }
  return done();
}

type Background = Promise<{ line: string; totals: Totals }>;

async function workerKill(): Promise<{ finish: Background }> {
  const t = await createTestDb(DIALECT);
  const redis = await PrivateRedis.start();
  const relay = await startSlowRelay(SMTP_DELAY_MS);
  const prefix = `chaos${Date.now().toString(36)}`;
  const workerEnv = {
    NODE_ENV: "production",
    SESSION_SECRET: SECRET,
    DATABASE_URL: t.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    SMTP_URL: relay.url,
  };
  const workers: WorkerProc[] = [];
  const cleanup = async () => {
    for (const w of workers) await w.stop(10_000);
    if (process.env.CHAOS_DEBUG) for (const w of workers) note(`worker ${w.pid} logs:\n${w.logs.join("")}`);
    await relay.stop();
    await redis.stop();
    await t.cleanup();
  };
  try {
    const ids = await queueAwardEmails(t.db, EMAILS, "kill");
    const first = await startWorkerProcess(workerEnv);
    strays.add(first.pid);
    workers.push(first);
    let debugEnd = () => {};
    const debugDone = new Promise<void>((r) => (debugEnd = r));
    if (process.env.CHAOS_DEBUG) {
      const { Queue } = await import("bullmq");
      const q = new Queue("send-email", { connection: { url: redis.url }, prefix });
      const timer = setInterval(() => {
        void Promise.all([
          q.getJobCounts(),
          t.db
            .selectFrom("outbox")
            .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
            .groupBy("status")
            .execute(),
        ]).then(([counts, rows]) =>
          note(
            `worker-kill debug: jobs ${JSON.stringify(counts)} rows ${JSON.stringify(rows)} received ${relay.received.length}`,
          ),
        );
      }, 5000);
      void debugDone.then(() => {
        clearInterval(timer);
        void q.close();
      });
    }
    const dispatchStart = Date.now();
    await dispatch(ids, t.db, { redisUrl: redis.url, prefix });
    if (process.env.CHAOS_DEBUG) note(`worker-kill: dispatch took ${Date.now() - dispatchStart} ms`);
    const start = Date.now();
    const killAfter = Math.ceil(EMAILS / 3);
    await until(() => relay.received.length >= killAfter, Date.now() + 120_000);
    const killedAt = Date.now();
    await first.kill();
    strays.delete(first.pid);
    const claimed = await t.db
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "queued")
      .where("sent_at", "is not", null)
      .executeTakeFirstOrThrow();
    const receivedAtKill = new Set(relay.received.map((r) => r.messageId)).size;
    note(
      `worker-kill: SIGKILL after ${receivedAtKill}/${EMAILS} delivered (${Number(claimed.n)} rows claimed by it); new worker`,
    );
    const second = await startWorkerProcess(workerEnv);
    strays.add(second.pid);
    workers.push(second);
    const finish = (async () => {
      try {
        const unique = () => new Set(relay.received.map((r) => r.messageId)).size;
        const all = await until(() => unique() >= ids.length, killedAt + MAIL_DEADLINE_S * 1000);
        await sleep(2000); // late duplicates
        if (process.env.CHAOS_DEBUG) {
          const buckets = new Map<number, number>();
          for (const r of relay.received) {
            const b = Math.floor((r.at - killedAt) / 5000) * 5;
            buckets.set(b, (buckets.get(b) ?? 0) + 1);
          }
          note(
            `worker-kill: received per 5 s from the kill: ${[...buckets].map(([b, n]) => `${b}s:${n}`).join(" ")}`,
          );
        }
        const received = relay.received.length;
        const delivered = unique();
        const last = Math.max(...relay.received.map((r) => r.at));
        const lost = ids.length - delivered;
        const duplicates = received - delivered;
        // Duplicates whose first copy the relay accepted before the kill or within a second of it (the relay
        // notices a closed connection a moment late): the worker died between the relay's 250 and marking
        // the row sent, the window SMTP cannot close.
        const firstAt = new Map<string, number>();
        const seen = new Map<string, number>();
        for (const r of relay.received) {
          seen.set(r.messageId, (seen.get(r.messageId) ?? 0) + 1);
          if (!firstAt.has(r.messageId)) firstAt.set(r.messageId, r.at);
        }
        const atKill = [...seen].filter(
          ([id, n]) => n > 1 && (firstAt.get(id) ?? 0) < killedAt + 1000,
        ).length;
        const line =
          `3 worker-kill: emails=${ids.length} delivered=${delivered} lost=${lost} duplicates=${duplicates} (first_copy_at_kill=${atKill}) ` +
          `delivered_at_kill=${receivedAtKill} claimed_at_kill=${Number(claimed.n)} aborted_by_kill=${relay.aborted} ` +
          `${all ? `all_delivered_s_after_kill=${((last - killedAt) / 1000).toFixed(1)}` : `not_all_delivered_after_s=${MAIL_DEADLINE_S}`} ` +
          `first_batch_s=${((killedAt - start) / 1000).toFixed(1)}`;
        return { line, totals: { ...zero(), lost, duplicates } };
      } finally {
        debugEnd();
        await cleanup();
      }
    })();
    return { finish };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function restoredDb(): Promise<{ finish: Background }> {
  const count = 30;
  const redis = await PrivateRedis.start();
  const relay = await startSlowRelay(0);
  const prefix = `chaos${Date.now().toString(36)}r`;
  const cleanups: Array<() => Promise<void>> = [() => redis.stop(), () => relay.stop()];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
  };
  try {
    const t = await createTestDb(DIALECT);
    cleanups.push(() => t.cleanup());
    const ids = await queueAwardEmails(t.db, count, "restore");
    // The copy taken before delivery (SQLite: VACUUM INTO keeps the row ids).
    const copy = `${t.url}.before`;
    if (DIALECT === "sqlite") await sql`VACUUM INTO ${sql.lit(copy)}`.execute(t.db);
    const env = (databaseUrl: string) => ({
      NODE_ENV: "production",
      SESSION_SECRET: SECRET,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      SMTP_URL: relay.url,
    });
    const w1 = await startWorkerProcess(env(t.url));
    strays.add(w1.pid);
    await dispatch(ids, t.db, { redisUrl: redis.url, prefix });
    const firstDone = await until(() => relay.received.length >= count, Date.now() + 60_000);
    await w1.stop(30_000);
    strays.delete(w1.pid);
    const firstDelivered = new Set(relay.received.map((r) => r.messageId)).size;

    // The restore: the copy replaces the database (PostgreSQL: a fresh database given the same rows).
    let restoredUrl: string;
    let restoredDb: Db;
    if (DIALECT === "sqlite") {
      await t.db.destroy();
      for (const suffix of ["-wal", "-shm"]) rmSync(`${t.url}${suffix}`, { force: true });
      copyFileSync(copy, t.url);
      restoredUrl = t.url;
      restoredDb = createDb(t.url);
      cleanups.push(() => restoredDb.destroy());
    } else {
      const fresh = await createTestDb("postgres");
      cleanups.push(() => fresh.cleanup());
      const again = await queueAwardEmails(fresh.db, count, "restore");
      if (again.join() !== ids.join()) throw new Error("the fresh database did not give the same row ids");
      restoredUrl = fresh.url;
      restoredDb = fresh.db;
    }
    const queued = await restoredDb
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "queued")
      .executeTakeFirstOrThrow();
    const restoredAt = Date.now();
    const w2 = await startWorkerProcess(env(restoredUrl));
    strays.add(w2.pid);
    cleanups.push(async () => {
      await w2.stop(10_000);
      strays.delete(w2.pid);
    });
    await dispatch(ids, restoredDb, { redisUrl: redis.url, prefix });
    note(
      `restored-db: ${firstDelivered}/${count} delivered, database restored (${Number(queued.n)} queued again)`,
    );
    const finish = (async () => {
      try {
        const after = () => relay.received.filter((r) => r.at >= restoredAt);
        const all = await until(
          () => new Set(after().map((r) => r.messageId)).size >= count,
          restoredAt + MAIL_DEADLINE_S * 1000,
        );
        await sleep(2000);
        const second = after();
        const delivered = new Set(second.map((r) => r.messageId)).size;
        const firstDuplicates = relay.received.length - second.length - firstDelivered;
        const duplicates = second.length - delivered + Math.max(0, firstDuplicates);
        const lost = count - delivered + (firstDone ? 0 : count - firstDelivered);
        const last = second.length ? Math.max(...second.map((r) => r.at)) : restoredAt;
        const line =
          `6 restored-db: emails=${count} first_delivery=${firstDelivered} after_restore=${delivered} ` +
          `lost=${lost} duplicates=${duplicates} ` +
          `${all ? `all_sent_s_after_restore=${((last - restoredAt) / 1000).toFixed(1)}` : `not_all_sent_after_s=${MAIL_DEADLINE_S}`}`;
        return { line, totals: { ...zero(), lost, duplicates } };
      } finally {
        await cleanup();
      }
    })();
    return { finish };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= process.env.CHAOS_DEBUG ? "warn" : "error";
  if (!existsSync(SERVER_ENTRY) || process.env.CHAOS_SKIP_BUILD !== "1") {
    const build = spawnSync("npm", ["run", "build"], { stdio: ["ignore", "ignore", "inherit"] });
    if (build.status !== 0) throw new Error("npm run build failed");
  }
  const spawnCheck = spawnSync("redis-server", ["--version"]);
  if (spawnCheck.status !== 0)
    throw new Error("the chaos runs need redis-server (apt-get install redis-server)");
  if (DIALECT === "postgres" && !process.env.TEST_POSTGRES_URL)
    throw new Error("CHAOS_DIALECT=postgres needs TEST_POSTGRES_URL");
  if (process.env.CHAOS_DEBUG) {
    let last = Date.now();
    setInterval(() => {
      const lag = Date.now() - last - 100;
      if (lag > 300) note(`event loop of the harness held ${lag} ms`);
      last = Date.now();
    }, 100).unref();
  }
  note(
    `chaos runs on ${DIALECT}: scenarios ${[...SCENARIOS].join(",")}, ${RATE} votes/s over ${CONNECTIONS} connections; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );

  const total = zero();
  const add = (r: { line: string; totals: Totals }) => {
    out(r.line);
    total.lost += r.totals.lost;
    total.duplicates += r.totals.duplicates;
    total.maxStallMs = Math.max(total.maxStallMs, r.totals.maxStallMs);
    total.resets += r.totals.resets;
    total.errors500 += r.totals.errors500;
    total.shed503 += r.totals.shed503;
  };
  // The mail scenarios first: their waits (lease expiry, sweeper) run in the background of the vote scenarios.
  const background: Background[] = [];
  if (SCENARIOS.has("3")) {
    note("3 worker-kill");
    background.push((await workerKill()).finish);
  }
  if (SCENARIOS.has("6")) {
    note("6 restored-db");
    background.push((await restoredDb()).finish);
  }
  // Unhandled until awaited below: keep a rejection from killing the run early.
  for (const b of background) b.catch(() => {});
  if (SCENARIOS.has("1")) {
    note("1 redis-pause");
    add(await redisPause());
  }
  if (SCENARIOS.has("2")) {
    note("2 rolling-stop");
    add(await rollingStop());
  }
  const sqliteOnly = (name: string) => out(`${name}: skipped (SQLite only)`);
  if (SCENARIOS.has("4")) {
    note("4 sqlite-lock");
    if (DIALECT === "sqlite") add(await sqliteLock());
    else sqliteOnly("4 sqlite-lock");
  }
  if (SCENARIOS.has("5")) {
    note("5 long-reader");
    if (DIALECT === "sqlite") add(await longReader());
    else sqliteOnly("5 long-reader");
  }
  if (background.length) note("waiting for the mail scenarios");
  for (const b of background) add(await b);
  note(
    `done in ${((Date.now() - t0) / 1000).toFixed(0)} s; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  out(
    `lost=${total.lost} duplicates=${total.duplicates} max_stall_ms=${total.maxStallMs} resets=${total.resets} errors_500=${total.errors500} shed_503=${total.shed503}`,
  );
}

main()
  .then(() => process.exit(0))
  .catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
