import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import type { ReceivedMail } from "./smtp";

export interface SmtpRelay {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** Connection errors seen by the server (a sender killed mid-session resets its connection). */
  errors: Error[];
  /**
   * Stops the server like a relay going down: it stops listening at once, and the connections still open (the
   * sender's pooled ones) get "421 Server shutting down" and are closed after `graceMs`.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A real SMTP receiver (smtp-server) for outage and crash tests. tests/helpers/smtp.ts waits up to smtp-server's
 * default 30 s for open connections when it stops, so a pooled sender would keep delivering through a "stopped"
 * one; this one closes them. It also keeps the connection errors a killed sender causes (ECONNRESET), which
 * smtp-server emits as "error" events.
 */
export async function startRelay(port = 0): Promise<SmtpRelay> {
  const messages: ReceivedMail[] = [];
  const errors: Error[] = [];
  const options: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        simpleParser(Buffer.concat(chunks))
          .then((parsed) => {
            messages.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              html: typeof parsed.html === "string" ? parsed.html : "",
              messageId: parsed.messageId,
              raw: parsed,
            });
            callback();
          })
          .catch((e: Error) => callback(e));
      });
    },
  };
  // smtp-server keeps using this options object, and reads closeTimeout when it is closed.
  const server = new SMTPServer(options);
  server.on("error", (e) => errors.push(e));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  const address = server.server.address();
  const actual = typeof address === "object" && address ? (address satisfies AddressInfo).port : port;
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    messages,
    errors,
    stop(grace = 100) {
      options.closeTimeout = grace;
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
