import type { Kysely, Transaction } from "kysely";
import type { Db } from "../../db/client";
import { instanceId } from "../../db/instance";
import type { Database } from "../../db/schema";
import type { EmailContent } from "../../emails/layout";
import { emailJobId, type Jobs } from "../jobs/contract";
import { processJobs } from "../jobs/port.server";
import { db } from "../utils/db.server";
import { log } from "../utils/log.server";

type DbOrTrx = Kysely<Database> | Transaction<Database>;

/** One email to write to the outbox. */
export interface QueuedEmail {
  /** Unique per recipient and kind: the database refuses a second row with the same key. */
  key: string;
  kind: string;
  to: string;
  content: EmailContent;
  now: Date;
  /** The project and edition the email is about (award notifications: the delivery panel finds them so). */
  projectId?: number;
  editionId?: number;
}

/**
 * Writes an email to the outbox inside the caller's transaction. The idempotency key is unique: a second
 * call with the same key writes nothing and returns null. Call dispatchOutbox() after the commit.
 */
export async function queueEmail(trx: DbOrTrx, input: QueuedEmail): Promise<number | null> {
  const row = await trx
    .insertInto("outbox")
    .values({
      idempotency_key: input.key,
      kind: input.kind,
      to_address: input.to,
      subject: input.content.subject,
      html: input.content.html,
      text: input.content.text,
      status: "queued",
      attempts: 0,
      last_error: null,
      created_at: input.now.toISOString(),
      sent_at: null,
      project_id: input.projectId ?? null,
      edition_id: input.editionId ?? null,
    })
    .onConflict((oc) => oc.column("idempotency_key").doNothing())
    .returning("id")
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * Enqueues delivery jobs for committed outbox rows of `database` (job id = database instance id and outbox id,
 * so never twice) through the jobs port, which holds the request at most a moment (workers/runner.ts). A row whose enqueue is lost, or whose job id
 * BullMQ already keeps as finished (a database restored from a backup), is picked up by the sweeper.
 */
export async function dispatchOutbox(
  ids: ReadonlyArray<number | null>,
  database: Db = db(),
  jobs: Jobs = processJobs(),
): Promise<void> {
  if (ids.every((id) => id === null)) return;
  let instance: string;
  try {
    instance = await instanceId(database); // read once per process
  } catch (e) {
    log.warn("could not read the database instance id; the sweeper will enqueue", { error: String(e) });
    return;
  }
  const sends = ids.flatMap((id) =>
    id === null ? [] : [{ data: { outboxId: id }, jobId: emailJobId(instance, id) }],
  );
  await jobs.enqueueEach("send-email", sends);
}
