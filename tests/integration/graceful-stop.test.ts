/**
 * Stopping the production build (issue 9 §2): SIGTERM under keep-alive load resets no request and loses no
 * acknowledged vote; `npm start` is one process that gets the signal; a stuck job cannot hold the stop past
 * STOP_TIMEOUT_MS. Runs the bundled server (build/server/*.js), as production does.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { Agent, request } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { queueEmail } from "../../app/domain/outbox.server";
import { emailJobId } from "../../app/jobs/contract";
import { createQueues } from "../../workers/queues";
import { instanceId } from "../../db/instance";
import { votersWithSessions, votingEdition } from "../bench/fixtures";
import { startApp, type RunningApp } from "../helpers/app";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "";
const SESSION_SECRET = "test-session-secret-0123456789";

interface Answer {
  status: number;
  body: string;
  /** The server said `Connection: close`: this connection ends after the answer. */
  closing: boolean;
  setCookie: string[];
}

/** One request on `agent` (one keep-alive connection per client). */
function send(
  agent: Agent,
  port: number,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            closing: (res.headers.connection ?? "").toLowerCase() === "close",
            setCookie: res.headers["set-cookie"] ?? [],
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

function csrfFrom(setCookie: string[]): string | undefined {
  for (const line of setCookie) {
    const m = /^wsis_csrf=([^;]+)/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

describe.each(DIALECTS)("SIGTERM under keep-alive load on %s", (dialect) => {
  let t: TestDb;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(async () => {
    await app?.stop();
    await t?.cleanup();
  });

  it("resets no request, says Connection: close on every connection, and loses no acknowledged vote", async () => {
    const { categories, nominees } = await votingEdition(t.db, 3);
    const VOTERS = 400;
    const CLIENTS = 32;
    const tokens = await votersWithSessions(t.db, VOTERS);
    const started = await startApp({
      databaseUrl: t.url,
      redisUrl: REDIS_URL,
      env: { TRUST_PROXY: "1", SESSION_SECRET, STOP_TIMEOUT_MS: "10000" },
    });
    app = started;

    let nextVoter = 0;
    let signalled = false;
    const acked: Array<{ voter: number; category: number }> = [];
    const counts = { requests: 0, afterSignal: 0, resets: 0, refused: 0, otherErrors: 0, closed: 0, bad: 0 };
    const errors: string[] = [];

    // Each client: one keep-alive connection; per voter a page (which hands out the CSRF cookie), then one
    // vote in each category, until the server says Connection: close. Half the clients think for up to 200 ms
    // between requests, so some connections are idle when the signal comes.
    const client = async (index: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const ask = async (options: Parameters<typeof send>[2]) => {
        if (index % 2 === 1) await new Promise((r) => setTimeout(r, Math.random() * 200));
        counts.requests++;
        if (signalled) counts.afterSignal++;
        return send(agent, started.port, options);
      };
      try {
        while (nextVoter < VOTERS) {
          const voter = nextVoter++;
          const ip = `100.64.${voter >> 8}.${voter & 255}`;
          const session = `wsis_session=${tokens[voter]}`;
          const page = await ask({
            method: "GET",
            path: "/",
            headers: { Cookie: session, "X-Forwarded-For": ip },
          });
          const csrf = csrfFrom(page.setCookie);
          if (page.status !== 200 || !csrf) counts.bad++;
          if (page.closing) return void counts.closed++;
          for (let c = 0; c < categories.length; c++) {
            const project = nominees[c][(voter + c) % nominees[c].length];
            const answer = await ask({
              method: "POST",
              path: "/vote",
              headers: {
                Accept: "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
                Cookie: `${session}; wsis_csrf=${csrf ?? ""}`,
                "X-Forwarded-For": ip,
              },
              body: `_csrf=${encodeURIComponent(csrf ?? "")}&project=${project}`,
            });
            if (answer.status === 200 && answer.body.includes('"created":true'))
              acked.push({ voter, category: c });
            else counts.bad++;
            if (answer.closing) return void counts.closed++;
          }
        }
        errors.push(`client ${index} ran out of voters`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "";
        const message = e instanceof Error ? e.message : String(e);
        if (code === "ECONNRESET" || code === "EPIPE" || /socket hang up/.test(message)) counts.resets++;
        else if (code === "ECONNREFUSED") counts.refused++;
        else counts.otherErrors++;
        errors.push(`client ${index}: ${code} ${message}`);
      } finally {
        agent.destroy();
      }
    };

    const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
    // Mid-load: once a few hundred votes are in.
    await vi.waitFor(
      () => {
        if (acked.length < 600) throw new Error(`${acked.length} votes so far`);
      },
      { timeout: 60_000, interval: 20 },
    );
    signalled = true;
    const signalAt = Date.now();
    process.kill(started.pid, "SIGTERM");
    const exit = await started.exited;
    const stopMs = Date.now() - signalAt;
    await Promise.all(clients);

    // Every acknowledged vote is in the database.
    const users = await t.db.selectFrom("sessions").select(["id", "user_id"]).execute();
    const userOfSession = new Map(users.map((u) => [u.id, u.user_id]));
    const voterIds = tokens.map((token) =>
      userOfSession.get(createHash("sha256").update(token).digest("hex")),
    );
    const rows = await t.db.selectFrom("votes").select(["voter_id", "category_id"]).execute();
    const present = new Set(rows.map((r) => `${r.voter_id}:${r.category_id}`));
    const lost = acked.filter((a) => !present.has(`${voterIds[a.voter]}:${categories[a.category].id}`));

    const summary = { ...counts, acked: acked.length, lost: lost.length, stopMs, exit, errors };
    process.stdout.write(
      `graceful stop (${dialect}): ${JSON.stringify({ ...summary, errors: undefined })}\n`,
    );
    expect(summary.resets, JSON.stringify(summary)).toBe(0);
    expect(summary.refused, JSON.stringify(summary)).toBe(0);
    expect(summary.otherErrors, JSON.stringify(summary)).toBe(0);
    expect(summary.lost, JSON.stringify(summary)).toBe(0);
    // Every connection was told to close, and requests sent after the signal were answered.
    expect(summary.closed, JSON.stringify(summary)).toBe(CLIENTS);
    expect(summary.bad, JSON.stringify(summary)).toBe(0);
    expect(exit, started.logs.join("")).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(10_000 + 2_000);
    app = undefined;
  }, 180_000);
});

/** Whether process `pid` is still alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm start is one process that stops on SIGTERM", () => {
  let t: TestDb;
  const leftovers: number[] = [];

  beforeAll(async () => {
    t = await createTestDb("sqlite");
  });
  afterEach(() => {
    // The old start (npm → sh → tsx → node) left the app running: never leave it behind.
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it.each([
    ["the npm process", "npm"],
    ["npm's process group", "group"],
  ])(
    "SIGTERM to %s stops the app cleanly within the stop timeout",
    async (_label, target) => {
      const STOP_TIMEOUT_MS = 4000;
      const npm = spawn("npm", ["start"], {
        detached: true, // its own process group, as a supervisor would start it
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          NODE_ENV: "test",
          HOST: "127.0.0.1",
          PORT: "0",
          DATABASE_URL: t.url,
          REDIS_URL,
          REDIS_PREFIX: `t${Math.random().toString(36).slice(2, 10)}`,
          SESSION_SECRET,
          LOG_LEVEL: "info",
          STOP_TIMEOUT_MS: String(STOP_TIMEOUT_MS),
        },
      });
      const npmPid = npm.pid ?? 0;
      leftovers.push(-npmPid);
      let output = "";
      npm.stdout.on("data", (c: Buffer) => (output += c.toString()));
      npm.stderr.on("data", (c: Buffer) => (output += c.toString()));
      const npmExited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
      const { url, pid } = await vi.waitFor(
        () => {
          const m = /listening on (http:\/\/[\d.]+:\d+)".*"pid":(\d+)/.exec(output);
          if (!m) throw new Error(`not listening yet:\n${output}`);
          return { url: m[1], pid: Number(m[2]) };
        },
        { timeout: 60_000, interval: 50 },
      );
      leftovers.push(pid);
      // A keep-alive connection stays open across the stop.
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      await res.json();

      const signalAt = Date.now();
      process.kill(target === "npm" ? npmPid : -npmPid, "SIGTERM");
      await vi.waitFor(
        () => {
          if (alive(pid)) throw new Error(`the app (pid ${pid}) is still running:\n${output}`);
        },
        { timeout: STOP_TIMEOUT_MS + 3000, interval: 50 },
      );
      const stopMs = Date.now() - signalAt;
      const npmCode = await npmExited;
      process.stdout.write(
        `npm start, SIGTERM to ${target}: app stopped in ${stopMs} ms, npm exited ${npmCode}\n`,
      );
      if (npmCode !== 0) process.stdout.write(`npm start output:\n${output}\n`);
      expect(npmCode).toBe(0); // npm passes on the app's exit code: 0, not killed by a second signal
      expect(output).toMatch(/SIGTERM: shutting down/);
      expect(output).toMatch(/"msg":"stopped"/); // not "some work cut short", not killed
      expect(stopMs).toBeLessThan(STOP_TIMEOUT_MS + 2000);
    },
    120_000,
  );
});

/** An SMTP relay that accepts connections and never says a word. */
async function silentRelay(): Promise<{ url: string; connections: Socket[]; stop(): Promise<void> }> {
  const connections: Socket[] = [];
  const server: Server = createServer((socket) => {
    connections.push(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    connections,
    stop: () =>
      new Promise<void>((resolve) => {
        connections.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

describe("a job stuck on a silent SMTP relay does not hold the stop", () => {
  const STOP_TIMEOUT_MS = 3000;
  let t: TestDb;
  let relay: Awaited<ReturnType<typeof silentRelay>>;

  beforeAll(async () => {
    t = await createTestDb("sqlite");
    relay = await silentRelay();
  });
  afterAll(async () => {
    await relay?.stop();
    await t?.cleanup();
  });

  /** Queues one email on `prefix` and waits until a worker is stuck talking to the silent relay. */
  async function stuckEmail(prefix: string): Promise<void> {
    const before = relay.connections.length;
    const id = await t.db.transaction().execute((trx) =>
      queueEmail(trx, {
        key: `stuck:${prefix}`,
        kind: "test",
        to: "recipient@example.org",
        content: { subject: "Stuck", html: "<p>Stuck</p>", text: "Stuck" },
        now: new Date(),
      }),
    );
    if (id === null) throw new Error("no outbox row");
    const queues = createQueues({ redisUrl: REDIS_URL, prefix });
    try {
      await queues.ready(5000);
      await queues.add("send-email", { outboxId: id }, emailJobId(await instanceId(t.db), id));
    } finally {
      await queues.close();
    }
    await vi.waitFor(
      () => {
        if (relay.connections.length <= before) throw new Error("no SMTP connection yet");
      },
      { timeout: 30_000, interval: 50 },
    );
  }

  it("the web process (workers in process) exits within STOP_TIMEOUT_MS", async () => {
    const app = await startApp({
      databaseUrl: t.url,
      redisUrl: REDIS_URL,
      smtpUrl: relay.url,
      env: { STOP_TIMEOUT_MS: String(STOP_TIMEOUT_MS), WORKERS_IN_PROCESS: "true" },
    });
    try {
      await stuckEmail(app.prefix);
      const signalAt = Date.now();
      process.kill(app.pid, "SIGTERM");
      const exit = await app.exited;
      const stopMs = Date.now() - signalAt;
      process.stdout.write(`stuck job, web process: stopped in ${stopMs} ms, ${JSON.stringify(exit)}\n`);
      expect(stopMs, app.logs.join("")).toBeLessThan(STOP_TIMEOUT_MS + 2000);
      expect(exit).toEqual({ code: 1, signal: null }); // cut short: the job is left to be retried
    } finally {
      await app.stop();
    }
  }, 120_000);

  it("npm run worker exits within STOP_TIMEOUT_MS", async () => {
    const prefix = `t${Math.random().toString(36).slice(2, 10)}`;
    const worker = spawn(process.execPath, ["build/server/worker.js"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        NODE_ENV: "test",
        DATABASE_URL: t.url,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        SMTP_URL: relay.url,
        SESSION_SECRET,
        LOG_LEVEL: "info",
        STOP_TIMEOUT_MS: String(STOP_TIMEOUT_MS),
      },
    });
    let output = "";
    worker.stdout.on("data", (c: Buffer) => (output += c.toString()));
    worker.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      worker.once("exit", (code, signal) => resolve({ code, signal })),
    );
    try {
      await vi.waitFor(
        () => {
          if (!output.includes("workers started")) throw new Error(`not started:\n${output}`);
        },
        { timeout: 60_000, interval: 50 },
      );
      await stuckEmail(prefix);
      const signalAt = Date.now();
      worker.kill("SIGTERM");
      const exit = await exited;
      const stopMs = Date.now() - signalAt;
      process.stdout.write(`stuck job, worker process: stopped in ${stopMs} ms, ${JSON.stringify(exit)}\n`);
      expect(stopMs, output).toBeLessThan(STOP_TIMEOUT_MS + 2000);
      expect(exit).toEqual({ code: 1, signal: null });
    } finally {
      if (worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
    }
  }, 120_000);
});
