import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { type RequestListener } from "node:http";
import { pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type Express } from "express";
import helmet from "helmet";
import { closeDb, isDatabaseBusy, sqliteControl } from "../db/client";
import { prepareDatabase } from "../db/prepare";
import { HOUSEKEEPING, maintainHousekeeping, startWorkers, type RunningWorkers } from "../workers/index";
import { runInline } from "../workers/processors";
import { closeQueues } from "../workers/queues";
import { registerProcessJobs } from "../workers/runner";
import { db } from "./utils/db.server";
import { env } from "./utils/env.server";
import { log } from "./utils/log.server";
import { MAX_FORM_BYTES, isSameOrigin } from "./utils/csrf.server";
import { closeRedis, initRedis, redisHealth } from "./utils/redis.server";
import { errorPage } from "./utils/error-page.server";
import { answerDatabaseBusy } from "./utils/database-busy.server";
import { isVoteRequest, voteHandler } from "./http/vote.server";
import { clientIp } from "./utils/request.server";
import { createDrainableServer, stopOnSignals } from "./utils/shutdown.server";
import { sessionTokenFromHeader } from "./utils/session.server";

/** Static files are the same for everyone: they keep their own Cache-Control even for signed-in people. */
function markStatic(res: express.Response): void {
  res.locals.staticFile = true;
  res.removeHeader("Cache-Control"); // serve-static sets its own only when none is set yet
}

/**
 * Sends `Cache-Control: no-store` whatever a later handler sets (a route's own caching, Remix's headers):
 * the header is set again just before the head is written.
 */
function forceNoStore(res: express.Response): void {
  res.setHeader("Cache-Control", "no-store");
  const writeHead = res.writeHead;
  res.writeHead = function (this: express.Response, ...args: unknown[]) {
    if (!res.locals.staticFile && !res.headersSent) res.setHeader("Cache-Control", "no-store");
    return Reflect.apply(writeHead, this, args);
  };
}

/** Builds the express app around a Remix server build: security headers, compression, limits, health. */
export function createApp(build: ServerBuild): Express {
  const app = express();
  app.disable("x-powered-by");

  app.use((_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("base64");
    next();
  });
  // Whatever answers a request that carries a session (page, data, redirect, error) is not stored by browsers
  // or proxies (ASVS 14.3.2); only static files keep their own caching.
  app.use((req, res, next) => {
    if (sessionTokenFromHeader(req.headers.cookie) !== null) forceNoStore(res);
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          "default-src": ["'self'"],
          "script-src": ["'self'", (_req, res) => `'nonce-${(res as express.Response).locals.cspNonce}'`],
          "style-src": ["'self'"],
          "img-src": ["'self'", "data:"],
          "font-src": ["'self'"],
          "connect-src": ["'self'"],
          "form-action": ["'self'"],
          "frame-ancestors": ["'none'"],
          "base-uri": ["'self'"],
          "object-src": ["'none'"],
          ...(env().APP_URL.startsWith("https://") ? { "upgrade-insecure-requests": [] } : {}),
        },
      },
      strictTransportSecurity: env().APP_URL.startsWith("https://"),
      referrerPolicy: { policy: "strict-origin-when-cross-origin" },
      // The legacy twin of frame-ancestors 'none', for browsers that ignore CSP.
      frameguard: { action: "deny" },
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(compression());

  app.get("/healthz", async (_req, res) => {
    res.set("Cache-Control", "no-store");
    try {
      await db().selectFrom("categories").select("id").limit(1).execute();
      // "busy": writes are waiting for another process's SQLite lock (and get 503s past the bounded wait).
      // Redis is not the system of record: "degraded" (breaker open, or no answer to a PING within 500 ms)
      // still answers 200, as the app keeps working without it.
      res.json({
        ok: true,
        db: sqliteControl(db())?.busySince() ? "busy" : "up",
        redis: await redisHealth(),
      });
    } catch (error) {
      if (isDatabaseBusy(error)) res.set("Retry-After", String(error.retryAfterSeconds));
      res.status(503).json({ ok: false, db: isDatabaseBusy(error) ? "busy" : "down" });
    }
  });

  // Refuse oversized or unreadable bodies before they reach Remix: a readable 4xx page, nothing written.
  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD") return next();
    const length = Number(req.headers["content-length"] ?? "0");
    // The refused body is not read: the connection is closed after the answer instead.
    if (req.headers["transfer-encoding"] && !req.headers["content-length"]) {
      return void res
        .status(411)
        .set("Connection", "close")
        .type("html")
        .send(errorPage(411, "Please send the form again from the page."));
    }
    if (!Number.isFinite(length) || length > MAX_FORM_BYTES) {
      return void res
        .status(413)
        .set("Connection", "close")
        .type("html")
        .send(errorPage(413, "The form is too large."));
    }
    next();
  });

  // Cross-site posts get a readable 403 here; Remix's own Origin check would answer them with a 500.
  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    if (!isSameOrigin((name) => req.get(name))) {
      return void res
        .status(403)
        .type("html")
        .send(errorPage(403, "This form was sent from another site and has been refused."));
    }
    next();
  });

  app.use(
    "/build",
    express.static("build/public/build", { immutable: true, maxAge: "1y", setHeaders: markStatic }),
  );
  app.use(express.static("build/public", { maxAge: "1h", setHeaders: markStatic }));

  app.all(
    "*",
    createRequestHandler({
      build: answerDatabaseBusy(build),
      mode: env().NODE_ENV === "production" ? "production" : "development",
      getLoadContext: (req, res) => ({
        clientIp: clientIp(req.socket.remoteAddress, req.get("X-Forwarded-For"), env().TRUST_PROXY),
        cspNonce: String(res.locals.cspNonce),
      }),
    }),
  );
  // Last resort for errors outside Remix (unreadable bodies, for instance): a readable page, never a trace.
  app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    const status = typeof err === "object" && err !== null && "status" in err ? Number(err.status) : 500;
    if (status >= 500)
      log.error("request failed", { error: err instanceof Error ? err.message : String(err) });
    const code = status >= 400 && status < 600 ? status : 500;
    res
      .status(code)
      .type("html")
      .send(
        errorPage(
          code,
          code < 500 ? "This request could not be understood." : "Something went wrong on our side.",
        ),
      );
  });
  return app;
}

