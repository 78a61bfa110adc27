import { randomBytes } from "node:crypto";
import type { Job, JobsOptions } from "bullmq";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dispatchOutbox, queueEmail } from "../../app/domain/outbox.server";
import { resetEnvCache } from "../../app/utils/env.server";
import { instanceId } from "../../db/instance";
import type { OutboxMessage } from "../../db/schema";
import { createMailer, type Mailer } from "../../emails/transport";
import { startWorkers, type RunningWorkers } from "../../workers/index";
import {
  LEASE_MS,
  REDACTED_BODY,
  RowBusyError,
  sendEmail,
  sweepOutbox,
} from "../../app/domain/outbox-delivery.server";
import { emailJobId, type JobDeps } from "../../app/jobs/contract";
import { jobsFrom } from "../../app/jobs/port.server";
import { closeQueues, type JobQueues } from "../../workers/queues";
import { DIALECTS, type TestDb } from "../helpers/db";
import { freePort } from "../helpers/redis-server";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { Cleanups, setUpWorkerTest } from "../helpers/workers";

describe.each(DIALECTS)("outbox delivery through BullMQ on %s", (dialect) => {
  let t: TestDb;
  let smtp: SmtpReceiver;
  let mailer: Mailer;
  let redisUrl: string;
  let prefix: string;
  let workers: RunningWorkers | undefined;
  let queues: JobQueues;
  let deps: JobDeps;
  let instance: string;
  const cleanups = new Cleanups();

  beforeEach(async () => {
    // dispatchOutbox() enqueues through the process-wide producer, which setUpWorkerTest points at `prefix`.
    ({ t, redisUrl, prefix, queues } = await setUpWorkerTest(dialect, cleanups));
    smtp = await startSmtp();
    cleanups.push(() => smtp.stop()); // the receiver in use at the end (a test may restart it)
    mailer = createMailer({ smtpUrl: smtp.url });
    cleanups.push(() => mailer.close());
    deps = { db: t.db, mailer, now: () => new Date() };
    instance = await instanceId(t.db);
    workers = await startWorkers({ redisUrl, prefix, deps });
    cleanups.push(() => workers?.close());
  });

  afterEach(() => cleanups.run());

  let counter = 0;
  /** Writes an outbox row inside a transaction, as a domain action would, and returns its id. */
  async function queueTestEmail(options: { key?: string; kind?: string; now?: Date } = {}) {
    counter++;
    const subject = `Test message ${counter} ${randomBytes(3).toString("hex")}`;
    const id = await t.db.transaction().execute((trx) =>
      queueEmail(trx, {
        key: options.key ?? `test:${subject}`,
        kind: options.kind ?? "test",
        to: "recipient@example.org",
        content: { subject, html: `<p>Hello ${counter}</p>`, text: `Hello ${counter}` },
        now: options.now ?? new Date(),
      }),
    );
    return { id, subject };
  }

  async function row(id: number): Promise<OutboxMessage> {
    return t.db.selectFrom("outbox").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  async function waitForRow(id: number, ok: (r: OutboxMessage) => boolean): Promise<OutboxMessage> {
    return vi.waitFor(
      async () => {
        const r = await row(id);
        if (!ok(r)) throw new Error(`outbox row ${id} is ${JSON.stringify({ ...r, html: undefined })}`);
        return r;
      },
      { timeout: 20_000, interval: 50 },
    );
  }

  async function waitForJob(jobId: string, ok: (job: Job, state: string) => boolean): Promise<Job> {
    return vi.waitFor(
      async () => {
        const queue = queues.queue("send-email");
        const state = await queue.getJobState(jobId);
        // Read after the state, so that the snapshot is at least as recent as the state it is judged with.
        const job = await queue.getJob(jobId);
        if (!job) throw new Error(`no job ${jobId}`);
        if (!ok(job, state)) throw new Error(`job ${jobId} is ${state}`);
        return job;
      },
      { timeout: 20_000, interval: 50 },
    );
  }

  /** Enqueues row `id`'s delivery job as dispatchOutbox() does (same job id), with test-sized retries. */
  async function addDeliveryJob(id: number, retries: Pick<JobsOptions, "attempts" | "backoff">) {
    await queues
      .queue("send-email")
      .add("send-email", { outboxId: id }, { jobId: emailJobId(instance, id), ...retries });
  }

  const sentTo = (subject: string) => smtp.messages.filter((m) => m.subject === subject);

  it("delivers a row written in the cause's transaction, and marks it sent", async () => {
    const { id, subject } = await queueTestEmail();
    expect(id).not.toBeNull();
    if (id === null) return;
    expect((await row(id)).status).toBe("queued");
    await dispatchOutbox([id], t.db);

    const mail = await smtp.waitFor((m) => m.subject === subject);
    expect(mail.to).toEqual(["recipient@example.org"]);
    expect(mail.text.trim()).toMatch(/^Hello \d+$/);
    expect(mail.html).toMatch(/<p>Hello \d+<\/p>/);
    expect(instance).toMatch(/^[0-9a-f]{12}$/);
    expect(mail.messageId).toMatch(new RegExp(`^<outbox-${instance}-${id}-[0-9a-f]{16}@wsis-prizes>$`));

    const sent = await waitForRow(id, (r) => r.status === "sent");
    expect(sent.sent_at).not.toBeNull();
    expect(sent.attempts).toBe(1);
    expect(sent.last_error).toBeNull();
    expect(sent.html).toMatch(/Hello/); // not a secret kind: the body is kept
  });

  it("writes nothing when the cause's transaction rolls back", async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await queueEmail(trx, {
          key: "rolled-back",
          kind: "test",
          to: "recipient@example.org",
          content: { subject: "never", html: "<p>never</p>", text: "never" },
          now: new Date(),
        });
        throw new Error("the cause failed");
      }),
    ).rejects.toThrow("the cause failed");
    expect(await t.db.selectFrom("outbox").select("id").execute()).toEqual([]);
  });

  it("keeps one row and sends one email per idempotency key", async () => {
    const first = await queueTestEmail({ key: "welcome:recipient@example.org" });
    const second = await queueTestEmail({ key: "welcome:recipient@example.org" });
    expect(first.id).not.toBeNull();
    expect(second.id).toBeNull();
    await dispatchOutbox([first.id, second.id], t.db);
    await smtp.waitFor((m) => m.subject === first.subject);
    if (first.id !== null) {
      await waitForRow(first.id, (r) => r.status === "sent");
      await waitForJob(emailJobId(instance, first.id), (_job, state) => state === "completed");
    }
    expect(await t.db.selectFrom("outbox").select("id").execute()).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it("sends once when the same job is enqueued twice or processed again", async () => {
    const { id, subject } = await queueTestEmail();
    if (id === null) throw new Error("no row");
    await Promise.all([
      dispatchOutbox([id], t.db),
      dispatchOutbox([id], t.db),
      queues.add("send-email", { outboxId: id }, emailJobId(instance, id)),
    ]);
    await smtp.waitFor((m) => m.subject === subject);
    const job = await waitForJob(
      emailJobId(instance, id),
      (j, state) => state === "completed" && j.returnvalue === "sent",
    );
    const counts = await queues
      .queue("send-email")
      .getJobCounts("completed", "waiting", "active", "delayed", "failed");
    expect(counts).toEqual({ completed: 1, waiting: 0, active: 0, delayed: 0, failed: 0 });

    // The same job run a second time finds the row sent and skips it.
    await job.retry("completed");
    await waitForJob(
      emailJobId(instance, id),
      (j, state) => state === "completed" && j.returnvalue === "skipped",
    );
    // A later dispatch of the same row (a sweep, a repeated request) is a no-op too.
    await dispatchOutbox([id], t.db);
    expect(sentTo(subject)).toHaveLength(1);
    expect((await row(id)).attempts).toBe(1);
  });

  it("sends once when two attempts process the same row at the same time", async () => {
    await workers?.close();
    workers = undefined;
    const { id, subject } = await queueTestEmail();
    if (id === null) throw new Error("no row");
    const results = await Promise.allSettled([
      sendEmail({ outboxId: id }, deps),
      sendEmail({ outboxId: id }, deps),
      sendEmail({ outboxId: id }, deps),
    ]);
    // One attempt claims the row and sends; the others either find it sent, or find it being sent and fail
    // (BullMQ would retry them later, and the retry would find it sent).
    const sent = results.filter((r) => r.status === "fulfilled" && r.value === "sent");
    expect(sent).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(RowBusyError);
      else expect(["sent", "skipped"]).toContain(r.value);
    }
    await smtp.waitFor((m) => m.subject === subject);
    expect(sentTo(subject)).toHaveLength(1);
    const after = await row(id);
    expect(after.status).toBe("sent");
    expect(after.attempts).toBe(1);
    expect(await sendEmail({ outboxId: id }, deps)).toBe("skipped");
    expect(sentTo(subject)).toHaveLength(1);
  });

  it("takes over a row whose sending attempt died, once its lease has expired", async () => {
    await workers?.close();
    workers = undefined;
    const { id, subject } = await queueTestEmail();
    if (id === null) throw new Error("no row");
    // An attempt claimed the row and then its process died before it could finish.
    await t.db
      .updateTable("outbox")
      .set({ attempts: 1, sent_at: new Date().toISOString() })
      .where("id", "=", id)
      .execute();
    await expect(sendEmail({ outboxId: id }, deps)).rejects.toBeInstanceOf(RowBusyError);
    expect(smtp.messages).toHaveLength(0);

    const later = { ...deps, now: () => new Date(Date.now() + LEASE_MS + 1000) };
    expect(await sendEmail({ outboxId: id }, later)).toBe("sent");
    await smtp.waitFor((m) => m.subject === subject);
    const sent = await row(id);
    expect(sent.status).toBe("sent");
    expect(sent.attempts).toBe(2);
  });

  it("retries with backoff while the SMTP receiver is down, and delivers once it is back", async () => {
    const port = smtp.port;
    await smtp.stop();
    const { id, subject } = await queueTestEmail();
    if (id === null) throw new Error("no row");
    // A test-sized backoff instead of the default 2 s, 4 s, 8 s …
    await addDeliveryJob(id, { attempts: 20, backoff: { type: "exponential", delay: 100 } });

    const failing = await waitForRow(id, (r) => r.attempts >= 2);
    expect(failing.status).toBe("queued");
    expect(failing.last_error).toMatch(/ECONNREFUSED|connect/i);
    const delayed = await waitForJob(
      emailJobId(instance, id),
      (_j, state) => state === "delayed" || state === "waiting",
    );
    expect(delayed.attemptsMade).toBeGreaterThanOrEqual(1);

    smtp = await startSmtp(port);
    await smtp.waitFor((m) => m.subject === subject);
    const sent = await waitForRow(id, (r) => r.status === "sent");
    expect(sent.last_error).toBeNull();
    const done = await waitForJob(emailJobId(instance, id), (_j, state) => state === "completed");
    expect(done.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(sentTo(subject)).toHaveLength(1);
  });

  it("marks the row failed when the last attempt fails", async () => {
    await smtp.stop();
    const { id } = await queueTestEmail();
    if (id === null) throw new Error("no row");
    await addDeliveryJob(id, { attempts: 2, backoff: { type: "fixed", delay: 50 } });
    const failed = await waitForRow(id, (r) => r.status === "failed");
    expect(failed.attempts).toBe(2);
    expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);
    await waitForJob(emailJobId(instance, id), (j, state) => state === "failed" && j.attemptsMade === 2);
    smtp = await startSmtp(); // afterEach stops it
  });

  it("marks the row failed on a 5xx reply and does not retry", async () => {
    smtp.rejectWith({ code: 550, message: "5.1.1 Mailbox unavailable" });
    const { id } = await queueTestEmail();
    if (id === null) throw new Error("no row");
    await dispatchOutbox([id], t.db);
    const failed = await waitForRow(id, (r) => r.status === "failed");
    expect(failed.last_error).toMatch(/550/);
    expect(failed.last_error).toMatch(/Mailbox unavailable/);
    expect(failed.attempts).toBe(1);
    expect(failed.sent_at).toBeNull();
    const job = await waitForJob(emailJobId(instance, id), (_j, state) => state === "failed");
    expect(job.attemptsMade).toBe(1); // the default allows 10: UnrecoverableError stopped the retries
    expect(job.opts.attempts).toBe(10);
    expect(smtp.messages).toHaveLength(0);
  });

  it("blanks the body of secret kinds once delivered", async () => {
    const { id, subject } = await queueTestEmail({ kind: "verify_email" });
    if (id === null) throw new Error("no row");
    await dispatchOutbox([id], t.db);
    const mail = await smtp.waitFor((m) => m.subject === subject);
    expect(mail.text).toMatch(/Hello/);
    const sent = await waitForRow(id, (r) => r.status === "sent");
    expect(sent.html).toBe(REDACTED_BODY);
    expect(sent.text).toBe(REDACTED_BODY);
  });

  it("the sweeper re-enqueues rows still queued, into the workers' own queues", async () => {
    const stale = await queueTestEmail({ now: new Date(Date.now() - 5 * 60_000) }); // its enqueue was lost
    const fresh = await queueTestEmail(); // too recent: its own job may still be on the way
    if (stale.id === null || fresh.id === null) throw new Error("no row");

    await queues.add("sweep-outbox", {}, "sweep-test");
    await smtp.waitFor((m) => m.subject === stale.subject);
    await waitForRow(stale.id, (r) => r.status === "sent");
    const sweep = await vi.waitFor(
      async () => {
        const job = await queues.queue("sweep-outbox").getJob("sweep-test");
        if (!job || (await job.getState()) !== "completed") throw new Error("sweep not done");
        return job;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(sweep.returnvalue).toBe(1);
    expect((await row(fresh.id)).status).toBe("queued");
    expect(await queues.queue("send-email").getJob(emailJobId(instance, fresh.id))).toBeUndefined();
    expect(sentTo(fresh.subject)).toHaveLength(0);
  });

  it("the sweeper adds no second job for a row its delivery job is retrying", async () => {
    await smtp.stop();
    const { id } = await queueTestEmail({ now: new Date(Date.now() - 5 * 60_000) });
    if (id === null) throw new Error("no row");
    // The first attempt fails; the next one waits a minute (longer than this test).
    await addDeliveryJob(id, { attempts: 5, backoff: { type: "fixed", delay: 60_000 } });
    await waitForJob(emailJobId(instance, id), (j, state) => state === "delayed" && j.attemptsMade === 1);
    const waiting = await row(id);
    expect([waiting.status, waiting.attempts, waiting.sent_at]).toEqual(["queued", 1, null]);
    expect(waiting.last_error).toMatch(/ECONNREFUSED|connect/i);

    expect(await sweepOutbox({ ...deps, jobs: jobsFrom(queues.add) })).toBe(1);
    const jobs = await queues.queue("send-email").getJobs();
    expect(jobs.map((j) => j.id)).toEqual([emailJobId(instance, id)]);
    smtp = await startSmtp(); // afterEach stops it
  });

  it("does not hang a request when Redis is down: the row waits for the sweeper", async () => {
    const { id } = await queueTestEmail();
    if (id === null) throw new Error("no row");
    const down = await freePort(); // nothing listens there
    process.env.REDIS_URL = `redis://127.0.0.1:${down}`;
    resetEnvCache();
    await closeQueues();
    await dispatchOutbox([id], t.db); // resolves (after a bounded wait) instead of throwing or hanging
    expect((await row(id)).status).toBe("queued");
    await closeQueues();
    process.env.REDIS_URL = redisUrl;
    resetEnvCache();
  });

  it("refuses a malformed payload without retrying", async () => {
    await queues
      .queue("send-email")
      .add("send-email", { outboxId: "1; drop table outbox" }, { jobId: "bad-payload" });
    const job = await waitForJob("bad-payload", (_j, state) => state === "failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/invalid send-email payload/);
  });

  it("closes gracefully: a delivery in progress completes before close() resolves", async () => {
    await workers?.close();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const slow: Mailer = {
      kind: "smtp",
      async send(mail) {
        started = true;
        await gate;
        await mailer.send(mail);
      },
      close: () => {},
    };
    workers = await startWorkers({ redisUrl, prefix, deps: { ...deps, mailer: slow } });
    const { id, subject } = await queueTestEmail();
    if (id === null) throw new Error("no row");
    await dispatchOutbox([id], t.db);
    await vi.waitFor(() => expect(started).toBe(true), { timeout: 20_000, interval: 20 });

    let closed = false;
    const closing = workers.close().then(() => (closed = true));
    workers = undefined;
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toBe(false); // still waiting for the job in progress
    release();
    await closing;
    expect((await row(id)).status).toBe("sent");
    expect(sentTo(subject)).toHaveLength(1);
  });
});
