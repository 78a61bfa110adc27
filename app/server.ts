import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import { pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type Express } from "express";
import helmet from "helmet";
import { closeDb, isDatabaseBusy, sqliteControl } from "../db/client";
import { prepareDatabase } from "../db/prepare";
import { HOUSEKEEPING, maintainHousekeeping, startWorkers, type RunningWorkers } from "../workers/index";
import { runInline } from "../workers/jobs/index";
import { closeQueues } from "../workers/queues";
import { db } from "./utils/db.server";
import { env } from "./utils/env.server";
import { log } from "./utils/log.server";
import { MAX_FORM_BYTES, isSameOrigin } from "./utils/csrf.server";
import { closeRedis, initRedis, redisMode } from "./utils/redis.server";
import { errorPage } from "./utils/error-page.server";
import { answerDatabaseBusy } from "./utils/database-busy.server";
import { isVoteRequest, voteHandler } from "./http/vote.server";
import { clientIp } from "./utils/request.server";

/** Builds the express app around a Remix server build: security headers, compression, limits, health. */
export function createApp(build: ServerBuild): Express {
  const app = express();
  app.disable("x-powered-by");

  app.use((_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("base64");
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
      res.json({ ok: true, db: sqliteControl(db())?.busySince() ? "busy" : "up", redis: redisMode().mode });
    } catch (error) {
      if (isDatabaseBusy(error)) res.set("Retry-After", String(error.retryAfterSeconds));
      res.status(503).json({ ok: false, db: isDatabaseBusy(error) ? "busy" : "down" });
    }
  });

  // Refuse oversized or unreadable bodies before they reach Remix: a readable 4xx page, nothing written.
  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD") return next();
    const length = Number(req.headers["content-length"] ?? "0");
    if (req.headers["transfer-encoding"] && !req.headers["content-length"]) {
      return void res
        .status(411)
        .type("html")
        .send(errorPage(411, "Please send the form again from the page."));
    }
    if (!Number.isFinite(length) || length > MAX_FORM_BYTES) {
      return void res.status(413).type("html").send(errorPage(413, "The form is too large."));
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

  app.use("/build", express.static("build/public/build", { immutable: true, maxAge: "1y" }));
  app.use(express.static("build/public", { maxAge: "1h" }));

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

/** Starts everything: migrations, Redis (or inline mode), in-process workers, HTTP; stops on SIGTERM. */
async function main(): Promise<void> {
  const config = env();
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
  const buildPath = new URL("../build/index.js", import.meta.url);
  if (!existsSync(buildPath)) throw new Error("build/index.js is missing: run `npm run build` first.");
  const build = (await import(buildPath.href)) as ServerBuild;
  const server: Server = createServer(withVoteEndpoint(createApp(build)));
  server.listen(config.PORT, config.HOST, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    log.info(`WSIS Prizes listening on http://${config.HOST}:${port}`, {
      redis: mode.mode,
      app: config.APP_URL,
    });
  });
  server.on("error", (e) => {
    process.stderr.write(`Cannot listen on ${config.HOST}:${config.PORT}: ${e.message}\n`);
    process.exit(1);
  });
  server.keepAliveTimeout = 65_000;

  let stopping = false;
  const shutdown = async () => {
    await workers?.close(); // lets jobs in progress finish
    await closeQueues();
    await closeRedis();
    await closeDb();
  };
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    const force = setTimeout(() => {
      log.error("shutdown took longer than 10 s; exiting anyway");
      process.exit(1);
    }, 10_000);
    force.unref();
    timers.forEach(clearInterval);
    stopHousekeeping();
    server.close(() => {
      shutdown().then(
        () => process.exit(0),
        (e: unknown) => {
          log.error(`shutdown failed: ${String(e)}`);
          process.exit(1);
        },
      );
    });
    // Keep-alive connections would hold close() for up to keepAliveTimeout: close each one as soon as it is
    // idle (now, or once its request in progress has been answered).
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 100).unref();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
