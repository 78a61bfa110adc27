import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, isDatabaseBusy, type Db } from "../../db/client";
import { holdExclusiveLock } from "../helpers/sqlite-lock";

/** The longest the event loop went without running a 10 ms timer while `run` was pending. */
async function loopStall<T>(
  run: () => Promise<T>,
): Promise<{ value: T | undefined; error: unknown; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  try {
    return { value: await run(), error: undefined, stallMs: Math.max(stallMs, performance.now() - last) };
  } catch (error) {
    return { value: undefined, error, stallMs: Math.max(stallMs, performance.now() - last) };
  } finally {
    clearInterval(ticker);
  }
}

describe("SQLite lock waits (db/sqlite.ts)", () => {
  let dir: string;
  let file: string;
  let db: Db;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "wsis-busy-"));
    file = join(dir, "busy.sqlite");
    db = createDb(file, { sqlite: { busyWaitMs: 1_500 } });
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async () => (await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0];

  it("waits for a short lock on timers: the write goes through and the event loop stays free", async () => {
    const { released } = await holdExclusiveLock(file, 700);
    const started = performance.now();
    const { error, stallMs } = await loopStall(() => sql`insert into t (v) values ('a')`.execute(db));
    expect(error).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThan(500);
    // The old code slept in SQLite's busy handler (busy_timeout 5,000 ms): the loop stood still until release.
    expect(stallMs).toBeLessThan(250);
    await released;
    expect(await count()).toEqual({ n: 1 });
  });

  it("reads are served while another process holds the write lock (WAL)", async () => {
    await sql`insert into t (v) values ('a')`.execute(db);
    const { released } = await holdExclusiveLock(file, 1_000);
    const started = performance.now();
    expect(await count()).toEqual({ n: 1 });
    expect(performance.now() - started).toBeLessThan(250);
    await released;
  });

  it("past the bounded wait: DatabaseBusyError; a transaction waits at its start and its callback never runs", async () => {
    const { released } = await holdExclusiveLock(file, 3_000);
    let ran = 0;
    const started = performance.now();
    const { error, stallMs } = await loopStall(() =>
      db.transaction().execute(async (trx) => {
        ran += 1;
        await sql`insert into t (v) values ('in a transaction')`.execute(trx);
      }),
    );
    const waited = performance.now() - started;
    expect(isDatabaseBusy(error)).toBe(true);
    expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(ran).toBe(0);
    expect(waited).toBeGreaterThan(1_400);
    expect(waited).toBeLessThan(2_500);
    expect(stallMs).toBeLessThan(250);
    // Single statements too.
    const single = await sql`insert into t (v) values ('single')`.execute(db).catch((e: unknown) => e);
    expect(isDatabaseBusy(single)).toBe(true);
    await released;
    expect(await count()).toEqual({ n: 0 });
  });

  it("a transaction that meets the lock runs whole once it is free, and concurrent writes all get through", async () => {
    const { released } = await holdExclusiveLock(file, 500);
    let ran = 0;
    const writes = await Promise.all([
      db.transaction().execute(async (trx) => {
        ran += 1;
        const before = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
        await sql`insert into t (v) values (${`seen ${before.rows[0].n}`})`.execute(trx);
        return "transaction";
      }),
      ...Array.from({ length: 20 }, (_, i) => sql`insert into t (v) values (${`w${i}`})`.execute(db)),
    ]);
    await released;
    expect(ran).toBe(1);
    expect(writes).toHaveLength(21);
    expect(await count()).toEqual({ n: 21 });
  });
});
