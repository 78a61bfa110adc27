import { Redis, type RedisOptions } from "ioredis";
import { env } from "./env.server";
import { log } from "./log.server";

export type RedisMode = { mode: "redis"; url: string } | { mode: "inline"; reason: string };

type Holder = { __wsisRedis?: { state: RedisMode; client?: Redis; connected?: Promise<void> } };
const holder = globalThis as Holder;

const DEFAULT_URL = "redis://127.0.0.1:6379";

/** True when a Redis server answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Decides once per process whether jobs and rate limits use Redis: REDIS_URL when set; otherwise a Redis at
 * 127.0.0.1:6379 (or `probeUrl`, for tests) if one answers; otherwise inline mode (jobs run in-process, memory
 * limits) with a logged warning — development only: production refuses to start without Redis.
 */
export async function initRedis(options: { probeUrl?: string } = {}): Promise<RedisMode> {
  if (holder.__wsisRedis) return holder.__wsisRedis.state;
  const configured = env().REDIS_URL;
  const probeUrl = options.probeUrl ?? DEFAULT_URL;
  let state: RedisMode;
  if (configured) state = { mode: "redis", url: configured };
  else if (await redisAnswers(probeUrl)) state = { mode: "redis", url: probeUrl };
  else {
    state = {
      mode: "inline",
      reason: `REDIS_URL is unset and no Redis answers at ${new URL(probeUrl).host}`,
    };
    if (env().NODE_ENV === "production") {
      throw new Error("Redis is required in production: set REDIS_URL (jobs and rate limits need it).");
    }
    log.warn(
      `${state.reason}: jobs run inline in this process and rate limits are per-process (development only)`,
    );
  }
  holder.__wsisRedis = { state };
  return state;
}

/** The Redis mode decided by initRedis(); before it ran, REDIS_URL decides (inline when unset). */
export function redisMode(): RedisMode {
  if (holder.__wsisRedis) return holder.__wsisRedis.state;
  const url = env().REDIS_URL;
  return url ? { mode: "redis", url } : { mode: "inline", reason: "Redis not initialised" };
}

/** Connection options for BullMQ workers (blocking commands must never time out). */
export function workerConnectionOptions(): RedisOptions {
  return { maxRetriesPerRequest: null };
}

/**
 * Longest wait for one Redis command on a request path (rate limits, job enqueues, the health check). A
 * frozen Redis keeps its connections open and simply never answers: without a timeout every request waits.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** Longest wait for a connection to Redis (ioredis waits 10 s by default). */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;
/** How long requests leave Redis alone after a timeout or an error, before a probe tries it again. */
export const REDIS_COOL_DOWN_MS = 5000;

/** Connection options of the clients used on request paths: fail fast rather than queue or wait. */
export function requestPathRedisOptions(): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  };
}

/**
 * The shared client of the rate limiters; fails fast (no offline queue, command timeout) when Redis is down
 * or frozen. Commands issued in the same tick (the limits of many concurrent requests) go out as one pipeline.
 */
export function redisClient(): Redis | null {
  const state = redisMode();
  if (state.mode !== "redis") return null;
  holder.__wsisRedis ??= { state };
  if (!holder.__wsisRedis.client) {
    const client = new Redis(state.url, { ...requestPathRedisOptions(), enableAutoPipelining: true });
    client.on("error", (e) => log.warn(`redis: ${e.message}`));
    holder.__wsisRedis.client = client;
    holder.__wsisRedis.connected = firstConnection(client);
    watchRedis("rate limits", () => client.ping());
  }
  return holder.__wsisRedis.client;
}

/** Resolves when `client` is first ready; rejects if it is not within REDIS_CONNECT_TIMEOUT_MS. */
function firstConnection(client: Redis): Promise<void> {
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      reject(new Error(`no connection to Redis within ${REDIS_CONNECT_TIMEOUT_MS} ms`));
    }, REDIS_CONNECT_TIMEOUT_MS);
    timer.unref();
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once("ready", onReady);
  });
  connected.catch(() => {});
  return connected;
}

/**
 * Waits for the shared client's first connection (bounded), so that the first requests after start-up do
 * not take a client still connecting for a Redis that is down. Afterwards it resolves at once: a lost
 * connection makes commands fail fast instead (no offline queue).
 */
export async function redisConnected(): Promise<void> {
  if (!redisClient()) return;
  await holder.__wsisRedis?.connected;
}

