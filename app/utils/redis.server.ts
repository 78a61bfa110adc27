import { Redis, type RedisOptions } from "ioredis";
import { env } from "./env.server";
import { log } from "./log.server";

export type RedisMode = { mode: "redis"; url: string } | { mode: "inline"; reason: string };

type Holder = { __wsisRedis?: { state: RedisMode; client?: Redis } };
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
 * The shared client of the rate limiters; fails fast (no offline queue) when Redis is down. Commands issued in
 * the same tick (the limits of many concurrent requests) go out as one pipeline.
 */
export function redisClient(): Redis | null {
  const state = redisMode();
  if (state.mode !== "redis") return null;
  holder.__wsisRedis ??= { state };
  if (!holder.__wsisRedis.client) {
    const client = new Redis(state.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });
    client.on("error", (e) => log.warn(`redis: ${e.message}`));
    holder.__wsisRedis.client = client;
  }
  return holder.__wsisRedis.client;
}

/** Closes the shared client and forgets the mode (graceful shutdown, tests). */
export async function closeRedis(): Promise<void> {
  const client = holder.__wsisRedis?.client;
  holder.__wsisRedis = undefined;
  if (client) await client.quit().catch(() => client.disconnect());
}
