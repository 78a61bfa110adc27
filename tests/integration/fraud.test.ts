import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FRAUD_RULES, burstThreshold, FRAUD_WINDOW_MS, type FraudKind } from "../../app/domain/fraud-flags";
import { refreshFraudFlags, votesOfFlag } from "../../app/domain/fraud.server";
import { invalidateFlag } from "../../app/domain/invalidation.server";
import { networkOf } from "../../app/domain/network";
import { makeEdition, makeProject, makeUser } from "../fixtures/contest";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";

/** A unique address without digits, dots or dashes: never a look-alike of another. */
function plainEmail(): string {
  const letters = [...randomBytes(10)].map((b) => String.fromCharCode(97 + (b % 26))).join("");
  return `${letters}@example.org`;
}

describe.each(DIALECTS)("fraud flags on %s", (dialect) => {
  let t: TestDb;
  const now = new Date("2031-03-10T12:00:00.000Z");
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  interface Ballot {
    at: Date;
    ip?: string;
    email?: string;
    accountCreatedAt?: Date;
  }

  /** `count` votes for one project, each from a new voter described by `ballot(i)`; returns the vote ids. */
  async function votes(
    project: { id: number; edition_id: number; category_id: number },
    count: number,
    ballot: (i: number) => Ballot,
  ): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const b = ballot(i);
      const voter = await makeUser(t.db, {
        email: b.email ?? plainEmail(),
        createdAt: b.accountCreatedAt ?? new Date("2031-01-01T00:00:00.000Z"),
      });
      const ip = b.ip ?? `198.51.${i % 200}.${1 + (i % 250)}`;
      const row = await t.db
        .insertInto("votes")
        .values({
          edition_id: project.edition_id,
          category_id: project.category_id,
          project_id: project.id,
          voter_id: voter.id,
          ip,
          network: networkOf(ip),
          created_at: b.at.toISOString(),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      ids.push(row.id);
    }
    return ids;
  }

  async function contest(projects: number) {
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const list = [];
    for (let i = 0; i < projects; i++) list.push(await makeProject(t.db, { editionId: edition.id }));
    return { edition, projects: list };
  }

  async function flagsOf(editionId: number) {
    const rows = await t.db
      .selectFrom("fraud_flags")
      .selectAll()
      .where("edition_id", "=", editionId)
      .orderBy("id")
      .execute();
    return rows.map((r) => ({ ...r, evidence: JSON.parse(r.evidence_json) as Record<string, unknown> }));
  }

  /** Refreshes the flags at `now` and checks that exactly one flag of `kind` exists, on `projectId`. */
  async function onlyFlag(editionId: number, kind: FraudKind, projectId: number) {
    await refreshFraudFlags(t.db, editionId, now);
    const flags = await flagsOf(editionId);
    expect(flags.map((f) => `${f.kind}:${f.project_id}`)).toEqual([`${kind}:${projectId}`]);
    return flags[0];
  }

  it("finds nothing in ordinary voting", async () => {
    const { edition, projects } = await contest(3);
    for (const [n, p] of projects.entries()) await votes(p, 30, (i) => ({ at: minutesAgo(50 - i - n / 3) }));
    expect(await refreshFraudFlags(t.db, edition.id, now)).toBe(0);
    expect(await flagsOf(edition.id)).toEqual([]);
  });

  it("flags many votes for one project from one IP at the threshold, not below, with the evidence", async () => {
    const { edition, projects } = await contest(2);
    const [below, at] = projects;
    await votes(below, FRAUD_RULES.sameIp - 1, (i) => ({ at: minutesAgo(40 - i), ip: "203.0.113.5" }));
    const ids = await votes(at, FRAUD_RULES.sameIp, (i) => ({ at: minutesAgo(40 - i), ip: "203.0.113.5" }));
    const flag = await onlyFlag(edition.id, "same_ip", at.id);
    expect(flag).toMatchObject({
      subject: `project:${at.id}|ip:203.0.113.5`,
      vote_count: FRAUD_RULES.sameIp,
      status: "open",
    });
    expect(flag.evidence).toEqual({
      votes: FRAUD_RULES.sameIp,
      first: minutesAgo(40).toISOString(),
      last: minutesAgo(41 - FRAUD_RULES.sameIp).toISOString(),
      ip: "203.0.113.5",
      key: `${at.id}|203.0.113.5`,
      sampleVoteIds: ids,
    });
  });

  it("flags many votes for one project from one network, counting its addresses", async () => {
    const { edition, projects } = await contest(2);
    const [below, at] = projects;
    await votes(below, FRAUD_RULES.sameNetwork - 1, (i) => ({
      at: minutesAgo(50 - i / 2),
      ip: `192.0.2.${i}`,
    }));
    await votes(at, FRAUD_RULES.sameNetwork, (i) => ({
      at: minutesAgo(50 - i / 2),
      ip: `192.0.2.${i % 10}`,
    }));
    const flag = await onlyFlag(edition.id, "same_network", at.id);
    expect(flag.subject).toBe(`project:${at.id}|net:192.0.2.0/24`);
    expect(flag.evidence).toMatchObject({
      votes: FRAUD_RULES.sameNetwork,
      network: "192.0.2.0/24",
      distinctIps: 10,
    });
  });

  it("flags a burst of votes from accounts created less than ten minutes before, per project and hour", async () => {
    const { edition, projects } = await contest(3);
    const [below, at, old] = projects;
    const fresh = (i: number): Ballot => {
      const cast = new Date(Date.parse("2031-03-10T11:10:00.000Z") + i * 1000);
      return { at: cast, accountCreatedAt: new Date(cast.getTime() - FRAUD_RULES.freshMinutes * 60_000 + 1) };
    };
    await votes(below, FRAUD_RULES.freshBurst - 1, fresh);
    await votes(at, FRAUD_RULES.freshBurst, fresh);
    // Exactly ten minutes between sign-up and vote is not fresh any more.
    await votes(old, FRAUD_RULES.freshBurst, (i) => ({
      ...fresh(i),
      accountCreatedAt: new Date(fresh(i).at.getTime() - FRAUD_RULES.freshMinutes * 60_000),
    }));
    const flag = await onlyFlag(edition.id, "fresh_accounts", at.id);
    expect(flag.subject).toBe(`project:${at.id}|hour:2031-03-10T11`);
    expect(flag.evidence).toMatchObject({
      votes: FRAUD_RULES.freshBurst,
      first: "2031-03-10T11:10:00.000Z",
      last: "2031-03-10T11:10:19.000Z",
      hour: "2031-03-10T11:00Z",
      freshMinutes: FRAUD_RULES.freshMinutes,
    });
  });

  it("flags many votes for one project within the same second", async () => {
    const { edition, projects } = await contest(2);
    const [below, at] = projects;
    const inSecond = (i: number) => ({ at: new Date(Date.parse("2031-03-10T11:30:07.000Z") + i * 90) });
    await votes(below, FRAUD_RULES.sameSecond - 1, inSecond);
    await votes(at, FRAUD_RULES.sameSecond, inSecond);
    const flag = await onlyFlag(edition.id, "same_second", at.id);
    expect(flag.subject).toBe(`project:${at.id}|second:2031-03-10T11:30:07`);
    expect(flag.evidence).toMatchObject({
      votes: FRAUD_RULES.sameSecond,
      first: "2031-03-10T11:30:07.000Z",
      last: "2031-03-10T11:30:07.810Z",
      second: "2031-03-10T11:30:07Z",
    });
  });

  it("measures same-second bursts against the project's own pace: a busy project needs a real spike", async () => {
    const { edition, projects } = await contest(2);
    const [busy, spiked] = projects;
    // Both projects get 12 votes every second for 40 seconds: each second is over the fixed threshold of 10,
    // yet ordinary for a popular project at the peak (8 votes a second over the last minute).
    const steady = (i: number) => ({
      at: new Date(Date.parse("2031-03-10T11:59:00.000Z") + Math.floor(i / 12) * 1000 + (i % 12) * 10),
    });
    await votes(busy, 480, steady);
    await votes(spiked, 480, steady);
    // 40 more votes for `spiked` in one of those seconds: 52 where its pace (520 a minute) explains 8.7.
    await votes(spiked, 40, (i) => ({ at: new Date(Date.parse("2031-03-10T11:59:20.500Z") + i * 10) }));
    expect(burstThreshold(FRAUD_RULES.sameSecond, 480 / 60)).toBe(31);
    expect(burstThreshold(FRAUD_RULES.sameSecond, 520 / 60)).toBe(33);
    expect(burstThreshold(FRAUD_RULES.sameSecond, 0.01)).toBe(FRAUD_RULES.sameSecond);
    await refreshFraudFlags(t.db, edition.id, now);
    const seconds = (await flagsOf(edition.id)).filter((f) => f.kind === "same_second");
    expect(seconds.map((f) => [f.subject, f.vote_count])).toEqual([
      [`project:${spiked.id}|second:2031-03-10T11:59:20`, 52],
    ]);
  });

  it("flags votes from disposable addresses", async () => {
    const { edition, projects } = await contest(2);
    const [below, at] = projects;
    await votes(below, FRAUD_RULES.disposable - 1, (i) => ({
      at: minutesAgo(30 - i),
      email: `b${i}@mailinator.com`,
    }));
    await votes(at, FRAUD_RULES.disposable, (i) => ({
      at: minutesAgo(30 - i),
      email: `a${i}@${i % 2 ? "mailinator.com" : "yopmail.com"}`,
    }));
    const flag = await onlyFlag(edition.id, "disposable_email", at.id);
    expect(flag.subject).toBe(`project:${at.id}|disposable`);
    expect(flag.evidence).toMatchObject({
      votes: FRAUD_RULES.disposable,
      domains: ["mailinator.com", "yopmail.com"],
    });
  });

  it("flags votes from look-alike addresses (same domain, same letters once digits are removed)", async () => {
    const { edition, projects } = await contest(2);
    const [below, at] = projects;
    await votes(below, FRAUD_RULES.lookalike - 1, (i) => ({
      at: minutesAgo(20 - i),
      email: `janedoe${i + 1}@example.net`,
    }));
    await votes(at, FRAUD_RULES.lookalike, (i) => ({
      at: minutesAgo(20 - i),
      email: `john.smith${i + 1}@example.net`,
    }));
    const flag = await onlyFlag(edition.id, "lookalike_email", at.id);
    expect(flag.subject).toBe(`project:${at.id}|like:johnsmith@example.net`);
    expect(flag.evidence).toMatchObject({ votes: FRAUD_RULES.lookalike, pattern: "johnsmith…@example.net" });
  });

  it("reads only the last hour, keeps the largest evidence, and invalidates a flag's whole cluster", async () => {
    const { edition, projects } = await contest(2);
    const [p, other] = projects;
    const ip = "203.0.113.77";
    // An old burst, outside the window: alone it is not flagged.
    const outside = FRAUD_WINDOW_MS / 60_000 + 1;
    const old = await votes(p, FRAUD_RULES.sameIp, (i) => ({ at: minutesAgo(outside + i), ip }));
    expect(await refreshFraudFlags(t.db, edition.id, now)).toBe(0);
    const recent = await votes(p, FRAUD_RULES.sameIp + 2, (i) => ({ at: minutesAgo(30 - i), ip }));
    const elsewhere = await votes(other, 3, (i) => ({ at: minutesAgo(30 - i), ip }));
    const flag = await onlyFlag(edition.id, "same_ip", p.id);
    expect(flag.vote_count).toBe(FRAUD_RULES.sameIp + 2);

    // 31 minutes later the window holds one vote less: the flag keeps the evidence of its largest window.
    await refreshFraudFlags(t.db, edition.id, new Date(now.getTime() + 31 * 60_000));
    expect((await flagsOf(edition.id))[0]).toMatchObject({ id: flag.id, vote_count: FRAUD_RULES.sameIp + 2 });

    // The cluster is every vote of the edition for that project from that address, in or out of the window.
    const cluster = await votesOfFlag(t.db, flag.id);
    expect(cluster).toEqual([...old, ...recent].sort((a, b) => a - b));
    expect(cluster).not.toEqual(expect.arrayContaining(elsewhere));
    const organiser = await makeUser(t.db, { roles: ["organiser"] });
    expect(
      await invalidateFlag(t.db, { flagId: flag.id, reason: "One address", actorUserId: organiser.id }, now),
    ).toEqual({ ok: true, invalidated: cluster.length });
    const invalid = await t.db
      .selectFrom("vote_invalidations")
      .select(["vote_id", "flag_id"])
      .where("flag_id", "=", flag.id)
      .orderBy("vote_id")
      .execute();
    expect(invalid.map((r) => r.vote_id)).toEqual(cluster);
    // The flag stays handled when the job runs again.
    await refreshFraudFlags(t.db, edition.id, now);
    expect((await flagsOf(edition.id))[0]).toMatchObject({ id: flag.id, status: "invalidated" });
  });

  it("gives each kind of flag the votes of its subject only", async () => {
    const { edition, projects } = await contest(2);
    const [p, other] = projects;
    const second = (i: number) => new Date(Date.parse("2031-03-10T11:45:30.000Z") + i * 50);
    const clusters: Record<FraudKind, number[]> = {
      same_ip: await votes(p, FRAUD_RULES.sameIp, (i) => ({ at: minutesAgo(55 - i), ip: "203.0.113.9" })),
      same_network: await votes(p, FRAUD_RULES.sameNetwork, (i) => ({
        at: minutesAgo(55 - i / 2),
        ip: `2001:db8:7:${i}::1`,
      })),
      fresh_accounts: await votes(p, FRAUD_RULES.freshBurst, (i) => ({
        at: minutesAgo(8 - i / 10),
        accountCreatedAt: minutesAgo(10),
      })),
      same_second: await votes(p, FRAUD_RULES.sameSecond, (i) => ({ at: second(i) })),
      disposable_email: await votes(p, FRAUD_RULES.disposable, (i) => ({
        at: minutesAgo(25 - i),
        email: `z${i}@mailinator.com`,
      })),
      lookalike_email: await votes(p, FRAUD_RULES.lookalike, (i) => ({
        at: minutesAgo(24 - i),
        email: `ada_lovelace${i}@example.com`,
      })),
    };
    // The same kinds of votes for another project, fewer than any threshold: never part of p's clusters.
    await votes(other, 4, (i) => ({
      at: second(i),
      ip: "203.0.113.9",
      email: `w${i}@mailinator.com`,
      accountCreatedAt: new Date(second(i).getTime() - 60_000),
    }));
    expect(await refreshFraudFlags(t.db, edition.id, now)).toBe(6);
    for (const flag of await flagsOf(edition.id)) {
      const kind = flag.kind as FraudKind;
      expect({ kind, project: flag.project_id }).toEqual({ kind, project: p.id });
      expect({ kind, votes: await votesOfFlag(t.db, flag.id) }).toEqual({ kind, votes: clusters[kind] });
      expect(flag.evidence.sampleVoteIds).toEqual(clusters[kind].slice(0, 20));
    }
  });
});
