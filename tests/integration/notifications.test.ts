import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { deliveryStatus, retryFailed } from "../../app/domain/award-emails.server";
import { publishResults } from "../../app/domain/results-publication.server";
import { instanceId } from "../../db/instance";
import type { OutboxMessage } from "../../db/schema";
import { createMailer, type Mailer } from "../../emails/transport";
import { startWorkers } from "../../workers/index";
import { LEASE_MS, sweepOutbox } from "../../app/domain/outbox-delivery.server";
import { emailJobId, retryEmailJobId, type JobDeps, type Jobs } from "../../app/jobs/contract";
import { jobsFrom } from "../../app/jobs/port.server";
import type { JobQueues } from "../../workers/queues";
import { DIALECTS, type TestDb } from "../helpers/db";
import { readyContest } from "../helpers/results-fixtures";
import { startSmtp, type ReceivedMail, type SmtpReceiver } from "../helpers/smtp";
import { Cleanups, setUpWorkerTest, startWorkerProcess, type WorkerTest } from "../helpers/workers";

/** The outbox row a received message came from (the Message-ID is stable per row). */
const rowOf = (m: ReceivedMail) => Number(/^<outbox-[0-9a-f]+-(\d+)-/.exec(m.messageId ?? "")?.[1] ?? 0);