/**
 * The voting hot path is answered before express: it needs none of the page middleware (nonce, helmet's
 * dozen handlers, compression, the body checks, Remix) — its answers are tiny JSON, redirects or short error
 * pages with the same security headers — and it does its own checks (origin, CSRF, session, rate limits, body
 * size). See app/http/vote.server.ts.
 */
function withVoteEndpoint(app: Express): RequestListener {
  const vote = voteHandler();
  return (req, res) => (isVoteRequest(req) ? vote(req, res) : app(req, res));
}

/**
 * Starts everything: migrations, Redis (or inline mode), in-process workers, HTTP; stops gracefully on SIGTERM
 * or SIGINT within STOP_TIMEOUT_MS.
 */
async function main(): Promise<void> {
  const config = env();
  // The composition root: the domain's "jobs" port is BullMQ (or the inline runner) from here on.
  registerProcessJobs();
  await prepareDatabase(db());
  const mode = await initRedis();
  let workers: RunningWorkers | undefined;
  let stopHousekeeping = () => {};
  if (mode.mode === "redis" && config.WORKERS_IN_PROCESS) {
    workers = await startWorkers({ redisUrl: mode.url, prefix: config.REDIS_PREFIX });
    stopHousekeeping = maintainHousekeeping();
  }
  // Inline mode (development without Redis): the periodic jobs run on timers in this process.
  const timers =
    mode.mode === "inline"
      ? HOUSEKEEPING.map((h) =>
          setInterval(() => {
            runInline(h.name, {}).catch((e: unknown) => log.warn(`inline ${h.name} failed: ${String(e)}`));
          }, h.every),
        )
      : [];
  // The Remix build: build/index.js, beside the bundled server (build/server/server.js, `npm start`) or from
  // the sources (app/server.ts run by tsx in development).
  const buildPath = [
    new URL("../build/index.js", import.meta.url),
    new URL("../index.js", import.meta.url),
  ].find((candidate) => existsSync(candidate));
  if (!buildPath) throw new Error("build/index.js is missing: run `npm run build` first.");
  const build = (await import(buildPath.href)) as ServerBuild;
  const { server, drain } = createDrainableServer(withVoteEndpoint(createApp(build)));
  server.listen(config.PORT, config.HOST, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    log.info(`WSIS Prizes listening on http://${config.HOST}:${port}`, {
      redis: mode.mode,
      app: config.APP_URL,
      pid: process.pid,
    });
  });
  server.on("error", (e) => {
    process.stderr.write(`Cannot listen on ${config.HOST}:${config.PORT}: ${e.message}\n`);
    process.exit(1);
  });
  server.keepAliveTimeout = 65_000;

  // SIGTERM/SIGINT: refuse new connections, answer the requests under way with `Connection: close` while the
  // workers finish their jobs (or leave them to be retried elsewhere), then close queues, Redis and the
  // database — all within STOP_TIMEOUT_MS.
  stopOnSignals(config.STOP_TIMEOUT_MS, () => {
    timers.forEach(clearInterval);
    stopHousekeeping();
    return {
      drain: [drain, (ms) => workers?.closeWithin(ms) ?? Promise.resolve(true)],
      close: [
        ["queues", closeQueues],
        ["redis", closeRedis],
        ["database", closeDb],
      ],
    };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
