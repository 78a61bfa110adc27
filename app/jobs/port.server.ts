/**
 * The process's "jobs" port (app/jobs/contract.ts): set once at start-up by app/server.ts or workers/main.ts
 * (BullMQ on Redis, or the inline runner in development without Redis), read by domain functions whose
 * `jobs` parameter was left out — as db() is for `database`.
 */
import type { Enqueue, Jobs } from "./contract";

type Holder = { __wsisJobs?: Jobs };
const holder = globalThis as Holder;

/** Makes `jobs` the process's port (start-up, tests). */
export function setProcessJobs(jobs: Jobs): void {
  holder.__wsisJobs = jobs;
}

/** The process's port; throws when start-up has not set one (a wiring bug, not a Redis problem). */
export function processJobs(): Jobs {
  const jobs = holder.__wsisJobs;
  if (!jobs)
    throw new Error("no job runner is set: call registerProcessJobs() (workers/runner.ts) at start-up");
  return jobs;
}

/** A port made of one enqueue function (each job added in turn): tests' fakes, a job thread's relay. */
export function jobsFrom(enqueue: Enqueue): Jobs {
  return {
    enqueue,
    async enqueueEach(name, jobs) {
      for (const { data, jobId } of jobs) await enqueue(name, data, jobId);
    },
  };
}
