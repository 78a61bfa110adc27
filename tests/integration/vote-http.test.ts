import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEdition, makeProject, makeUser } from "../fixtures/contest";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { signInDirectly } from "../helpers/session";

describe("POST /vote through the built app", () => {
  let t: TestDb;
  let app: RunningApp;
  let edition: Awaited<ReturnType<typeof makeEdition>>;
  let nominee: Awaited<ReturnType<typeof makeProject>>;
  let other: Awaited<ReturnType<typeof makeProject>>;
  let foreign: Awaited<ReturnType<typeof makeProject>>;

  beforeAll(async () => {
    t = await createTestDb("sqlite");
    const now = new Date();
    edition = await makeEdition(t.db, { phase: "voting", now });
    nominee = await makeProject(t.db, { editionId: edition.id, categoryCode: "C4" });
    other = await makeProject(t.db, { editionId: edition.id, categoryCode: "C4" });
    const closed = await makeEdition(t.db, { phase: "selection", now });
    foreign = await makeProject(t.db, { editionId: closed.id, categoryCode: "C4" });
    app = await startApp({ databaseUrl: t.url });
  });
  afterAll(async () => {
    await app?.stop();
    await t?.cleanup();
  });

  async function voter(verified = true) {
    const user = await makeUser(t.db, { verified });
    const client = new Client(app.url);
    await client.get("/");
    await signInDirectly(t.db, client, user.id);
    return { user, client };
  }

  const votesOf = (userId: number) =>
    t.db.selectFrom("votes").selectAll().where("voter_id", "=", userId).execute();

  it("records a vote and sends the browser to its votes page with progress", async () => {
    const { user, client } = await voter();
    const res = await client.post("/vote", { project: String(nominee.id) });
    expect(res.status).toBe(303);
    const location = res.headers.get("Location") ?? "";
    expect(location).toMatch(/^\/votes\?cast=\d+$/);
    const page = await client.get(location);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain("is recorded");
    expect(html).toContain("You have voted in <!-- -->1<!-- --> of <!-- -->18<!-- --> categories");
    expect(await votesOf(user.id)).toHaveLength(1);
  });

  it("answers 100 concurrent identical votes with one row and 99 friendly answers", async () => {
    const { user, client } = await voter();
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        client.post("/vote", { project: String(nominee.id) }, { Accept: "application/json" }),
      ),
    );
    const bodies = await Promise.all(
      responses.map((r) => r.json() as Promise<{ ok: boolean; created?: boolean; message?: string }>),
    );
    // One created; the others are told the vote is already recorded (200) or, past the per-account limit of
    // 60 votes a minute, to wait (429 with a message) — never a 5xx.
    expect(bodies.filter((b) => b.created === true)).toHaveLength(1);
    expect(responses.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const repeats = responses.filter((r, i) => r.status === 200 && bodies[i].created === false).length;
    const limited = responses.filter(
      (r, i) => r.status === 429 && /Too many attempts/.test(bodies[i].message ?? ""),
    ).length;
    expect(repeats + limited).toBe(99);
    expect(await votesOf(user.id)).toHaveLength(1);
  });

  it("refuses a second project in the same category, forged ids and other editions' projects; nothing written", async () => {
    const { user, client } = await voter();
    expect((await client.post("/vote", { project: String(nominee.id) })).status).toBe(303);
    const second = await client.post("/vote", { project: String(other.id) });
    expect(second.status).toBe(409);
    expect(await second.text()).toContain("already voted in this category");
    for (const project of [String(foreign.id), "999999", "-1", "abc", "1e9999", "<script>"]) {
      const res = await client.post("/vote", { project });
      expect([400, 403, 404]).toContain(res.status);
      expect(await res.text()).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await votesOf(user.id)).toHaveLength(1);
  });

  it("refuses unverified voters, missing sessions, forged CSRF tokens and cross-site posts", async () => {
    const unverified = await voter(false);
    const res = await unverified.client.post("/vote", { project: String(nominee.id) });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("confirm your email");

    const anonymous = new Client(app.url);
    const anon = await anonymous.post("/vote", { project: String(nominee.id) });
    expect(anon.status).toBe(303);
    expect(anon.headers.get("Location")).toContain("/login?redirectTo=");

    const { user, client } = await voter();
    expect((await client.post("/vote", { project: String(nominee.id), _csrf: "forged.token" })).status).toBe(
      403,
    );
    const crossSite = await client.post(
      "/vote",
      { project: String(nominee.id) },
      { Origin: "https://evil.example" },
    );
    expect(crossSite.status).toBe(403);
    const fetchSite = await client.post(
      "/vote",
      { project: String(nominee.id) },
      { "Sec-Fetch-Site": "cross-site" },
    );
    expect(fetchSite.status).toBe(403);
    expect(await votesOf(user.id)).toHaveLength(0);
    expect(await votesOf(unverified.user.id)).toHaveLength(0);
  });

  it("takes the voter's address from the socket: a spoofed X-Forwarded-For changes nothing (TRUST_PROXY=0)", async () => {
    const { user, client } = await voter();
    const res = await client.post(
      "/vote",
      { project: String(nominee.id) },
      { "X-Forwarded-For": "198.51.100.7, 203.0.113.50" },
    );
    expect(res.status).toBe(303);
    const [row] = await votesOf(user.id);
    expect(row.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it("refuses bodies too large or not a form with a readable 4xx, and sends the security headers", async () => {
    const { user, client } = await voter();
    const big = await client.post("/vote", { project: String(nominee.id), back: "/".repeat(5000) });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain("too large");
    const json = await client.post(
      "/vote",
      { project: String(nominee.id) },
      { "Content-Type": "application/json" },
    );
    expect(json.status).toBe(400);
    expect(await json.text()).toContain("could not be understood");
    for (const res of [big, json]) {
      expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    }
    expect(await votesOf(user.id)).toHaveLength(0);
  });

  it("rate-limits votes per account with a 429, Retry-After and a readable page", async () => {
    const { client } = await voter();
    let limited: Response | undefined;
    for (let i = 0; i < 70 && !limited; i++) {
      const res = await client.post("/vote", { project: String(nominee.id) });
      if (res.status === 429) limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await limited?.text()).toContain("Too many attempts");
  });
});
