import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEdition, makeProject, makeUser } from "../fixtures/contest";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { PrivateRedis } from "../helpers/redis-server";
import { signInDirectly } from "../helpers/session";

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("Redis outage during voting", () => {
  let t: TestDb;
  let redis: PrivateRedis;
  let app: RunningApp;
  const projects: number[] = [];

  beforeAll(async () => {
    t = await createTestDb("sqlite");
    const edition = await makeEdition(t.db, { phase: "voting", now: new Date() });
    for (const code of ["C1", "C2", "C3"])
      projects.push((await makeProject(t.db, { editionId: edition.id, categoryCode: code })).id);
    redis = await PrivateRedis.start();
    app = await startApp({ databaseUrl: t.url, redisUrl: redis.url });
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
    await t?.cleanup();
  });

  const cast = (projectId: number) =>
    t.db
      .selectFrom("live_counts")
      .select("cast_votes")
      .where("project_id", "=", projectId)
      .executeTakeFirst();

  it("keeps voting without a 500 while Redis is down, and the jobs catch up once it is back", async () => {
    const voter = await makeUser(t.db);
    const client = new Client(app.url);
    await client.get("/");
    await signInDirectly(t.db, client, voter.id);

    expect((await client.post("/vote", { project: String(projects[0]) })).status).toBe(303);
    // The live tally (a BullMQ job every second) counts it.
    await until(async () => (await cast(projects[0]))?.cast_votes === 1, 15_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${app.logs.join("")}`);
    });

    await redis.stop();
    // Rate limits fall back to the in-memory insurance limiter; the vote is recorded in the database.
    const during = await client.post("/vote", { project: String(projects[1]) });
    expect(during.status).toBe(303);
    expect((await client.get("/votes")).status).toBe(200);
    expect((await client.get("/healthz")).status).toBe(200);
    const rows = await t.db
      .selectFrom("votes")
      .select("project_id")
      .where("voter_id", "=", voter.id)
      .execute();
    expect(rows.map((r) => r.project_id).sort()).toEqual([projects[0], projects[1]].sort());
    // Nothing counts it while Redis is away (the scheduler lives there)…
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cast(projects[1]))?.cast_votes ?? 0).toBe(0);

    await redis.start();
    expect((await client.post("/vote", { project: String(projects[2]) })).status).toBe(303);
    // …and once it is back, the workers reconnect and the live counts catch up with every vote.
    await until(
      async () => (await cast(projects[1]))?.cast_votes === 1 && (await cast(projects[2]))?.cast_votes === 1,
      30_000,
    );
    expect(app.logs.join("")).not.toMatch(/"level":"error"/);
  });
});
