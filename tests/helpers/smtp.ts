import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string | undefined;
  raw: ParsedMail;
}

export interface SmtpReceiver {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** Connection errors the server reported (a sender killed mid-session resets its connection). */
  errors: Error[];
  /** Resolves with the first message (already received or yet to come) that matches. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Makes the server answer every message with this SMTP reply (e.g. 550) until cleared with null. */
  rejectWith(reply: { code: number; message: string } | null): void;
  /**
   * Makes the server hold its reply to every message it receives for `ms` (a slow relay), until cleared with
   * null, which also sends the replies held so far. The message is recorded first: a sender killed meanwhile
   * has had it received, as a real relay would have.
   */
  holdReplies(ms: number | null): void;
  /**
   * Stops like a relay going down: it stops listening at once, and the connections still open (a sender's
   * pooled ones) get "421 Server shutting down" and are closed after `graceMs` (smtp-server's default is 30 s,
   * during which a pooled sender would keep delivering through a "stopped" receiver).
   */
  stop(graceMs?: number): Promise<void>;
}

/** A real SMTP receiver (smtp-server) on a random or given port; STARTTLS off (its built-in cert is expired). */
export async function startSmtp(port = 0): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const errors: Error[] = [];
  const waiters: Array<{ match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }> = [];
  let reject: { code: number; message: string } | null = null;
  let holdMs: number | null = null;
  const held = new Set<() => void>();
  const releaseHeld = () => {
    for (const reply of [...held]) reply();
  };
  const options: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (reject) {
          const err = Object.assign(new Error(reject.message), { responseCode: reject.code });
          return callback(err);
        }
        simpleParser(Buffer.concat(chunks))
          .then((parsed) => {
            const mail: ReceivedMail = {
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              html: typeof parsed.html === "string" ? parsed.html : "",
              messageId: parsed.messageId,
              raw: parsed,
            };
            messages.push(mail);
            for (const w of [...waiters]) {
              if (w.match(mail)) {
                waiters.splice(waiters.indexOf(w), 1);
                w.resolve(mail);
              }
            }
            if (holdMs === null) return callback();
            const reply = () => {
              clearTimeout(timer);
              held.delete(reply);
              callback();
            };
            const timer = setTimeout(reply, holdMs);
            held.add(reply);
          })
          .catch((e: Error) => callback(e));
      });
    },
  };
  // smtp-server keeps using this options object, and reads closeTimeout when it is closed.
  const server = new SMTPServer(options);
  // Without a listener, an "error" event (ECONNRESET from a killed sender) would be thrown.
  server.on("error", (e) => errors.push(e));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  const address = server.server.address();
  const actual = typeof address === "object" && address ? (address satisfies AddressInfo).port : port;
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    messages,
    errors,
    waitFor(match, timeoutMs = 15_000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, rejectPromise) => {
        const timer = setTimeout(
          () => rejectPromise(new Error("no matching email received in time")),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    rejectWith(reply) {
      reject = reply;
    },
    holdReplies(ms) {
      holdMs = ms;
      if (ms === null) releaseHeld();
    },
    stop(graceMs = 100) {
      holdMs = null;
      releaseHeld();
      options.closeTimeout = graceMs;
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
