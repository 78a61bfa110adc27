/**
 * npm run bench:vote — votes per second through the real POST /vote endpoint of the production build, with
 * all its protections (same-origin + CSRF checks, DB session, Redis rate limits per IP and per account, zod,
 * the voting rules, the unique constraint), compared with a bare node:http server on the same machine; then
 * checks that the votes table holds exactly the acknowledged votes.
 *
 * Options (env): BENCH_SECONDS (default 30), BENCH_CONNECTIONS (64), BENCH_VOTERS (12000).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import autocannon from "autocannon";
import { createDb } from "../../db/client";
import { prepareDatabase } from "../../db/prepare";
import { csrfTokenForSession } from "../../app/utils/csrf.server";
import { redisAnswers } from "../../app/utils/redis.server";
import { startApp } from "../helpers/app";
import { votersWithSessions, votingEdition } from "./fixtures";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const VOTERS = Number(process.env.BENCH_VOTERS ?? 12_000);
const SECRET = "bench-session-secret-0123456789abcdef";

/** User + system CPU time of a process in ms, from /proc (Linux), or NaN elsewhere. */
function cpuMs(pid: number): number {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return NaN;
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
  const stat = readFileSync(file, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100; // USER_HZ on Linux
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

function percentile(result: autocannon.Result, p: "p50" | "p99"): number {
  return result.latency[p];
}

async function bareReqPerSec(): Promise<number> {
  // In a child process, like the app, so autocannon's own loop is not shared with the server.
  const child = spawn(
    process.execPath,
    [
      "-e",
      "require('node:http').createServer((q,s)=>{s.writeHead(200,{'Content-Type':'text/plain'});s.end('ok')}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve) =>
    child.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim()))),
  );
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: CONNECTIONS,
    duration: Math.min(SECONDS, 10),
  });
  child.kill();
  return result.requests.average;
}

async function main(): Promise<void> {
  process.env.SESSION_SECRET = SECRET;
  const redisUrl = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  if (!(await redisAnswers(redisUrl))) throw new Error(`bench:vote needs Redis at ${redisUrl}`);
  const file = `var/bench/vote-${Date.now()}.sqlite`;
  const db = createDb(file);
  await prepareDatabase(db);
  const { categories, nominees } = await votingEdition(db, 10);
  const t0 = Date.now();
  const tokens = await votersWithSessions(db, VOTERS);
  process.stdout.write(`prepared ${VOTERS} voters with sessions in ${Date.now() - t0} ms\n`);
  await db.destroy();

  const app = await startApp({
    databaseUrl: file,
    redisUrl,
    nodeArgs: process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=var/prof"] : [],
    env: {
      NODE_ENV: "production",
      SESSION_SECRET: SECRET,
      TRUST_PROXY: "1",
      LOG_LEVEL: "info",
      APP_URL: "http://127.0.0.1",
    },
  });
  // CSRF tokens are bound to the session: one per voter.
  const csrf = tokens.map((token) => csrfTokenForSession(token));
  const cpuBefore = cpuMs(app.pid);

  // Each request is the next (voter, category) pair: voter-major order, so no pair is ever sent twice.
  let next = 0;
  const total = VOTERS * categories.length;
  const acked = new Set<number>();
  const answered = new Set<number>();
  let refused = 0;
  const votedPair = (n: number) => ({
    voter: Math.floor(n / categories.length),
    category: n % categories.length,
  });
  const result = await autocannon({
    url: app.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: "POST",
        path: "/vote",
        setupRequest: (req, context) => {
          if (next >= total) return req;
          const n = next++;
          Reflect.set(context, "n", n);
          const { voter, category } = votedPair(n);
          const list = nominees[category];
          const project = list[(voter * 7 + category) % list.length];
          return {
            ...req,
            headers: {
              "Content-Type": "application/x-www-form-urlencoded",
              Accept: "application/json",
              Cookie: `wsis_session=${tokens[voter]}; wsis_csrf=${csrf[voter]}`,
              "X-Forwarded-For": `100.${64 + ((voter >> 16) & 63)}.${(voter >> 8) & 255}.${voter & 255}`,
            },
            body: `_csrf=${encodeURIComponent(csrf[voter])}&project=${project}`,
          };
        },
        onResponse: (status, body, context) => {
          const n = Number(Reflect.get(context, "n"));
          answered.add(n);
          if (status === 200 && body.includes('"created":true')) acked.add(n);
          else refused++;
        },
      },
    ],
  });
  const appCpuMs = cpuMs(app.pid) - cpuBefore;
  await new Promise((r) => setTimeout(r, 500));
  await app.stop();

  const check = createDb(file);
  const rows = await check.selectFrom("votes").select(["voter_id", "category_id"]).execute();
  const users = await check.selectFrom("users").select("id").orderBy("id").execute();
  const cats = await check.selectFrom("categories").select("id").orderBy("position").execute();
  await check.destroy();
  const voterIndex = new Map(users.map((u, i) => [u.id, i]));
  const catIndex = new Map(cats.map((c, i) => [c.id, i]));
  // Voters were created after the 4… fixtures' users; their index is their position among all users.
  const firstVoter = users.length - VOTERS;
  const present = new Set(
    rows.map(
      (r) =>
        ((voterIndex.get(r.voter_id) ?? 0) - firstVoter) * categories.length +
        (catIndex.get(r.category_id) ?? 0),
    ),
  );
  let lost = 0;
  for (const n of acked) if (!present.has(n)) lost++;
  // Requests still in flight when the run stopped were sent but never answered: not counted either way.
  let inflight = 0;
  for (let n = 0; n < next; n++) if (!answered.has(n)) inflight++;
  let extra = 0;
  for (const n of present) if (!acked.has(n) && answered.has(n)) extra++;

  const bare = await bareReqPerSec();
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });

  const votesPerSecond = acked.size / SECONDS;
  const non2xx = result.non2xx;
  process.stdout.write(
    [
      `requests=${result.requests.total} errors=${result.errors} timeouts=${result.timeouts} refused=${refused} unanswered_at_stop=${inflight}`,
      `vote endpoint: ${result.requests.average.toFixed(0)} req/s average, latency p50 ${percentile(result, "p50")} ms p99 ${percentile(result, "p99")} ms`,
      `bare node:http: ${bare.toFixed(0)} req/s`,
      `app CPU per answered request: ${(appCpuMs / Math.max(1, result.requests.total)).toFixed(3)} ms`,
      `votes_per_s=${votesPerSecond.toFixed(0)} p50_ms=${percentile(result, "p50")} p99_ms=${percentile(result, "p99")} bare_ratio=${(votesPerSecond / bare).toFixed(3)} non2xx=${non2xx} lost=${lost} extra=${extra}`,
    ].join("\n") + "\n",
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
