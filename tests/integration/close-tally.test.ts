import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordTally } from "../../app/domain/tally.server";
import { liveTally } from "../../app/domain/tally-jobs.server";
import type { JobDeps } from "../../app/jobs/contract";
import { jobsFrom } from "../../app/jobs/port.server";
import { makeEdition } from "../fixtures/contest";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";

describe.each(DIALECTS)("the official tally at the close of voting on %s", (dialect) => {
  let t: TestDb;
  const now = new Date("2032-05-05T10:00:00.000Z");
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  /** Runs the every-second job once at `now` and returns the close tallies it asked for. */
  async function closeTalliesAt(at: Date): Promise<number[]> {
    const asked: number[] = [];
    const deps: JobDeps = {
      db: t.db,
      now: () => at,
      mailer: { kind: "files", send: () => Promise.reject(new Error("no mail here")), close: () => {} },
      jobs: jobsFrom(async (name, data) => {
        if (name === "official-tally" && "trigger" in data && data.trigger === "close")
          asked.push(data.editionId);
      }),
    };
    await liveTally(deps);
    return asked;
  }

  it("is asked for when selection opened the instant voting closed, once, and never after publication", async () => {
    // Back-to-back phases: voting closed at the very instant selection opened (as "Open selection now" does).
    const edition = await makeEdition(t.db, { phase: "selection", now });
    expect(edition.voting_closes_at).toBe(edition.selection_opens_at);
    const voting = await makeEdition(t.db, { phase: "voting", now });

    const asked = await closeTalliesAt(now);
    expect(asked).toContain(edition.id);
    expect(asked).not.toContain(voting.id);

    await recordTally(t.db, { editionId: edition.id, trigger: "close", requestedBy: null }, now);
    expect(await closeTalliesAt(now)).not.toContain(edition.id);

    const published = await makeEdition(t.db, { phase: "announcement", now });
    await t.db
      .updateTable("editions")
      .set({ results_published_at: now.toISOString() })
      .where("id", "=", published.id)
      .execute();
    expect(await closeTalliesAt(now)).not.toContain(published.id);
  });
});
