/**
 * The SMTP receiver of npm run bench:notify in a process of its own (as a relay would be on another machine),
 * so that parsing 10,000 messages does not compete with the workers for one CPU core. Started with fork():
 * sends { port } once listening; answers "count" with { received, unique }; "stop" stops it and exits.
 */
import { startSmtp } from "../helpers/smtp";

type Request = "count" | "stop";

async function main(): Promise<void> {
  if (!process.send) throw new Error("start this file with child_process.fork()");
  const smtp = await startSmtp();
  process.send({ port: smtp.port });
  process.on("message", (message: Request) => {
    if (message === "count") {
      const unique = new Set(smtp.messages.map((m) => m.messageId)).size;
      process.send?.({ received: smtp.messages.length, unique });
    } else if (message === "stop") {
      void smtp.stop().then(() => process.exit(0));
    }
  });
  process.on("disconnect", () => process.exit(0));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
