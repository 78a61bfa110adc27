import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dispatchOutbox, queueEmail } from "../../app/domain/outbox.server";
import { db } from "../../app/utils/db.server";
import { resetEnvCache } from "../../app/utils/env.server";
import { closeRedis, initRedis } from "../../app/utils/redis.server";
import { closeDb } from "../../db/client";
import { createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { freePort } from "../helpers/redis-server";

const saved = { ...process.env };

// Development without Redis: what `npm start` does when REDIS_URL is unset and nothing answers locally.
describe("inline mode", () => {
  let t: TestDb;
  let smtp: SmtpReceiver;
  beforeAll(async () => {
    t = await createTestDb("sqlite");
    smtp = await startSmtp();
    delete process.env.REDIS_URL;
    process.env.DATABASE_URL = t.url;
    process.env.SMTP_URL = smtp.url;
    process.env.LOG_LEVEL = "error";
    resetEnvCache();
    await closeRedis();
  });
  afterAll(async () => {
    await closeRedis();
    await closeDb();
    await smtp?.stop();
    await t?.cleanup();
    process.env = { ...saved };
    resetEnvCache();
  });

  it("runs the delivery job in this process after the commit", async () => {
    const mode = await initRedis({ probeUrl: `redis://127.0.0.1:${await freePort()}` });
    expect(mode.mode).toBe("inline");
    const id = await db()
      .transaction()
      .execute((trx) =>
        queueEmail(trx, {
          key: "inline:1",
          kind: "test",
          to: "dev@example.org",
          content: { subject: "Inline delivery", html: "<p>Hi</p>", text: "Hi" },
          now: new Date(),
        }),
      );
    await dispatchOutbox([id]);
    await smtp.waitFor((m) => m.subject === "Inline delivery");
    await vi.waitFor(
      async () => {
        const row = await t.db
          .selectFrom("outbox")
          .select("status")
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
        expect(row.status).toBe("sent");
      },
      { timeout: 10_000, interval: 50 },
    );
  });
});
