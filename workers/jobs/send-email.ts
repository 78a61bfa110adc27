import { UnrecoverableError } from "bullmq";
import { isPermanentSmtpFailure } from "../../emails/transport";
import type { JobPayloads } from "../queues";
import type { JobDeps } from "./deps";

/** Kinds whose body holds a one-time link: the body is blanked once delivered. */
const SECRET_KINDS = new Set(["verify_email", "reset_password", "change_email"]);

/**
 * Delivers one outbox row and marks it sent. A row already sent or failed is skipped, so a retried or
 * duplicated job never sends twice. A 5xx SMTP reply marks the row failed and is not retried.
 */
export async function sendEmail(data: JobPayloads["send-email"], deps: JobDeps): Promise<"sent" | "skipped"> {
  const row = await deps.db.selectFrom("outbox").selectAll().where("id", "=", data.outboxId).executeTakeFirst();
  if (!row || row.status !== "queued") return "skipped";
  try {
    await deps.mailer.send({
      to: row.to_address,
      subject: row.subject,
      html: row.html,
      text: row.text,
      messageId: `<outbox-${row.id}-${row.idempotency_key.length}@wsis-prizes>`,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
    const permanent = isPermanentSmtpFailure(error);
    await deps.db
      .updateTable("outbox")
      .set((eb) => ({
        attempts: eb("attempts", "+", 1),
        last_error: message,
        ...(permanent ? { status: "failed" as const } : {}),
      }))
      .where("id", "=", row.id)
      .execute();
    if (permanent) throw new UnrecoverableError(message);
    throw error;
  }
  const redacted = SECRET_KINDS.has(row.kind);
  await deps.db
    .updateTable("outbox")
    .set((eb) => ({
      status: "sent" as const,
      sent_at: deps.now().toISOString(),
      attempts: eb("attempts", "+", 1),
      last_error: null,
      ...(redacted ? { html: "[removed after delivery: one-time link]", text: "[removed after delivery: one-time link]" } : {}),
    }))
    .where("id", "=", row.id)
    .where("status", "=", "queued")
    .execute();
  return "sent";
}