describe.each(DIALECTS)("award notifications through BullMQ and SMTP on %s", (dialect) => {
  let w: WorkerTest;
  let t: TestDb;
  let smtp: SmtpReceiver;
  let mailer: Mailer;
  let queues: JobQueues;
  let deps: JobDeps;
  let instance: string;
  const cleanups = new Cleanups();

  beforeEach(async () => {
    // publishResults() enqueues through the process-wide producer, which setUpWorkerTest points at w.prefix.
    w = await setUpWorkerTest(dialect, cleanups);
    ({ t, queues } = w);
    smtp = await startSmtp();
    cleanups.push(() => smtp.stop());
    mailer = createMailer({ smtpUrl: smtp.url });
    cleanups.push(() => mailer.close());
    deps = { db: t.db, mailer, now: () => new Date() };
    instance = await instanceId(t.db);
  });

  afterEach(() => cleanups.run());

  /** Starts in-process workers with `override` deps; closed after the test. */
  async function start(override: Partial<JobDeps> = {}) {
    const running = await startWorkers({
      redisUrl: w.redisUrl,
      prefix: w.prefix,
      deps: { ...deps, ...override },
    });
    cleanups.push(() => running.close());
    return running;
  }

  /** Enqueues like dispatchOutbox (same job ids), with a test-sized backoff instead of 2 s, 4 s, 8 s … */
  const fastDispatch: Jobs = jobsFrom(async (_name, data, jobId) => {
    await queues
      .queue("send-email")
      .add("send-email", data, { jobId, attempts: 30, backoff: { type: "exponential", delay: 100 } });
  });

  const rows = () => t.db.selectFrom("outbox").selectAll().orderBy("id").execute();

  async function waitForRows(
    ok: (all: OutboxMessage[]) => boolean,
    timeout = 30_000,
  ): Promise<OutboxMessage[]> {
    return vi.waitFor(
      async () => {
        const all = await rows();
        if (!ok(all)) {
          const by = all.reduce<Record<string, number>>(
            (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
            {},
          );
          throw new Error(`outbox: ${JSON.stringify(by)}`);
        }
        return all;
      },
      { timeout, interval: 100 },
    );
  }

  /**
   * Starts the workers and publishes a contest of three award emails while the receiver refuses every message
   * with a 550 reply; resolves once the three rows are failed.
   */
  async function publishRefused() {
    await start();
    smtp.rejectWith({ code: 550, message: "5.1.1 Mailbox unavailable" });
    const { edition } = await readyContest(t.db, { now: new Date(), codes: ["C4"], perCategory: 2 });
    expect(
      await publishResults(t.db, { editionId: edition.id, actorUserId: null }, new Date()),
    ).toMatchObject({ ok: true, emails: 3 });
    const failed = await waitForRows((all) => all.length === 3 && all.every((r) => r.status === "failed"));
    return { edition, failed };
  }

  /** Messages per outbox row. */
  function tally(messages: readonly ReceivedMail[]): Map<number, number> {
    const out = new Map<number, number>();
    for (const m of messages) out.set(rowOf(m), (out.get(rowOf(m)) ?? 0) + 1);
    return out;
  }

  it("publish twice, jobs added twice: exactly one email per recipient × project × kind", async () => {
    await start();
    const { edition, projects, winners } = await readyContest(t.db, {
      now: new Date(),
      codes: ["C1", "C4", "C9"],
      perCategory: 3,
    });
    const first = await publishResults(t.db, { editionId: edition.id, actorUserId: null }, new Date());
    expect(first).toMatchObject({ ok: true, champions: 9, winners: 3, emails: 12 });
    const second = await publishResults(t.db, { editionId: edition.id, actorUserId: null }, new Date());
    expect(second.ok).toBe(false);
    // A job retried or added again (a sweep, a second worker) finds its row sent, or being sent, and skips it.
    for (const r of await rows()) {
      await queues.add("send-email", { outboxId: r.id }, emailJobId(instance, r.id));
      await queues.add("send-email", { outboxId: r.id }, `${emailJobId(instance, r.id)}-again`);
    }

    const sent = await waitForRows((all) => all.length === 12 && all.every((r) => r.status === "sent"));
    // Let any duplicate job finish before counting.
    await vi.waitFor(
      async () => {
        const counts = await queues.queue("send-email").getJobCounts("waiting", "active", "delayed");
        expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0 });
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(smtp.messages).toHaveLength(12);
    const keys = smtp.messages.map((m) => `${m.to.join(",")}|${m.subject}`);
    expect(new Set(keys).size).toBe(12);
    for (const r of sent) expect(tally(smtp.messages).get(r.id)).toBe(1);

    // The winner's contact got both emails, HTML and text, naming the project and the category, with the link.
    const project = projects.find((p) => p.id === winners[0]);
    if (!project) throw new Error("fixture");
    const contact = sent.find((r) => r.project_id === project.id && r.kind === "award_winner");
    const mail = smtp.messages.find((m) => rowOf(m) === contact?.id);
    expect(mail?.subject).toBe(`WSIS Prizes ${edition.year} Winner: ${project.title}`);
    expect(mail?.text).toContain(`“${project.title}”`);
    expect(mail?.text).toContain("C1 — ");
    expect(mail?.text).toContain(`/projects/${project.id}`);
    expect(mail?.html).toContain(`/projects/${project.id}"`);
    expect(mail?.html).toContain("C1 — ");
    expect(
      smtp.messages
        .filter((m) => m.to[0] === contact?.to_address)
        .map((m) => m.subject)
        .sort(),
    ).toEqual([
      `WSIS Prizes ${edition.year} Champion: ${project.title}`,
      `WSIS Prizes ${edition.year} Winner: ${project.title}`,
    ]);
    expect(await deliveryStatus(t.db, edition.id)).toMatchObject({
      queued: 0,
      sent: 12,
      failed: 0,
      total: 12,
    });
  });

  it("the SMTP receiver stopped while sending: everything is delivered once it is back, nothing twice", async () => {
    const earlier: ReceivedMail[] = [];
    await start();
    const { edition } = await readyContest(t.db, {
      now: new Date(),
      codes: ["C1", "C2", "C3", "C4", "C5", "C6"],
      perCategory: 5,
    });
    const outcome = await publishResults(t.db, { editionId: edition.id, actorUserId: null }, new Date(), {
      jobs: fastDispatch,
    });
    expect(outcome).toMatchObject({ ok: true, emails: 36 });

    await vi.waitFor(() => expect(smtp.messages.length).toBeGreaterThanOrEqual(5), {
      timeout: 20_000,
      interval: 5,
    });
    // A receiver that really goes away: pooled connections are closed with 421, new ones are refused.
    const port = smtp.port;
    await smtp.stop(50);
    earlier.push(...smtp.messages);
    expect(earlier.length).toBeLessThan(36); // stopped mid-batch

    // While it is down, attempts fail with connection errors and stay queued for a retry.
    const waiting = await waitForRows((all) =>
      all.some((r) => r.status === "queued" && /ECONNREFUSED|connect|421|closed/i.test(r.last_error ?? "")),
    );
    expect(waiting.every((r) => r.status !== "failed")).toBe(true);
    await new Promise((r) => setTimeout(r, 500));

    smtp = await startSmtp(port); // afterEach stops this one
    const all = await waitForRows((list) => list.every((r) => r.status === "sent"), 60_000);
    const received = [...earlier, ...smtp.messages];
    const perRow = tally(received);
    expect([...perRow.keys()].sort((a, b) => a - b)).toEqual(all.map((r) => r.id));
    expect([...perRow.values()].every((n) => n === 1)).toBe(true);
    expect(received).toHaveLength(36);
    expect(all.some((r) => r.attempts > 1)).toBe(true);
  });

  it("a 550 reply marks the recipient failed with the reply and is not retried; retry failed sends it later", async () => {
    const { edition, failed } = await publishRefused();
    for (const r of failed) {
      expect(r.attempts).toBe(1);
      expect(r.last_error).toMatch(/550/);
      expect(r.last_error).toMatch(/Mailbox unavailable/);
      const job = await queues.queue("send-email").getJob(emailJobId(instance, r.id));
      expect(await job?.getState()).toBe("failed");
      expect(job?.attemptsMade).toBe(1); // 10 allowed: a 5xx reply is permanent
    }
    await new Promise((r) => setTimeout(r, 500));
    expect((await rows()).every((r) => r.attempts === 1 && r.status === "failed")).toBe(true);
    const status = await deliveryStatus(t.db, edition.id);
    expect(status).toMatchObject({ queued: 0, sent: 0, failed: 3 });
    expect(status.failures.every((f) => /550/.test(f.lastError ?? ""))).toBe(true);
    expect(smtp.messages).toHaveLength(0);

    // The mailbox is fixed; the organiser retries the failed ones (new job ids: the failed jobs are kept).
    smtp.rejectWith(null);
    expect(await retryFailed(t.db, { editionId: edition.id, actorUserId: null }, new Date())).toEqual({
      retried: 3,
    });
    const sent = await waitForRows((all) => all.every((r) => r.status === "sent"));
    expect(sent.every((r) => r.attempts === 2)).toBe(true);
    expect(smtp.messages).toHaveLength(3);
    expect(new Set(smtp.messages.map(rowOf)).size).toBe(3);
  });

  it("a retry of failed emails whose enqueue was lost: the sweeper sends them under the retry's job id", async () => {
    const { edition, failed } = await publishRefused();
    for (const r of failed) {
      const job = await queues.queue("send-email").getJob(emailJobId(instance, r.id));
      expect(await job?.getState()).toBe("failed"); // kept by BullMQ under email-<id>
    }

    // The organiser retries, but the jobs never reach Redis (it was down at that moment).
    smtp.rejectWith(null);
    const lost: Jobs = jobsFrom(async () => {});
    expect(
      await retryFailed(t.db, { editionId: edition.id, actorUserId: null }, new Date(), { jobs: lost }),
    ).toEqual({ retried: 3 });
    const requeued = await rows();
    expect(requeued.map((r) => [r.status, r.attempts, r.last_error, r.sent_at])).toEqual(
      failed.map(() => ["queued", 1, null, null]),
    );

    // A sweep a minute later re-enqueues them under the job ids the retry used, so they are sent once each.
    const later = new Date(Date.now() + 2 * 60_000);
    expect(await sweepOutbox({ ...deps, now: () => later, jobs: jobsFrom(queues.add) })).toBe(3);
    const sent = await waitForRows((all) => all.every((r) => r.status === "sent"));
    expect(sent.every((r) => r.attempts === 2)).toBe(true);
    for (const r of sent) {
      const job = await queues.queue("send-email").getJob(retryEmailJobId(instance, r.id, 1));
      expect(job?.data).toEqual({ outboxId: r.id });
    }
    expect(smtp.messages).toHaveLength(3);
    expect(new Set(smtp.messages.map(rowOf)).size).toBe(3);

    // Sweeping again finds nothing queued.
    expect(await sweepOutbox({ ...deps, now: () => later, jobs: jobsFrom(queues.add) })).toBe(0);
  });

  it("a worker process killed mid-batch: a new worker delivers the rest, no duplicate beyond a message already accepted", async () => {
    // The receiver records the connection reset the killed process causes (smtp.errors).
    const { edition } = await readyContest(t.db, {
      now: new Date(),
      codes: ["C1", "C2", "C3", "C4", "C5", "C6", "C7-EGOV", "C8"],
      perCategory: 5,
    });
    // Jobs first, then the worker process (one delivery at a time, so that one message at most is in flight).
    const outcome = await publishResults(t.db, { editionId: edition.id, actorUserId: null }, new Date(), {
      jobs: fastDispatch,
    });
    expect(outcome).toMatchObject({ ok: true, emails: 48 });
    const child = await startWorkerProcess(w, cleanups, { smtpUrl: smtp.url, sendEmailConcurrency: 1 });
    await vi.waitFor(() => expect(smtp.messages.length, child.output()).toBeGreaterThanOrEqual(8), {
      timeout: 30_000,
      interval: 2,
    });
    expect(await child.kill()).toBe("SIGKILL");

    const atKill = await rows();
    const receivedAtKill = new Set(smtp.messages.map(rowOf));
    // Claimed by the dead worker and not marked sent: its message may or may not have reached the receiver.
    const inFlight = atKill.filter((r) => r.status === "queued" && r.sent_at !== null).map((r) => r.id);
    expect(inFlight.length).toBeLessThanOrEqual(1);
    expect(atKill.filter((r) => r.status === "sent").length).toBeLessThan(48);

    // A new worker. Its clock is past the dead worker's lease on the row it held (LEASE_MS in production);
    // BullMQ hands the dead worker's active job over once its lock expires (about 30 s).
    await start({ now: () => new Date(Date.now() + LEASE_MS + 1000) });
    const all = await waitForRows((list) => list.every((r) => r.status === "sent"), 100_000);
    const perRow = tally(smtp.messages);
    expect([...perRow.keys()].sort((a, b) => a - b)).toEqual(all.map((r) => r.id));
    const duplicates = [...perRow].filter(([, n]) => n > 1).map(([id]) => id);
    expect(duplicates.length).toBeLessThanOrEqual(1);
    for (const id of duplicates) {
      expect(inFlight).toContain(id);
      expect(receivedAtKill.has(id)).toBe(true);
      expect(perRow.get(id)).toBe(2);
    }
    expect(smtp.messages.length).toBe(48 + duplicates.length);
  }, 150_000);
});
