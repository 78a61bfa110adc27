import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetEnvCache } from "../../app/utils/env.server";
import { closeRedis, initRedis, redisMode } from "../../app/utils/redis.server";
import { freePort } from "../helpers/redis-server";

const saved = { ...process.env };

describe("initRedis", () => {
  let stderr: string[];
  beforeEach(async () => {
    for (const k of ["REDIS_URL", "NODE_ENV", "LOG_LEVEL"]) delete process.env[k];
    resetEnvCache();
    await closeRedis();
    stderr = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    process.env = { ...saved };
    resetEnvCache();
    await closeRedis();
  });

  it("runs jobs inline, with a warning, when REDIS_URL is unset and no Redis answers", async () => {
    const port = await freePort();
    const mode = await initRedis({ probeUrl: `redis://127.0.0.1:${port}` });
    expect(mode).toEqual({
      mode: "inline",
      reason: `REDIS_URL is unset and no Redis answers at 127.0.0.1:${port}`,
    });
    expect(redisMode()).toEqual(mode);
    const warning = stderr.map((line) => JSON.parse(line)).find((entry) => entry.level === "warn");
    expect(warning?.msg).toMatch(/no Redis answers at 127\.0\.0\.1:\d+: jobs run inline in this process/);
  });

  it("decides once per process", async () => {
    const first = await initRedis({ probeUrl: `redis://127.0.0.1:${await freePort()}` });
    process.env.REDIS_URL = "redis://127.0.0.1:6390";
    resetEnvCache();
    expect(await initRedis()).toBe(first);
  });

  it("refuses to start in production without Redis", async () => {
    process.env.NODE_ENV = "production";
    process.env.SESSION_SECRET = "a-long-enough-production-secret";
    resetEnvCache();
    await expect(initRedis({ probeUrl: `redis://127.0.0.1:${await freePort()}` })).rejects.toThrow(
      /Redis is required in production: set REDIS_URL/,
    );
  });

  it("uses REDIS_URL when set, without probing", async () => {
    process.env.REDIS_URL = `redis://127.0.0.1:${await freePort()}`;
    resetEnvCache();
    expect(await initRedis()).toEqual({ mode: "redis", url: process.env.REDIS_URL });
    expect(stderr).toEqual([]);
  });

  it.runIf(process.env.TEST_REDIS_URL)("uses a local Redis that answers the probe", async () => {
    const url = process.env.TEST_REDIS_URL ?? "";
    expect(await initRedis({ probeUrl: url })).toEqual({ mode: "redis", url });
    expect(stderr).toEqual([]);
  });
});
