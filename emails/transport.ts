import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer, { type Transporter } from "nodemailer";

export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Stable Message-ID, so a resend of the same outbox row is recognisable downstream. */
  messageId: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
  readonly kind: "smtp" | "files";
}

/** SMTP reply codes: 5xx is permanent (never retried), anything else (4xx, connection errors) is retried. */
export function isPermanentSmtpFailure(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === "number" && code >= 500 && code < 600;
}

/** Bounds of one SMTP delivery, in milliseconds. */
export interface SmtpTimeouts {
  /** TCP connection to the relay (nodemailer connectionTimeout). */
  connectionMs: number;
  /** The relay's greeting once connected (greetingTimeout). */
  greetingMs: number;
  /** Silence on the socket at any stage (socketTimeout): a relay that stops answering. */
  socketMs: number;
  /**
   * The whole send, from the call (waiting for a free pooled connection included) to the relay's reply: a
   * relay that trickles its replies never trips the socket timeout. Past it the send is aborted (its pooled
   * connection closed) and fails, so no attempt can still be delivering once its outbox lease has ended.
   */
  sendMs: number;
}

/**
 * Production bounds. The outbox lease (workers/jobs/send-email.ts LEASE_MS) is derived from them: a worker
 * crash delays an email by at most that lease, about a minute and a half.
 */
export const SMTP_TIMEOUTS: Readonly<SmtpTimeouts> = {
  connectionMs: 10_000,
  greetingMs: 10_000,
  socketMs: 30_000,
  sendMs: 60_000,
};

export interface MailerOptions {
  /** smtp:// or smtps:// URL; empty for .eml files in `outboxDir`. */
  smtpUrl: string;
  /** From header; defaults to the MAIL_FROM default. */
  from?: string;
  /** Folder for .eml files when there is no SMTP URL; defaults to var/outbox. */
  outboxDir?: string;
  /** SMTP bounds; SMTP_TIMEOUTS by default (tests shorten them). */
  timeouts?: Partial<SmtpTimeouts>;
}

/** SMTP when `smtpUrl` is set; otherwise .eml files in `outboxDir` (development). */
export function createMailer(input: MailerOptions): Mailer {
  const options = {
    smtpUrl: input.smtpUrl,
    from: input.from ?? "WSIS Prizes <no-reply@wsis.localhost>",
    outboxDir: input.outboxDir ?? "var/outbox",
  };
  if (options.smtpUrl) {
    // A pool of reused connections: opening one SMTP connection per message costs about 100 ms even over
    // loopback, which capped delivery near 50 emails/s (npm run bench:notify). Idle connections are closed
    // after a few seconds so that a relay restart or shutdown is not held up by them.
    // Bounded timeouts: a stuck relay fails the attempt (and BullMQ retries it) instead of holding a worker
    // slot — and graceful shutdown — for nodemailer's default ten minutes; the overall bound (an abort signal)
    // also ends a send that a trickling relay keeps alive.
    const timeouts = { ...SMTP_TIMEOUTS, ...input.timeouts };
    const transport: Transporter = nodemailer.createTransport({
      url: options.smtpUrl,
      pool: true,
      maxConnections: 10,
      maxMessages: 1000,
      idleTimeout: 5_000,
      connectionTimeout: timeouts.connectionMs,
      greetingTimeout: timeouts.greetingMs,
      socketTimeout: timeouts.socketMs,
      dnsTimeout: timeouts.connectionMs,
    });
    return {
      kind: "smtp",
      async send(mail) {
        await transport.sendMail({
          from: options.from,
          ...mail,
          signal: AbortSignal.timeout(timeouts.sendMs),
        });
      },
      close: () => transport.close(),
    };
  }
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    kind: "files",
    async send(mail) {
      const info = await stream.sendMail({ from: options.from, ...mail });
      const body = info.message;
      if (!Buffer.isBuffer(body)) throw new Error("stream transport returned no buffer");
      await mkdir(options.outboxDir, { recursive: true });
      const safeId = mail.messageId.replace(/[^a-zA-Z0-9_.-]/g, "");
      await writeFile(join(options.outboxDir, `${Date.now()}-${safeId}.eml`), body);
    },
    close: () => stream.close(),
  };
}
