/**
 * Outbox delivery rules (DESIGN: the outbox): the claim and lease that keep a row from being sent twice, the
 * redaction of one-time links once delivered, the retry policy (a 5xx reply is final, anything else is
 * retried until the last attempt), and the sweeper that re-enqueues rows whose job was lost or left behind.
 * The job runner (workers/) only calls sendEmail and sweepOutbox with a payload and its dependencies.
 */
import { createHash } from "node:crypto";
import { instanceId } from "../../db/instance";
import { isPermanentSmtpFailure, SMTP_TIMEOUTS } from "../../emails/transport";
import {
  emailJobId,
  PermanentJobError,
  retryEmailJobId,
  RetryLaterError,
  type JobContext,
  type JobDeps,
  type JobPayloads,
} from "../jobs/contract";
import { processJobs } from "../jobs/port.server";
import { jobToAdd } from "./job-successors.server";

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

/** Time an attempt may spend on its row besides the SMTP send: the claim and the final update. */
export const LEASE_MARGIN_MS = 30_000;

/**
 * How long an attempt may hold a row before another attempt may take it over: the longest an SMTP send can
 * last (its overall bound, which no mix of the connection, greeting and socket timeouts exceeds) plus a
 * margin — 90 s. A worker that dies mid-send delays its emails by at most this: its jobs come back through
 * BullMQ's stalled-job check (lock 30 s + check every 30 s), wait for the lease to end, and are sent.
 */
export const LEASE_MS =
  Math.max(
    SMTP_TIMEOUTS.sendMs,
    SMTP_TIMEOUTS.connectionMs + SMTP_TIMEOUTS.greetingMs + SMTP_TIMEOUTS.socketMs,
  ) + LEASE_MARGIN_MS;

/** How often a job whose row another attempt holds looks again (at most; the lease's end comes first). */
export const BUSY_RECHECK_MS = 5_000;

/**
 * Thrown when another attempt holds the row's lease: the worker runs the job again a few seconds later, or
 * right after the lease ends, without spending an attempt; a later run skips the row (its holder sent it) or
 * sends it (its holder died and the lease has ended).
 */
export class RowBusyError extends RetryLaterError {}

/** The lease of `deps`: LEASE_MS unless a test shortened it. */
function leaseOf(deps: JobDeps): number {
  return deps.leaseMs ?? LEASE_MS;
}

/**
 * Claims a queued row for this attempt. While a row is queued, sent_at holds the start of the attempt that is
 * sending it (a lease); the claim succeeds only when no other attempt holds an unexpired lease. One
 * conditional UPDATE, so the database decides between concurrent attempts on every engine.
 */
async function claim(deps: JobDeps, outboxId: number): Promise<boolean> {
  const now = deps.now();
  const expired = new Date(now.getTime() - leaseOf(deps)).toISOString();
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
 * attempt is sending makes this one throw RowBusyError (run again when the lease ends). A 5xx SMTP reply marks
 * the row failed and is not retried; other errors are retried by BullMQ until the final attempt, which marks
 * the row failed. A crash between the relay's acceptance and the update that marks the row sent makes a later
 * attempt send it again (unavoidable with SMTP): the Message-ID, stable across attempts, lets receivers tell.
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
  const instance = await instanceId(deps.db); // before the claim: a failure here leaves no lease behind
  if (!(await claim(deps, row.id))) {
    const now = await deps.db
      .selectFrom("outbox")
      .select(["status", "sent_at"])
      .where("id", "=", row.id)
      .executeTakeFirst();
    if (now?.status !== "queued") return "skipped";
    const leased = now.sent_at ? new Date(now.sent_at).getTime() : NaN;
    const leaseEnds = Number.isFinite(leased) ? leased + leaseOf(deps) : 0;
    const at = deps.now().getTime();
    throw new RowBusyError(
      `outbox row ${row.id} is being sent by another attempt`,
      // Soon (a live holder is done in well under a second: the run then skips), and a moment after the lease
      // ends at the latest (a dead holder); never in a tight loop.
      Math.max(Math.min(leaseEnds + 250, at + BUSY_RECHECK_MS), at + 1000),
    );
  }

  try {
    await deps.mailer.send({
      to: row.to_address,
      subject: row.subject,
      html: row.html,
      text: row.text,
      // Stable across attempts, so a receiver can recognise a resend of the same row; unique across databases.
      messageId: `<outbox-${instance}-${row.id}-${createHash("sha256").update(row.idempotency_key).digest("hex").slice(0, 16)}@wsis-prizes>`,
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
    if (permanent) throw new PermanentJobError(message);
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

/** A queued row is swept once it is this old (its own enqueue may still be on the way before). */
export const SWEEP_AFTER_MS = 60_000;

type SweptRow = { id: number; attempts: number; last_error: string | null; sent_at: string | null };

/**
 * The job id a queued row's delivery job has (or would have had, had its enqueue not been lost). A row put back
 * in the queue after it failed (retryFailed) has attempts > 0 and, until its new job first tries it, neither an
 * error nor a lease: its job is retryEmailJobId(id, attempts), since BullMQ keeps the old job and would ignore
 * a new one under that id. Any other row is in its first delivery, or in a later one that has already been
 * tried (its job exists and retries it by itself), and keeps emailJobId.
 */
function jobIdOf(instance: string, row: SweptRow): string {
  const requeued = row.attempts > 0 && row.last_error === null && row.sent_at === null;
  return requeued ? retryEmailJobId(instance, row.id, row.attempts) : emailJobId(instance, row.id);
}

/**
 * Re-enqueues outbox rows still queued a minute after creation: their enqueue was lost (Redis was down), or
 * their job is kept as finished although the row was not sent (jobToAdd adds a successor). Rows whose job is
 * still to run are untouched. Rows a dead attempt still holds need nothing either: their job comes back
 * through BullMQ's stalled-job check and runs when the lease ends.
 */
export async function sweepOutbox(deps: JobDeps): Promise<number> {
  const now = deps.now().getTime();
  const before = new Date(now - SWEEP_AFTER_MS).toISOString();
  const rows = await deps.db
    .selectFrom("outbox")
    .select(["id", "attempts", "last_error", "sent_at"])
    .where("status", "=", "queued")
    .where("created_at", "<", before)
    .orderBy("id")
    .limit(5000)
    .execute();
  if (!rows.length) return 0;
  const instance = await instanceId(deps.db);
  const jobs = deps.jobs ?? processJobs();
  let added = 0;
  for (const row of rows) {
    const jobId = await jobToAdd(deps, "send-email", jobIdOf(instance, row), now);
    if (jobId === null) continue;
    await jobs.enqueue("send-email", { outboxId: row.id }, jobId);
    added++;
  }
  return added;
}