/** Closes the shared client and forgets the mode and the breaker (graceful shutdown, tests). */
export async function closeRedis(): Promise<void> {
  const client = holder.__wsisRedis?.client;
  holder.__wsisRedis = undefined;
  unwatchRedis("rate limits");
  resetRedisBreaker();
  if (client) await client.quit().catch(() => client.disconnect());
}

// ------------------------------------------------------------------------------------ circuit breaker --

/**
 * One breaker per process (on globalThis: the server and the Remix build each load this module) for the Redis
 * calls of requests. Closed: requests use Redis. A command that times out or fails opens it: for
 * REDIS_COOL_DOWN_MS requests skip Redis (rate limits count in this process's memory, after-commit email
 * enqueues are left to the outbox sweeper), then a background probe pings every watched client; the breaker
 * closes when all answer, else stays open for another cool-down. No request ever waits on a probe; state
 * changes are logged once each.
 */
type Breaker = {
  openedAt: number | null;
  reason: string;
  /** Bumped by every reset, so a probe started before it cannot close the breaker after it. */
  epoch: number;
  timer?: NodeJS.Timeout;
  probes: Map<string, () => Promise<unknown>>;
};
type BreakerHolder = { __wsisRedisBreaker?: Breaker };
const breakerHolder = globalThis as BreakerHolder;

function breaker(): Breaker {
  breakerHolder.__wsisRedisBreaker ??= { openedAt: null, reason: "", epoch: 0, probes: new Map() };
  return breakerHolder.__wsisRedisBreaker;
}

/** True while the breaker is open: request paths must not wait on Redis. */
export function redisDegraded(): boolean {
  return breaker().openedAt !== null;
}

/** Registers a probe (a PING on one client) that must answer before the breaker closes again. */
export function watchRedis(name: string, probe: () => Promise<unknown>): void {
  breaker().probes.set(name, probe);
}

/** Forgets a probe (its client was closed). */
export function unwatchRedis(name: string): void {
  breaker().probes.delete(name);
}

/** Reports a Redis command of a request path that timed out or failed: opens the breaker (logged once). */
export function redisFailed(source: string, error: unknown): void {
  const b = breaker();
  if (b.openedAt !== null) return;
  b.openedAt = Date.now();
  b.reason = `${source}: ${error instanceof Error ? error.message : String(error)}`;
  log.warn(
    "Redis did not answer: rate limits count in this process's memory and emails are left to the outbox " +
      `sweeper until it does; probing every ${REDIS_COOL_DOWN_MS / 1000} s`,
    { reason: b.reason },
  );
  scheduleProbe(b);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function scheduleProbe(b: Breaker): void {
  const epoch = b.epoch;
  b.timer = setTimeout(() => {
    b.timer = undefined;
    // Each client has its own command timeout; the race is a second bound for a probe that ignores it.
    const probes = [...b.probes.values()].map((probe) => withTimeout(probe(), REDIS_CONNECT_TIMEOUT_MS));
    void Promise.all(probes).then(
      () => {
        if (b.openedAt === null || b.epoch !== epoch) return;
        log.info("Redis answers again: rate limits and job enqueues use it again", {
          degradedMs: Date.now() - b.openedAt,
        });
        b.openedAt = null;
      },
      () => {
        if (b.openedAt !== null && b.epoch === epoch) scheduleProbe(b);
      },
    );
  }, REDIS_COOL_DOWN_MS);
  b.timer.unref();
}

/** Closes the breaker and stops its probe (clients were closed or replaced; tests). */
export function resetRedisBreaker(): void {
  const b = breaker();
  if (b.timer) clearTimeout(b.timer);
  b.timer = undefined;
  b.openedAt = null;
  b.epoch += 1;
}

/**
 * Redis as /healthz reports it: "redis" when it answers a PING within REDIS_COMMAND_TIMEOUT_MS, "degraded"
 * while the breaker is open or when it does not answer (which opens the breaker), "inline" without Redis
 * (development only).
 */
export async function redisHealth(): Promise<"redis" | "degraded" | "inline"> {
  const client = redisClient();
  if (!client) return "inline";
  if (redisDegraded()) return "degraded";
  try {
    await redisConnected();
    await withTimeout(client.ping(), REDIS_COMMAND_TIMEOUT_MS + 100);
    return "redis";
  } catch (e) {
    redisFailed("health check", e);
    return "degraded";
  }
}
