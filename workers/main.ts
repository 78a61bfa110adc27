/**
 * `npm run worker` (build/server/worker.js once built): BullMQ workers only, no HTTP. Stops gracefully on
 * SIGTERM or SIGINT within STOP_TIMEOUT_MS: jobs in progress finish, or are left to be retried by another
 * worker when they outlast it (every job is idempotent).
 */
import { closeDb } from "../db/client";
import { env } from "../app/utils/env.server";
import { log } from "../app/utils/log.server";
import { closeRedis, initRedis } from "../app/utils/redis.server";
import { stopOnSignals } from "../app/utils/shutdown.server";
import { JOB_NAMES } from "../app/jobs/contract";
import { maintainHousekeeping, startWorkers } from "./index";
import { closeQueues } from "./queues";
import { registerProcessJobs } from "./runner";

async function main(): Promise<void> {
  const config = env();
  registerProcessJobs();
  const mode = await initRedis();
  if (mode.mode !== "redis") {
    log.error("npm run worker needs Redis: set REDIS_URL or start redis-server on 127.0.0.1:6379");
    process.exit(1);
  }
  const running = await startWorkers({ redisUrl: mode.url, prefix: config.REDIS_PREFIX });
  const stopHousekeeping = maintainHousekeeping();
  log.info("workers started", { queues: JOB_NAMES, pid: process.pid });
  stopOnSignals(config.STOP_TIMEOUT_MS, () => {
    stopHousekeeping();
    return {
      drain: [(ms) => running.closeWithin(ms)],
      close: [
        ["queues", closeQueues],
        ["redis", closeRedis],
        ["database", closeDb],
      ],
    };
  });
}

main().catch((e: unknown) => {
  log.error(`worker failed to start: ${String(e)}`);
  process.exit(1);
});
