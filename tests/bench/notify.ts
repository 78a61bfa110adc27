/**
 * npm run bench:notify — 10,000 queued award emails delivered by the real BullMQ workers (startWorkers) through
 * nodemailer to a local SMTP receiver (tests/helpers/smtp.ts: smtp-server, parsing every message) running in a
 * child process, as a relay would run elsewhere. Timed from the first enqueue to the last outbox row marked sent. SQLite by default; BENCH_DIALECT=postgres uses TEST_POSTGRES_URL.
 * Options (env): BENCH_EMAILS (default 10000), BENCH_CONCURRENCY (send-email worker concurrency, default: the
 * workers' own), REDIS_URL / TEST_REDIS_URL (default redis://127.0.0.1:6379).
 * Last line: emails=… delivered=… seconds=… emails_per_s=…  (target: all delivered in ≤ 60 s)
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { Redis } from "ioredis";
import { createMailer } from "../../emails/transport";
import { syntheticAward } from "../helpers/award-email";
import { startWorkers } from "../../workers/index";
import { emailJobId } from "../../app/jobs/contract";
import { createQueues } from "../../workers/queues";
import { instanceId } from "../../db/instance";
import { createTestDb } from "../helpers/db";

const EMAILS = Number(process.env.BENCH_EMAILS ?? 10_000);
const CONCURRENCY = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
const DIALECT = process.env.BENCH_DIALECT === "postgres" ? "postgres" : "sqlite";
const REDIS_URL = process.env.REDIS_URL || process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
const GIVE_UP_MS = 300_000;

const out = (line: string) => process.stdout.write(`${line}\n`);

interface Receiver {
  url: string;
  count(): Promise<{ received: number; unique: number }>;
  stop(): Promise<void>;
}

/** Starts tests/bench/smtp-receiver.ts in a child process and talks to it over IPC. */
async function startReceiver(): Promise<Receiver> {
  const child: ChildProcess = fork(new URL("./smtp-receiver.ts", import.meta.url), {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [first] = (await once(child, "message")) as [{ port: number }];
  return {
    url: `smtp://127.0.0.1:${first.port}`,
    async count() {
      const reply = once(child, "message") as Promise<[{ received: number; unique: number }]>;
      child.send("count");
      return (await reply)[0];
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.send("stop");
      await exited;
    },
  };
}

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= "error";
  const t = await createTestDb(DIALECT);
  const smtp = await startReceiver();
  const mailer = createMailer({ smtpUrl: smtp.url });
  const prefix = `bench${randomBytes(4).toString("hex")}`;
  const queues = createQueues({ redisUrl: REDIS_URL, prefix });
  const redis = new Redis(REDIS_URL);
  try {
    // The outbox rows, as publishResults() writes them: one per recipient × project × kind.
    const now = new Date().toISOString();
    const rows = Array.from({ length: EMAILS }, (_, i) => {
      const { kind, content } = syntheticAward(i);
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
      for (let i = 0; i < rows.length; i += 500)
        await trx
          .insertInto("outbox")
          .values(rows.slice(i, i + 500))
          .execute();
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
    const cpuStart = process.cpuUsage();
    // The same job ids as dispatchOutbox(); added in bulk so the producer is not what is measured.
    const queue = queues.queue("send-email");
    const instance = await instanceId(t.db);
    for (let i = 0; i < ids.length; i += 1000) {
      await queue.addBulk(
        ids.slice(i, i + 1000).map((id) => ({
          name: "send-email",
          data: { outboxId: id },
          opts: { jobId: emailJobId(instance, id) },
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
      const { received } = await smtp.count();
      out(
        `t=${((at - start) / 1000).toFixed(1)}s delivered=${delivered}/${EMAILS} received=${received} rate=${Math.round(((delivered - last) * 1000) / (at - lastAt))}/s`,
      );
      last = delivered;
      lastAt = at;
    }
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    await workers.close();

    const { received, unique } = await smtp.count();
    const failed = await t.db
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "failed")
      .executeTakeFirstOrThrow();
    out(
      `received=${received} unique=${unique} duplicates=${received - unique} failed=${Number(failed.n)} worker_cpu_ms_per_email=${((cpu.user + cpu.system) / 1000 / Math.max(1, delivered)).toFixed(2)}`,
    );
    out(
      `emails=${EMAILS} delivered=${delivered} seconds=${seconds.toFixed(2)} emails_per_s=${Math.round(delivered / seconds)}`,
    );
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
