import { dispatchOutbox } from "../../app/domain/outbox.server";
import type { JobDeps } from "./deps";

/** Re-enqueues outbox rows still queued a minute after creation (their first enqueue may have been lost). */
export async function sweepOutbox(deps: JobDeps): Promise<number> {
  const before = new Date(deps.now().getTime() - 60_000).toISOString();
  const rows = await deps.db
    .selectFrom("outbox")
    .select("id")
    .where("status", "=", "queued")
    .where("created_at", "<", before)
    .orderBy("id")
    .limit(5000)
    .execute();
  await dispatchOutbox(rows.map((r) => r.id));
  return rows.length;
}
