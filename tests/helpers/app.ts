import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunningApp {
  url: string;
  port: number;
  /** The app's process id (benchmarks read its CPU time). */
  pid: number;
  prefix: string;
  outboxDir: string;
  logs: string[];
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** The bundled server that `npm start` runs (`npm run build` makes it; tests/run.ts builds first). */
export const SERVER_ENTRY = "build/server/server.js";

/**
 * Starts the built app (npm run build first; tests/run.ts does it) as a child process, as `npm start` would,
 * on a free port, with its own database, Redis key prefix and SMTP receiver.
 */
export async function startApp(options: {
  databaseUrl: string;
  smtpUrl?: string;
  redisUrl?: string;
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof for benchmarks). */
  nodeArgs?: string[];
}): Promise<RunningApp> {
  const prefix = `t${randomBytes(5).toString("hex")}`;
  const outboxDir = mkdtempSync(join(tmpdir(), "wsis-outbox-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl ?? process.env.TEST_REDIS_URL ?? "",
    REDIS_PREFIX: prefix,
    SMTP_URL: options.smtpUrl ?? "",
    OUTBOX_DIR: outboxDir,
    SESSION_SECRET: "test-session-secret-0123456789",
    LOG_LEVEL: "info",
    ...options.env,
  };
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER_ENTRY], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start:\n${logs.join("")}`)), 60_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      logs.push(text);
      const m = /listening on http:\/\/[\d.]+:(\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => logs.push(c.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code}:\n${logs.join("")}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    pid: child.pid ?? 0,
    prefix,
    outboxDir,
    logs,
    exited,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A tiny cookie-keeping HTTP client that posts forms like a browser, CSRF token included. */
export class Client {
  private cookies = new Map<string, string>();
  /** The session cookie the CSRF cookie was last handed out for: tokens are bound to the session. */
  private csrfSession: string | undefined;
  constructor(private base: string) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Sets a cookie by hand (e.g. a session created directly in the test database). */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (line.toLowerCase().includes("max-age=0") || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.base + path, {
      headers: { Cookie: this.header(), ...headers },
      redirect: "manual",
    });
    this.store(res);
    return res;
  }

  /**
   * Posts a urlencoded form; adds the CSRF field from the cookie unless `_csrf` is given. As a browser's page
   * would, it first fetches a page for a fresh token when the session changed since the last one (sign-in).
   */
  async post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    if (!this.cookies.has("wsis_csrf") || this.csrfSession !== this.cookies.get("wsis_session")) {
      await this.get("/");
      this.csrfSession = this.cookies.get("wsis_session");
    }
    const body = new URLSearchParams({ _csrf: this.cookies.get("wsis_csrf") ?? "", ...fields });
    const res = await fetch(this.base + path, {
      method: "POST",
      body,
      headers: { Cookie: this.header(), "Content-Type": "application/x-www-form-urlencoded", ...headers },
      redirect: "manual",
    });
    this.store(res);
    return res;
  }
}
