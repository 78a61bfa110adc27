import type { Kysely, Transaction } from "kysely";
import type { Database } from "../../db/schema";

type DbOrTrx = Kysely<Database> | Transaction<Database>;

/** Appends one audit entry (who, what, before/after). Call it inside the transaction of the change. */
export async function audit(
  trx: DbOrTrx,
  entry: {
    actorUserId: number | null;
    action: string;
    entity: string;
    entityId: string | number | null;
    before?: unknown;
    after?: unknown;
    now: Date;
  },
): Promise<void> {
  await trx
    .insertInto("audit_log")
    .values({
      actor_user_id: entry.actorUserId,
      action: entry.action,
      entity: entry.entity,
      entity_id: entry.entityId === null ? null : String(entry.entityId),
      before_json: entry.before === undefined ? null : JSON.stringify(entry.before),
      after_json: entry.after === undefined ? null : JSON.stringify(entry.after),
      created_at: entry.now.toISOString(),
    })
    .execute();
}
