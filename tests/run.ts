/**
 * `npm test`: builds the app, makes sure a Redis answers (the one at 127.0.0.1:6379, or a private
 * redis-server started here), passes TEST_POSTGRES_URL through when set, and runs every vitest project
 * (unit, integration, e2e). Extra arguments go to vitest (e.g. `npm test -- --project unit`).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { redisAnswers } from "../app/utils/redis.server";
import { PrivateRedis } from "./helpers/redis-server";

function which(bin: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function ensureRedis(): Promise<{ url: string; stop: () => void }> {
  const configured = process.env.TEST_REDIS_URL;
  if (configured) {
    if (!(await redisAnswers(configured, 2000)))
      throw new Error(`TEST_REDIS_URL ${configured} does not answer`);
    return { url: configured, stop: () => {} };
  }
  if (await redisAnswers("redis://127.0.0.1:6379")) return { url: "redis://127.0.0.1:6379", stop: () => {} };
  if (!which("redis-server")) {
    throw new Error(
      "The tests need Redis and none answers at 127.0.0.1:6379. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set TEST_REDIS_URL.",
    );
  }
  const redis = await PrivateRedis.start();
  process.stdout.write(`started a private redis-server on port ${redis.port}\n`);
  return { url: redis.url, stop: () => void redis.stop() };
}

async function main(): Promise<number> {
  const redis = await ensureRedis();
  try {
    if (!existsSync("build/server/server.js") || process.env.TEST_SKIP_BUILD !== "1") {
      const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
      if (build.status !== 0) return build.status ?? 1;
    }
    const env: NodeJS.ProcessEnv = { ...process.env, TEST_REDIS_URL: redis.url, NODE_ENV: "test" };
    const vitest = spawn("npx", ["vitest", "run", ...process.argv.slice(2)], { stdio: "inherit", env });
    return await new Promise<number>((resolve) => vitest.on("exit", (code) => resolve(code ?? 1)));
  } finally {
    redis.stop();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
