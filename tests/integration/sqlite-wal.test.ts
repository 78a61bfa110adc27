import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, sqliteControl, type Db } from "../../db/client";

const MB = 1024 * 1024;
/**
 * A small limit so that a few megabytes of writes show the growth (production: 64 MB); above the ~4 MB the
 * WAL reaches between two automatic checkpoints.
 */
const LIMIT = 8 * MB;

describe("the SQLite WAL stays bounded (journal_size_limit, TRUNCATE checkpoints, long readers logged)", () => {
  let dir: string;
  let file: string;
  let db: Db;
  let clock: number;
  let logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;

  /** A database with a small limit; `thread`: checkpoints in a worker thread (as getDb() does). */
  async function openDb(thread: boolean) {
    db = createDb(file, {
      sqlite: {
        walLimitBytes: LIMIT,
        checkpointAboveBytes: 1 * MB,
        checkpointInThread: thread,
        now: () => clock,
        log: {
          info: (message, fields) => logs.push({ level: "info", message, fields }),
          warn: (message, fields) => logs.push({ level: "warn", message, fields }),
        },
      },
    });
    await sql`create table blobs (id integer primary key, data blob not null)`.execute(db);
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wsis-wal-"));
    file = join(dir, "wal.sqlite");
    clock = 1_000_000;
    logs = [];
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const walBytes = () => statSync(`${file}-wal`).size;
  /** Some megabytes of writes, 100 rows of 4 kB per transaction. */
  async function write(megabytes = 6) {
    for (let i = 0; i < megabytes * 2.5; i++) {
      await db.transaction().execute(async (trx) => {
        for (let j = 0; j < 100; j++)
          await sql`insert into blobs (data) values (randomblob(4096))`.execute(trx);
      });
    }
  }
  /** Another connection holding a read transaction (an old snapshot) until release(). */
  function longReader() {
    const reader = new SQLite(file);
    reader.exec("begin");
    reader.prepare("select count(*) from blobs").get();
    return {
      release() {
        reader.exec("commit");
        reader.close();
      },
    };
  }

  it("a long reader grows the WAL; once it ends, going on writing cuts the file back to the limit", async () => {
    await openDb(false);
    const reader = longReader();
    await write(16);
    const grown = walBytes();
    expect(grown).toBeGreaterThan(16 * MB);
    reader.release();
    // The next commits checkpoint everything (no reader left) and start the WAL over, cutting it to the
    // limit. Before journal_size_limit it stayed at its largest size for good.
    await write(2);
    await write(2);
    expect(walBytes(), `grown to ${grown}`).toBeLessThanOrEqual(LIMIT);
  });

  it.each([
    ["in a worker thread", true],
    ["in the event loop", false],
  ])(
    "maintain() checkpoints %s: reports a blocked checkpoint once, then empties the WAL once the reader is gone",
    async (_name, thread) => {
      await openDb(thread);
      const control = sqliteControl(db);
      expect(control).toBeDefined();
      const reader = longReader();
      await write();
      const first = await control!.maintain();
      expect(first.checkpoint).toBe("blocked");
      expect(first.walBytesAfter).toBeGreaterThan(5 * MB);
      clock += 5_000;
      expect((await control!.maintain()).checkpoint).toBe("blocked");
      const blocked = logs.filter((l) => l.message.startsWith("WAL checkpoint blocked"));
      expect(blocked, JSON.stringify(logs)).toHaveLength(1);
      expect(blocked[0].level).toBe("warn");

      reader.release();
      clock += 5_000;
      const after = await control!.maintain();
      expect(after.checkpoint).toBe("done");
      expect(after.walBytesAfter).toBe(0);
      expect(walBytes()).toBeLessThanOrEqual(LIMIT);
      expect(logs.filter((l) => l.message === "WAL checkpoint completed")).toHaveLength(1);
      // Nothing more to do, nothing more logged.
      expect((await control!.maintain()).checkpoint).toBeNull();
      expect(logs).toHaveLength(2);
      const { rows } = await sql<{ n: number }>`select count(*) as n from blobs`.execute(db);
      expect(rows[0].n).toBe(1500);
    },
  );

  it("logs a transaction of ours open for more than a few seconds, once", async () => {
    await openDb(true);
    const control = sqliteControl(db)!;
    let finish = () => {};
    const open = db.transaction().execute(async (trx) => {
      await sql`insert into blobs (data) values (x'00')`.execute(trx);
      await new Promise<void>((resolve) => (finish = resolve));
    });
    await new Promise((r) => setTimeout(r, 20));
    clock += 2_000;
    await control.maintain();
    expect(logs).toHaveLength(0);
    clock += 4_000;
    await control.maintain();
    await control.maintain();
    finish();
    await open;
    const long = logs.filter((l) => l.message.includes("transaction has been open"));
    expect(long, JSON.stringify(logs)).toHaveLength(1);
    expect(long[0].fields?.openMs).toBe(6_000);
    expect(logs).toHaveLength(1);
    // One that ends before any maintenance round is logged when it ends.
    await db.transaction().execute(async () => {
      clock += 7_000;
    });
    expect(logs.map((l) => l.message)).toContain("a database transaction was open for a long time");
  });

  it("the catch-up copy after a long reader runs in the thread: the event loop stays free", async () => {
    await openDb(true);
    const control = sqliteControl(db)!;
    const reader = longReader();
    await write(24);
    // A round while the reader holds on (the app runs one a second): automatic checkpoints go off, so the
    // first commits after the reader do not do the copy in the event loop either.
    expect((await control.maintain()).checkpoint).toBe("blocked");
    await write(24);
    reader.release();
    await write(1);
    let last = performance.now();
    let stallMs = 0;
    const ticker = setInterval(() => {
      stallMs = Math.max(stallMs, performance.now() - last);
      last = performance.now();
    }, 5);
    const started = performance.now();
    const result = await control.maintain();
    const tookMs = performance.now() - started;
    clearInterval(ticker);
    expect(result.checkpoint).toBe("done");
    expect(result.walBytesBefore).toBeGreaterThan(48 * MB);
    expect(result.walBytesAfter).toBe(0);
    // Copying ~50 MB takes a few hundred milliseconds (in the event loop, the loop stood still that long).
    expect(stallMs, `checkpoint took ${Math.round(tookMs)} ms`).toBeLessThan(Math.max(100, tookMs / 2));
  });
});
