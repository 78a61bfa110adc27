import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetEnvCache } from "../../app/utils/env.server";
import {
  REDIS_COOL_DOWN_MS,
  redisDegraded,
  redisFailed,
  resetRedisBreaker,
  unwatchRedis,
  watchRedis,
} from "../../app/utils/redis.server";

const saved = { ...process.env };

describe("the Redis circuit breaker", () => {
  let lines: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    process.env.LOG_LEVEL = "info";
    resetEnvCache();
    resetRedisBreaker();
    lines = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stderr, "write").mockImplementation(capture);
    vi.spyOn(process.stdout, "write").mockImplementation(capture);
  });
  afterEach(() => {
    unwatchRedis("test");
    resetRedisBreaker();
    vi.restoreAllMocks();
    vi.useRealTimers();
    process.env = { ...saved };
    resetEnvCache();
  });

  it("opens on a failure, logs once, probes after the cool-down and closes once Redis answers", async () => {
    let answers = false;
    const probe = vi.fn(() => (answers ? Promise.resolve("PONG") : Promise.reject(new Error("timed out"))));
    watchRedis("test", probe);
    expect(redisDegraded()).toBe(false);

    redisFailed("rate limits", new Error("Command timed out"));
    redisFailed("rate limits", new Error("Command timed out"));
    redisFailed("job enqueue", new Error("Command timed out"));
    expect(redisDegraded()).toBe(true);
    expect(lines.filter((l) => l.includes("Redis did not answer"))).toHaveLength(1);
    expect(probe).not.toHaveBeenCalled();

    // Still frozen: the probe fails and the breaker stays open, without another log line.
    await vi.advanceTimersByTimeAsync(REDIS_COOL_DOWN_MS);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(redisDegraded()).toBe(true);

    answers = true;
    await vi.advanceTimersByTimeAsync(REDIS_COOL_DOWN_MS);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(redisDegraded()).toBe(false);
    expect(lines.filter((l) => l.includes("Redis did not answer"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("Redis answers again"))).toHaveLength(1);

    // No more probes once closed.
    await vi.advanceTimersByTimeAsync(3 * REDIS_COOL_DOWN_MS);
    expect(probe).toHaveBeenCalledTimes(2);
  });

  it("ignores a probe that answers after a reset (clients replaced meanwhile)", async () => {
    let release: (v: string) => void = () => {};
    watchRedis("test", () => new Promise<string>((resolve) => (release = resolve)));
    redisFailed("rate limits", new Error("Command timed out"));
    await vi.advanceTimersByTimeAsync(REDIS_COOL_DOWN_MS);
    resetRedisBreaker();
    redisFailed("rate limits", new Error("Command timed out"));
    release("PONG");
    await vi.advanceTimersByTimeAsync(0);
    expect(redisDegraded()).toBe(true);
  });
});
