import { refreshFraudFlags } from "../../app/domain/fraud.server";
import type { JobDeps } from "./deps";

/** Every minute: refreshes the fraud flags of editions whose voting is open (or closed less than a day ago). */
export async function detectFraud(deps: JobDeps): Promise<number> {
  const now = deps.now();
  const dayAgo = new Date(now.getTime() - 24 * 3600 * 1000).toISOString();
  const editions = await deps.db
    .selectFrom("editions")
    .select("id")
    .where("voting_opens_at", "<=", now.toISOString())
    .where("voting_closes_at", ">", dayAgo)
    .execute();
  let flags = 0;
  for (const e of editions) flags += await refreshFraudFlags(deps.db, e.id, now);
  return flags;
}
