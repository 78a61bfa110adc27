import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEdition, makeProject, makeUser } from "../fixtures/contest";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { signInDirectly } from "../helpers/session";
import { holdExclusiveLock } from "../helpers/sqlite-lock";

/** How long the other process holds its lock, and how long the app waits for it at most (SQLITE_WAIT_MS). */
const LOCK_MS = 6_000;
const BUSY_WAIT_MS = 2_000;

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

describe("a SQLite write lock held by another process", () => {
  let t: TestDb;
  let app: RunningApp;
  const projects: number[] = [];
  const voters: Array<{ id: number; client: Client }> = [];
  let unverified: Client;

  beforeAll(async () => {
    t = await createTestDb("sqlite");
    const edition = await makeEdition(t.db, { phase: "voting", now: new Date() });
    for (const code of ["C1", "C2", "C3"])
      projects.push((await makeProject(t.db, { editionId: edition.id, categoryCode: code })).id);
    app = await startApp({ databaseUrl: t.url, env: { SQLITE_WAIT_MS: String(BUSY_WAIT_MS) } });
    for (let i = 0; i < 20; i++) {
      const user = await makeUser(t.db);
      const client = new Client(app.url);
      await client.get("/");
      await signInDirectly(t.db, client, user.id);
      voters.push({ id: user.id, client });
    }
    unverified = new Client(app.url);
    await unverified.get("/");
    await signInDirectly(t.db, unverified, (await makeUser(t.db, { verified: false })).id);
  });
  afterAll(async () => {
    await app?.stop();
    await t?.cleanup();
  });

  it("keeps the process answering; writes get 503 + Retry-After after the bounded wait; no acknowledged vote lost", async () => {
    const acknowledged: Array<{ voter: number; project: number }> = [];
    const vote = async (voter: { id: number; client: Client }, project: number) => {
      const { value: res, ms } = await timed(() =>
        voter.client.post("/vote", { project: String(project) }, { Accept: "application/json" }),
      );
      const body = (await res.json()) as { ok: boolean; message?: string };
      if (res.status === 200 && body.ok) acknowledged.push({ voter: voter.id, project });
      return { status: res.status, retryAfter: res.headers.get("Retry-After"), message: body.message, ms };
    };

    // Before the lock: one vote each in C1.
    for (const v of voters) expect((await vote(v, projects[0])).status).toBe(200);

    const { released } = await holdExclusiveLock(t.url, LOCK_MS);
    const lockedAt = performance.now();
    let lockOver = false;
    const done = released.then(() => (lockOver = true));

    // While it is held: /healthz every 250 ms, the home page, votes and a Remix action that writes.
    const health: Array<{ status: number; ms: number; db: string }> = [];
    const polling = (async () => {
      while (!lockOver) {
        const { value: res, ms } = await timed(() => fetch(`${app.url}/healthz`));
        const body = (await res.json()) as { db?: string };
        health.push({ status: res.status, ms, db: String(body.db) });
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const firstWave = Promise.all(voters.map((v) => vote(v, projects[1])));
    // A second wave 2.5 s into the lock, while the first one is still waiting or has just been refused.
    const secondWave = new Promise((r) => setTimeout(r, 2_500)).then(() =>
      Promise.all(voters.slice(0, 10).map((v) => vote(v, projects[2]))),
    );
    // The home page (reads only); an action with a page of its own (a new confirmation link: a
    // transaction), and one without (sign out).
    const [home, resend, logout] = await Promise.all([
      timed(() => voters[0].client.get("/")),
      timed(() => unverified.post("/account", { intent: "resend-verification" })),
      timed(() => voters[19].client.post("/logout", {})),
    ]);
    const resendPage = await resend.value.text();
    const logoutPage = await logout.value.text();
    const during = await firstWave;
    await secondWave.then((answers) => during.push(...answers));
    const secondWaveEnd = performance.now() - lockedAt;
    await done;
    await polling;

    const report = JSON.stringify({
      health: health.map((h) => `${h.status}/${h.db}/${Math.round(h.ms)}ms`),
      home: Math.round(home.ms),
      resend: [resend.value.status, Math.round(resend.ms)],
      logout: [logout.value.status, Math.round(logout.ms)],
      votes: during.map((v) => `${v.status}/${Math.round(v.ms)}ms`),
    });
    // The process stays responsive: every /healthz answered in well under the lock's length, saying "busy"
    // once a write has met the lock; the home page (reads only) is served.
    expect(health.length, report).toBeGreaterThanOrEqual(5);
    expect(Math.max(...health.map((h) => h.ms)), report).toBeLessThan(1_000);
    expect(
      health.every((h) => h.status === 200),
      report,
    ).toBe(true);
    expect(
      health.some((h) => h.db === "busy"),
      report,
    ).toBe(true);
    expect(home.value.status, report).toBe(200);
    expect(home.ms, report).toBeLessThan(1_000);
    // Writes: a deliberate 503 with Retry-After and a readable message after the bounded wait; never a 500,
    // never a hang past the bound (generous slack for a loaded machine, still well short of the lock).
    expect(secondWaveEnd, report).toBeLessThan(LOCK_MS);
    for (const v of during) {
      expect(v.status, report).toBe(503);
      expect(Number(v.retryAfter), report).toBeGreaterThanOrEqual(1);
      expect(v.message, report).toMatch(/try again/i);
      expect(v.ms, report).toBeLessThan(BUSY_WAIT_MS + 1_500);
    }
    for (const [res, page] of [
      [resend.value, resendPage],
      [logout.value, logoutPage],
    ] as const) {
      expect(res.status, report).toBe(503);
      expect(Number(res.headers.get("Retry-After")), report).toBeGreaterThanOrEqual(1);
      expect(res.headers.get("Content-Type"), report).toContain("text/html");
      expect(page, report).toContain("Please try again in a few seconds");
      expect(page, report).not.toMatch(/at .*\.(ts|js):\d+/);
    }
    expect(resendPage, report).toContain("Temporarily unavailable");
    expect(resend.ms, report).toBeLessThan(BUSY_WAIT_MS + 1_500);
    expect(logout.ms, report).toBeLessThan(BUSY_WAIT_MS + 1_500);
    expect(await t.db.selectFrom("outbox").select("id").execute(), report).toHaveLength(0);

    // Logged once per episode, not per refused request; no 500s ("unhandled error", "vote failed").
    const logs = app.logs.join("");
    expect(
      logs.match(/database busy: another process holds the SQLite write lock/g) ?? [],
      logs,
    ).toHaveLength(1);
    expect(logs).not.toMatch(/unhandled error|vote failed|"level":"error"/);

    // Once the lock is released, the same votes go through, and every acknowledged vote is in the table.
    for (const v of voters) expect((await vote(v, projects[1])).status).toBe(200);
    const after = await timed(() => fetch(`${app.url}/healthz`));
    expect(((await after.value.json()) as { db: string }).db).toBe("up");
    const rows = await t.db.selectFrom("votes").select(["voter_id", "project_id"]).execute();
    const stored = new Set(rows.map((r) => `${r.voter_id}:${r.project_id}`));
    for (const a of acknowledged) expect(stored.has(`${a.voter}:${a.project}`)).toBe(true);
    expect(app.logs.join("")).toMatch(/database writable again/);
    expect(acknowledged.length).toBe(40);
    // The 503s wrote nothing: C1 and C2 hold one vote per voter, C3 none.
    expect(rows.length).toBe(40);
  });
});
