/**
 * Test set-up (vitest setupFiles): the process's "jobs" port, as app/server.ts and workers/main.ts set it at
 * start-up — BullMQ on REDIS_URL/REDIS_PREFIX (setUpWorkerTest points them at the test's prefix), or inline.
 */
import { registerProcessJobs } from "../../workers/runner";

registerProcessJobs();
