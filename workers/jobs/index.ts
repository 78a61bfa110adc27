import type { JobName, JobPayloads } from "../queues";
import { defaultDeps, type JobContext, type JobDeps } from "./deps";
import { sendEmail } from "./send-email";
import { sweepOutbox } from "./sweep-outbox";
import { liveTally, officialTally } from "./tally";
import { detectFraud } from "./detect-fraud";

/** A job's processor: the payload (ids only), the dependencies, and facts about this attempt. */
export type Processor<N extends JobName> = (
  data: JobPayloads[N],
  deps: JobDeps,
  context: JobContext,
) => Promise<unknown>;

/** One processor per job name. */
export const processors: { [N in JobName]: Processor<N> } = {
  "send-email": sendEmail,
  "sweep-outbox": (_data, deps) => sweepOutbox(deps),
  "live-tally": (_data, deps) => liveTally(deps),
  "official-tally": officialTally,
  "detect-fraud": (_data, deps) => detectFraud(deps),
};

/** The processor for `name`, typed for its payload. */
export function processorFor<N extends JobName>(name: N): Processor<N> {
  return processors[name];
}

/** Runs a job in this process (inline mode, development without Redis): one attempt, no retry. */
export async function runInline<N extends JobName>(name: N, data: JobPayloads[N]): Promise<void> {
  await processorFor(name)(data, defaultDeps(), { finalAttempt: false });
}
