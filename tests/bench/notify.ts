/**
 * npm run bench:notify — 10,000 queued award emails delivered by the real BullMQ workers (startWorkers) through
 * nodemailer to a local SMTP receiver (smtp-server, which parses every message). Timed from the first enqueue
 * to the last outbox row marked sent. SQLite by default; BENCH_DIALECT=postgres uses TEST_POSTGRES_URL.
 * Options (env): BENCH_EMAILS (default 10000), BENCH_CONCURRENCY (send-email worker concurrency, default: the
 * workers' own), REDIS_URL / TEST_REDIS_URL (default redis://127.0.0.1:6379).
 * Last line: emails=… delivered=… seconds=… emails_per_s=…  (target: all delivered in ≤ 60 s)
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createMailer } from "../../emails/transport";
import { awardNotification } from "../../emails/templates/award";
import { startWorkers } from "../../workers/index";
import { createQueues, emailJobId } from "../../workers/queues";
import { createTestDb } from "../helpers/db";
import { startSmtp } from "../helpers/smtp";

const EMAILS = Number(process.env.BENCH_EMAILS ?? 10_000);
const CONCURRENCY = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
const DIALECT = process.env.BENCH_DIALECT === "postgres" ? "postgres" : "sqlite";
const REDIS_URL = process.env.REDIS_URL || process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
const GIVE_UP_MS = 300_000;

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= "error";
  const t = await createTestDb(DIALECT);
  const smtp = await startSmtp();
  const mailer = createMailer({ smtpUrl: smtp.url });
  const prefix = `bench${randomBytes(4).toString("hex")}`;
  const queues = createQueues({ redisUrl: REDIS_URL, prefix });
  const redis = new Redis(REDIS_URL);
  try {
    // The outbox rows, as publishResults() writes them: one per recipient × project × kind.
    const now = new Date().toISOString();
    const rows = Array.from({ length: EMAILS }, (_, i) => {
      const kind = i % 5 === 0 ? "winner" : "champion";
      const content = awardNotification({
        kind,
        recipientName: `Contact ${i}`,
        organisationName: `Organisation ${i}`,
        projectTitle: `Project ${i}`,
        categoryCode: "C4",
        categoryName: "Capacity building",
        editionName: "WSIS Prizes 2099",
        editionYear: 2099,
        url: `http://127.0.0.1:3000/projects/${i + 1}`,
      });
      return {
        idempotency_key: `award:${kind}:${i + 1}:contact${i}@bench.example`,
        kind: `award_${kind}`,
        to_address: `contact${i}@bench.example`,
        subject: content.subject,
        html: content.html,
        text: content.text,
        status: "queued" as const,
        attempts: 0,
        last_error: null,
        created_at: now,
        sent_at: null,
        project_id: null,
        edition_id: null,
      };
    });
    await t.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) await trx.insertInto("outbox").values(rows.slice(i, i + 500)).execute();
    });
    const ids = (await t.db.selectFrom("outbox").select("id").orderBy("id").execute()).map((r) => r.id);
    out(`${DIALECT}: ${ids.length} outbox rows queued; SMTP receiver on ${smtp.url}; Redis prefix ${prefix}`);

    const workers = await startWorkers({
      redisUrl: REDIS_URL,
      prefix,
      deps: { db: t.db, mailer, now: () => new Date() },
      ...(CONCURRENCY ? { concurrency: { "send-email": CONCURRENCY } } : {}),
    });
    await queues.ready();
    const start = performance.now();
    // The same job ids as dispatchOutbox(); added in bulk so the producer is not what is measured.
    const queue = queues.queue("send-email");
    for (let i = 0; i < ids.length; i += 1000) {
      await queue.addBulk(
        ids.slice(i, i + 1000).map((id) => ({
          name: "send-email",
          data: { outboxId: id },
          opts: { jobId: emailJobId(id) },
        })),
      );
    }
    out(`enqueued ${ids.length} jobs in ${((performance.now() - start) / 1000).toFixed(2)} s`);

    const sentCount = async () =>
      Number(
        (
          await t.db
            .selectFrom("outbox")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("status", "=", "sent")
            .executeTakeFirstOrThrow()
        ).n,
      );
    let delivered = 0;
    let last = 0;
    let lastAt = performance.now();
    while (delivered < EMAILS && performance.now() - start < GIVE_UP_MS) {
      await new Promise((r) => setTimeout(r, 1000));
      delivered = await sentCount();
      const at = performance.now();
      out(
        `t=${((at - start) / 1000).toFixed(1)}s delivered=${delivered}/${EMAILS} received=${smtp.messages.length} rate=${Math.round(((delivered - last) * 1000) / (at - lastAt))}/s`,
      );
      last = delivered;
      lastAt = at;
    }
    const seconds = (performance.now() - start) / 1000;
    await workers.close();

    const unique = new Set(smtp.messages.map((m) => m.messageId)).size;
    const failed = await t.db
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "failed")
      .executeTakeFirstOrThrow();
    out(
      `received=${smtp.messages.length} unique=${unique} duplicates=${smtp.messages.length - unique} failed=${Number(failed.n)}`,
    );
    out(`emails=${EMAILS} delivered=${delivered} seconds=${seconds.toFixed(2)} emails_per_s=${Math.round(delivered / seconds)}`);
    if (delivered < EMAILS) process.exitCode = 1;
  } finally {
    mailer.close();
    await queues.close();
    const keys = await redis.keys(`${prefix}:*`);
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
    await redis.quit();
    await smtp.stop();
    await t.cleanup();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
