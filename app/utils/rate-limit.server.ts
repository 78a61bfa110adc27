import { createHash } from "node:crypto";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { env } from "./env.server";
import { redisClient, redisConnected, redisDegraded, redisFailed } from "./redis.server";

/** Points per window for each limited action, per IP and per account (DESIGN §5). */
export const LIMITS = {
  "register:ip": { points: 20, duration: 60 * 60 },
  "login:ip": { points: 60, duration: 15 * 60 },
  "login:account": { points: 10, duration: 15 * 60 },
  "reset:ip": { points: 20, duration: 60 * 60 },
  "reset:account": { points: 5, duration: 60 * 60 },
  "mail:account": { points: 5, duration: 60 * 60 },
  "mail:ip": { points: 30, duration: 60 * 60 },
  "vote:ip": { points: 300, duration: 60 },
  "vote:account": { points: 60, duration: 60 },
} as const;

export type LimitName = keyof typeof LIMITS;

/**
 * One limit: counted in Redis (shared by every process) and, while Redis does not answer, in this process's
 * memory (the insurance limiter).
 */
type Limiter = { redis: RateLimiterRedis | null; memory: RateLimiterMemory };
type Holder = { __wsisLimiters?: Map<string, Limiter> };
const holder = globalThis as Holder;

function limiter(name: LimitName): Limiter {
  holder.__wsisLimiters ??= new Map();
  const client = redisClient();
  const cacheKey = `${name}:${client ? "redis" : "memory"}:${env().REDIS_PREFIX}`;
  let found = holder.__wsisLimiters.get(cacheKey);
  if (!found) {
    const { points, duration } = LIMITS[name];
    const keyPrefix = `${env().REDIS_PREFIX}:rl:${name}`;
    const memory = new RateLimiterMemory({ points, duration, keyPrefix });
    // No insuranceLimiter option: take() falls back itself, so that it also opens the breaker.
    const redis = client ? new RateLimiterRedis({ storeClient: client, points, duration, keyPrefix }) : null;
    found = { redis, memory };
    holder.__wsisLimiters.set(cacheKey, found);
  }
  return found;
}

/**
 * Takes a point in Redis, or in memory while the Redis breaker is open or when Redis fails or does not answer
 * within its command timeout (which opens the breaker: the next requests do not wait for it).
 */
async function take(name: LimitName, key: string): Promise<RateLimiterRes> {
  const { redis, memory } = limiter(name);
  if (!redis || redisDegraded()) return memory.consume(key);
  try {
    await redisConnected();
    return await redis.consume(key);
  } catch (e) {
    if (e instanceof RateLimiterRes) throw e;
    redisFailed("rate limits", e);
    return memory.consume(key);
  }
}

/** Forgets the limiter instances (tests that change REDIS_PREFIX or restart Redis). */
export function resetLimiters(): void {
  holder.__wsisLimiters = undefined;
}

/** Account keys are hashed so Redis holds no email addresses. */
export function accountKey(value: string): string {
  return createHash("sha256").update(value.toLowerCase()).digest("hex").slice(0, 32);
}

/** A 429 response with Retry-After, rendered by the root error page. */
export function tooManyRequests(retryAfterSeconds: number): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  const minutes = Math.ceil(seconds / 60);
  const wait = seconds < 90 ? `${seconds} seconds` : `${minutes} minutes`;
  return new Response(`Too many attempts. Please wait ${wait} and try again.`, {
    status: 429,
    statusText: "Too Many Requests",
    headers: { "Retry-After": String(seconds) },
  });
}

/**
 * Takes one point from each named limit, all at once (one round trip to Redis, pipelined by ioredis, rather
 * than one per limit); throws a 429 response when any of them is exhausted.
 */
export async function consume(...checks: Array<[LimitName, string]>): Promise<void> {
  const results = await Promise.allSettled(checks.map(([name, key]) => take(name, key)));
  let wait = 0;
  for (const result of results) {
    if (result.status === "fulfilled") continue;
    if (!(result.reason instanceof RateLimiterRes)) throw result.reason;
    wait = Math.max(wait, result.reason.msBeforeNext);
  }
  if (results.some((r) => r.status === "rejected")) throw tooManyRequests(wait / 1000);
}
