import type { JobName, JobPayloads } from "../queues";
import { defaultDeps, type JobDeps } from "./deps";
import { sendEmail } from "./send-email";
import { sweepOutbox } from "./sweep-outbox";
import { liveTally, officialTally } from "./tally";
import { detectFraud } from "./detect-fraud";

/** One processor per job name. */
export const processors: { [N in JobName]: (data: JobPayloads[N], deps: JobDeps) => Promise<unknown> } = {
  "send-email": sendEmail,
  "sweep-outbox": (_data, deps) => sweepOutbox(deps),
  "live-tally": (_data, deps) => liveTally(deps),
  "official-tally": officialTally,
  "detect-fraud": (_data, deps) => detectFraud(deps),
};

/** Runs a job in this process (inline mode, development without Redis). */
export async function runInline<N extends JobName>(name: N, data: JobPayloads[N]): Promise<void> {
  const run = processors[name] as (d: JobPayloads[N], deps: JobDeps) => Promise<unknown>;
  await run(data, defaultDeps());
}
