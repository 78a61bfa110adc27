import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_ENTRY, startApp, type RunningApp } from "../helpers/app";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";

/** A readable error page: HTML with a heading and a message, and nothing of the server's insides. */
async function expectReadablePage(res: Response, status: number): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  const body = await res.text();
  expect(body).toMatch(/<h1[^>]*>[^<]+<\/h1>/);
  expect(body).toMatch(/href="\/"/); // a way back
  expect(body).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.tsx?:\d+|\.js:\d+:\d+/); // no stack trace
  return body;
}

/** Sends a raw request (for bodies fetch() would not send as they are). */
function rawRequest(
  url: string,
  options: { method: string; headers: Record<string, string>; body: string },
): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method, headers: options.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? "", body }),
      );
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe.each(DIALECTS)("HTTP server on %s", (dialect) => {
  let t: TestDb;
  let app: RunningApp;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    app = await startApp({ databaseUrl: t.url });
  });
  afterAll(async () => {
    await app?.stop();
    await t?.cleanup();
  });

  /** Rows in the tables a stray write would touch. */
  async function counts() {
    const n = async (table: "users" | "sessions" | "outbox" | "audit_log" | "tokens") =>
      (
        await t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n;
    return {
      users: await n("users"),
      sessions: await n("sessions"),
      outbox: await n("outbox"),
      audit: await n("audit_log"),
      tokens: await n("tokens"),
    };
  }

  it("sends the security headers, with a CSP nonce that matches the page's scripts", async () => {
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-powered-by")).toBeNull();

    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);

    const again = await fetch(`${app.url}/`);
    const second = /'nonce-([^']+)'/.exec(again.headers.get("content-security-policy") ?? "")?.[1];
    expect(second).not.toBe(nonce); // a fresh nonce per response
    await again.text();
  });

  it("answers /healthz with JSON", async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ ok: true, db: "up", redis: "redis" });
  });

  it("answers an unknown route with a readable 404 page", async () => {
    const res = await fetch(`${app.url}/no/such/page-${randomBytes(3).toString("hex")}`);
    const body = await expectReadablePage(res, 404);
    expect(body).toMatch(/Page not found/);
    expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
  });

  it("refuses a body over 64 kB with a readable 413 page, and writes nothing", async () => {
    const before = await counts();
    const body = new URLSearchParams({
      email: "big@example.org",
      name: "Big Body",
      password: "correct-horse-battery-staple",
      padding: "x".repeat(70 * 1024),
    });
    for (const path of ["/register", "/login", "/"]) {
      const res = await fetch(`${app.url}${path}`, {
        method: "POST",
        body,
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
      const page = await expectReadablePage(res, 413);
      expect(page).toMatch(/too large/);
    }
    const chunked = await rawRequest(`${app.url}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked" },
      body: body.toString(),
    });
    expect(chunked.status).toBe(411);
    expect(chunked.contentType).toMatch(/^text\/html/);
    expect(await counts()).toEqual(before);
  });

  it("answers malformed posts with a readable 4xx, never a 500, and writes nothing", async () => {
    const before = await counts();
    const cases: Array<{ path: string; type: string; body: string }> = [
      { path: "/login", type: "multipart/form-data", body: "no boundary" },
      { path: "/login", type: "multipart/form-data; boundary=xyz", body: "--abc\r\nbroken" },
      { path: "/register", type: "application/x-www-form-urlencoded", body: "email=%zz&password=%" },
      { path: "/register", type: "application/json", body: '{"email":' },
      { path: "/login", type: "text/plain", body: "\u0000\u0001" },
    ];
    for (const c of cases) {
      const res = await fetch(`${app.url}${c.path}`, {
        method: "POST",
        body: c.body,
        headers: { "Content-Type": c.type },
      });
      expect(res.status, `${c.path} ${c.type}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${c.path} ${c.type}`).toBeLessThan(500);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await res.text()).not.toMatch(/node_modules|\.tsx?:\d+/);
    }
    const badPath = await fetch(`${app.url}/%E0%A4%A`);
    expect(badPath.status).toBe(400);
    await badPath.text();
    expect(await counts()).toEqual(before);
  });

  it("answers a post to a page without an action with 405, not 500", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const res = await fetch(`${app.url}/`, {
        method,
        body: "a=b",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
      await expectReadablePage(res, 405);
    }
    const index = await fetch(`${app.url}/?index`, { method: "POST", body: new URLSearchParams({ a: "b" }) });
    await expectReadablePage(index, 405);
  });

  it("logs no unhandled error for any of these requests", () => {
    const errors = app.logs
      .join("")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: string; msg: string })
      .filter((entry) => entry.level === "error");
    expect(errors).toEqual([]);
  });
});

describe("HTTP server process", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb("sqlite");
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("exits 0 promptly on SIGTERM, with a keep-alive connection open", async () => {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: {
        ...process.env,
        NODE_ENV: "test",
        HOST: "127.0.0.1",
        PORT: "0",
        DATABASE_URL: t.url,
        REDIS_URL: process.env.TEST_REDIS_URL ?? "",
        REDIS_PREFIX: `t${randomBytes(5).toString("hex")}`,
        SESSION_SECRET: "test-session-secret-0123456789",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (c: Buffer) => {
        output += c.toString();
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
        if (m) resolve(m[1]);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      void exited.then(() => reject(new Error(`the server exited before listening:\n${output}`)));
    });
    // fetch() keeps its connection alive: the server must not wait for it to time out (65 s).
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    await res.json();

    child.kill("SIGTERM");
    const result = await exited;
    expect(result, output).toEqual({ code: 0, signal: null }); // the forced exit after 10 s would be code 1
    expect(output).toMatch(/SIGTERM: shutting down/);
  }, 120_000);

  it("refuses to start with an invalid environment, naming the variable", async () => {
    await expect(startApp({ databaseUrl: t.url, env: { PORT: "abc" } })).rejects.toThrow(
      /app exited with 1[\s\S]*Invalid configuration:\s+PORT: must be a port number/,
    );
    await expect(startApp({ databaseUrl: t.url, env: { APP_URL: "ftp://example.org" } })).rejects.toThrow(
      /app exited with 1[\s\S]*APP_URL: must be an absolute http\(s\) URL/,
    );
  }, 120_000);
});
