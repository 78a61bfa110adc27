import { createHash } from "node:crypto";
import { UnrecoverableError } from "bullmq";
import { isPermanentSmtpFailure } from "../../emails/transport";
import type { JobPayloads } from "../queues";
import type { JobContext, JobDeps } from "./deps";

/**
 * Kinds whose body holds a one-time link: the body is blanked once delivered. A new email kind that carries
 * a token (an invitation, a sign-in link) must be listed here.
 */
export const SECRET_KINDS: ReadonlySet<string> = new Set([
  "verify_email",
  "reset_password",
  "change_email",
  "organisation_invitation",
]);

export const REDACTED_BODY = "[removed after delivery: one-time link]";

/** How long an attempt may hold a row before another attempt may take it over (longer than any SMTP timeout). */
export const LEASE_MS = 5 * 60_000;

/** Thrown when another attempt is sending the row right now; BullMQ retries later, and the retry then skips. */
export class RowBusyError extends Error {}

/**
 * Claims a queued row for this attempt. While a row is queued, sent_at holds the start of the attempt that is
 * sending it (a lease); the claim succeeds only when no other attempt holds an unexpired lease. One
 * conditional UPDATE, so the database decides between concurrent attempts on every engine.
 */
async function claim(deps: JobDeps, outboxId: number): Promise<boolean> {
  const now = deps.now();
  const expired = new Date(now.getTime() - LEASE_MS).toISOString();
  const result = await deps.db
    .updateTable("outbox")
    .set((eb) => ({ attempts: eb("attempts", "+", 1), sent_at: now.toISOString() }))
    .where("id", "=", outboxId)
    .where("status", "=", "queued")
    .where((eb) => eb.or([eb("sent_at", "is", null), eb("sent_at", "<", expired)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Delivers one outbox row and marks it sent. Each attempt first claims the row, so a retried, duplicated or
 * concurrently processed job never sends twice: a row already sent or failed is skipped, and a row another
 * attempt is sending makes this one fail with RowBusyError (BullMQ retries it later). A 5xx SMTP reply marks
 * the row failed and is not retried; other errors are retried by BullMQ until the final attempt, which marks
 * the row failed.
 */
export async function sendEmail(
  data: JobPayloads["send-email"],
  deps: JobDeps,
  context: JobContext = { finalAttempt: false },
): Promise<"sent" | "skipped"> {
  const row = await deps.db
    .selectFrom("outbox")
    .selectAll()
    .where("id", "=", data.outboxId)
    .executeTakeFirst();
  if (!row || row.status !== "queued") return "skipped";
  if (!(await claim(deps, row.id))) {
    const now = await deps.db
      .selectFrom("outbox")
      .select("status")
      .where("id", "=", row.id)
      .executeTakeFirst();
    if (now?.status !== "queued") return "skipped";
    throw new RowBusyError(`outbox row ${row.id} is being sent by another attempt`);
  }

  try {
    await deps.mailer.send({
      to: row.to_address,
      subject: row.subject,
      html: row.html,
      text: row.text,
      // Stable across attempts, so a receiver can recognise a resend of the same row.
      messageId: `<outbox-${row.id}-${createHash("sha256").update(row.idempotency_key).digest("hex").slice(0, 16)}@wsis-prizes>`,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
    const permanent = isPermanentSmtpFailure(error);
    await deps.db
      .updateTable("outbox")
      .set({
        last_error: message,
        sent_at: null, // releases the lease for the next attempt
        ...(permanent || context.finalAttempt ? { status: "failed" as const } : {}),
      })
      .where("id", "=", row.id)
      .where("status", "=", "queued")
      .execute();
    if (permanent) throw new UnrecoverableError(message);
    throw error;
  }

  const redacted = SECRET_KINDS.has(row.kind);
  await deps.db
    .updateTable("outbox")
    .set({
      status: "sent" as const,
      sent_at: deps.now().toISOString(),
      last_error: null,
      ...(redacted ? { html: REDACTED_BODY, text: REDACTED_BODY } : {}),
    })
    .where("id", "=", row.id)
    .where("status", "=", "queued")
    .execute();
  return "sent";
}
