import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { castVote } from "../../app/domain/voting.server";
import { advanceLiveCounts, liveLeaderboard, recordTally } from "../../app/domain/tally.server";
import { invalidateVoter, invalidateVotes, projectVoteValidity } from "../../app/domain/invalidation.server";
import { makeEdition, makeProject, makeUser, categoryId } from "../fixtures/contest";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";

describe.each(DIALECTS)("voting rules on %s", (dialect) => {
  let t: TestDb;
  const now = new Date("2031-03-10T12:00:00.000Z");
  // Live counts take rows older than a short grace period (PostgreSQL commit order): advance a second later.
  const later = new Date(now.getTime() + 1000);
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  async function voteAs(
    user: Awaited<ReturnType<typeof makeUser>>,
    projectId: number,
    at = now,
    roles = ["voter" as const],
  ) {
    return castVote(t.db, { voter: user, roles, projectId, ip: "203.0.113.9" }, at);
  }

  it("records one vote per voter per category and reports progress", async () => {
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const a = await makeProject(t.db, { editionId: edition.id, categoryCode: "C1" });
    const b = await makeProject(t.db, { editionId: edition.id, categoryCode: "C1" });
    const c = await makeProject(t.db, { editionId: edition.id, categoryCode: "C2" });
    const voter = await makeUser(t.db);
    const first = await voteAs(voter, a.id);
    expect(first).toMatchObject({ ok: true, created: true, votedCategories: 1, categoryCode: "C1" });
    const again = await voteAs(voter, a.id);
    expect(again).toMatchObject({ ok: true, created: false, votedCategories: 1 });
    const other = await voteAs(voter, b.id);
    expect(other).toMatchObject({ ok: false, status: 409, refusal: "already_voted" });
    expect(await voteAs(voter, c.id)).toMatchObject({ ok: true, votedCategories: 2 });
    const rows = await t.db.selectFrom("votes").selectAll().where("voter_id", "=", voter.id).execute();
    expect(rows.map((r) => r.project_id).sort()).toEqual([a.id, c.id].sort());
    expect(rows[0].network).toBe("203.0.113.0/24");
  });

  it("opens at the opening instant and refuses at the closing instant", async () => {
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const p = await makeProject(t.db, { editionId: edition.id });
    const opens = new Date(edition.voting_opens_at);
    const closes = new Date(edition.voting_closes_at);
    const u1 = await makeUser(t.db);
    expect(await voteAs(u1, p.id, new Date(opens.getTime() - 1))).toMatchObject({
      ok: false,
      refusal: "window_closed",
      status: 403,
      message: expect.stringMatching(/^Voting opens on .* \(Europe\/Zurich\)\.$/),
    });
    expect(await voteAs(u1, p.id, opens)).toMatchObject({ ok: true });
    const u2 = await makeUser(t.db);
    expect(await voteAs(u2, p.id, new Date(closes.getTime() - 1))).toMatchObject({ ok: true });
    const u3 = await makeUser(t.db);
    expect(await voteAs(u3, p.id, closes)).toMatchObject({
      ok: false,
      refusal: "window_closed",
      message: expect.stringMatching(/^Voting closed on .* \(Europe\/Zurich\)\.$/),
    });
    expect(await t.db.selectFrom("votes").select("id").where("voter_id", "=", u3.id).execute()).toHaveLength(
      0,
    );
  });

  it("refuses unverified voters, accounts without the voter role, and anything but a published nominee", async () => {
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const unpublished = await makeEdition(t.db, { phase: "voting", now, published: false });
    const nominee = await makeProject(t.db, { editionId: edition.id });
    const rejected = await makeProject(t.db, { editionId: edition.id, decision: "reject" });
    const undecided = await makeProject(t.db, { editionId: edition.id, decision: null });
    const hidden = await makeProject(t.db, { editionId: unpublished.id });
    const unverified = await makeUser(t.db, { verified: false });
    expect(await voteAs(unverified, nominee.id)).toMatchObject({ ok: false, refusal: "not_verified" });
    const submitter = await makeUser(t.db, { roles: ["submitter"] });
    expect(
      await castVote(
        t.db,
        { voter: submitter, roles: ["submitter"], projectId: nominee.id, ip: "1.2.3.4" },
        now,
      ),
    ).toMatchObject({
      ok: false,
      refusal: "not_voter",
    });
    const voter = await makeUser(t.db);
    for (const p of [rejected, undecided, hidden]) {
      expect(await voteAs(voter, p.id)).toMatchObject({ ok: false, status: 404, refusal: "not_nominee" });
    }
    expect(await voteAs(voter, 987654321)).toMatchObject({ ok: false, status: 404 });
    expect(
      await t.db
        .selectFrom("votes")
        .select("id")
        .where("voter_id", "in", [voter.id, unverified.id, submitter.id])
        .execute(),
    ).toHaveLength(0);
  });

  it("keeps exactly one row when 100 identical votes arrive at once", async () => {
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const p = await makeProject(t.db, { editionId: edition.id });
    const voter = await makeUser(t.db);
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => voteAs(voter, p.id)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(outcomes.filter((o) => o.ok && o.created)).toHaveLength(1);
    expect(
      await t.db.selectFrom("votes").select("id").where("voter_id", "=", voter.id).execute(),
    ).toHaveLength(1);
  });

  it("writes votes arriving together in one group: one winner per voter and category, a bad row fails alone", async () => {
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const a = await makeProject(t.db, { editionId: edition.id, categoryCode: "C3" });
    const b = await makeProject(t.db, { editionId: edition.id, categoryCode: "C3" });
    const torn = await makeUser(t.db);
    const others = await Promise.all(Array.from({ length: 20 }, () => makeUser(t.db)));
    const ghost = { id: 2 ** 30, email_verified_at: now.toISOString() };
    const [first, second, ...rest] = await Promise.allSettled([
      voteAs(torn, a.id),
      voteAs(torn, b.id),
      castVote(t.db, { voter: ghost, roles: ["voter"], projectId: a.id, ip: "203.0.113.9" }, now),
      ...others.map((o, i) => voteAs(o, i % 2 ? a.id : b.id)),
    ]);
    // Same voter, same category, two projects at once: one is written, the other refused. On SQLite both are
    // in one group and the first wins; on PostgreSQL the nominee checks return in any order, so either may.
    const outcomes = [first, second].map((r) => (r.status === "fulfilled" ? r.value : r.reason));
    const won = outcomes.findIndex((o) => o.ok && o.created);
    expect(won).toBeGreaterThanOrEqual(0);
    expect(outcomes[1 - won]).toMatchObject({ ok: false, status: 409, refusal: "already_voted" });
    if (dialect === "sqlite") expect(won).toBe(0);
    // A voter row that does not exist breaks the group's INSERT; it is retried alone and fails alone.
    expect(rest[0].status).toBe("rejected");
    expect(rest.slice(1).every((r) => r.status === "fulfilled" && r.value.ok && r.value.created)).toBe(true);
    const rows = await t.db
      .selectFrom("votes")
      .select(["voter_id", "project_id"])
      .where("edition_id", "=", edition.id)
      .execute();
    expect(rows).toHaveLength(21);
    expect(rows.find((r) => r.voter_id === torn.id)?.project_id).toBe([a.id, b.id][won]);
  });

  it("tallies valid votes only: champions are the top five, ties at fifth place included and flagged", async () => {
    const edition = await makeEdition(t.db, { phase: "voting", now });
    // Seven nominees in C3 with votes 9, 8, 7, 6, 5, 5, 1; and an invalidation that changes the champions.
    const counts = [9, 8, 7, 6, 5, 5, 1];
    const projects: Awaited<ReturnType<typeof makeProject>>[] = [];
    for (const n of counts) {
      const p = await makeProject(t.db, { editionId: edition.id, categoryCode: "C3" });
      projects.push(p);
      for (let i = 0; i < n; i++)
        expect(await voteAs(await makeUser(t.db), p.id)).toMatchObject({ ok: true });
    }
    await advanceLiveCounts(t.db, edition.id, later);
    const board = await liveLeaderboard(t.db, edition.id, await categoryId(t.db, "C3"));
    expect(board.map((r) => r.valid)).toEqual([9, 8, 7, 6, 5, 5, 1]);

    const first = await recordTally(
      t.db,
      { editionId: edition.id, trigger: "close", requestedBy: null },
      now,
    );
    expect(first).toMatchObject({ created: true, votesCounted: 41, validVotes: 41, champions: 6, ties: 2 });
    const again = await recordTally(
      t.db,
      { editionId: edition.id, trigger: "close", requestedBy: null },
      now,
    );
    expect(again).toMatchObject({ created: false, runId: first.runId, champions: 6 });

    // Invalidate two votes of the fifth project: the tie disappears, five champions remain.
    const fifth = await t.db
      .selectFrom("votes")
      .select("id")
      .where("project_id", "=", projects[4].id)
      .limit(2)
      .execute();
    const organiser = await makeUser(t.db, { roles: ["organiser"] });
    expect(
      await invalidateVotes(
        t.db,
        {
          editionId: edition.id,
          voteIds: fifth.map((v) => v.id),
          reason: "same IP",
          actorUserId: organiser.id,
        },
        now,
      ),
    ).toEqual({ ok: true, invalidated: 2 });
    // Appended, never deleted; invalidating again changes nothing.
    expect(
      await invalidateVotes(
        t.db,
        {
          editionId: edition.id,
          voteIds: fifth.map((v) => v.id),
          reason: "again",
          actorUserId: organiser.id,
        },
        now,
      ),
    ).toEqual({ ok: true, invalidated: 0 });
    expect(await projectVoteValidity(t.db, projects[4].id)).toEqual({
      cast: 5,
      valid: 3,
      reasons: [{ reason: "same IP", votes: 2 }],
    });
    await advanceLiveCounts(t.db, edition.id, later);
    const after = await liveLeaderboard(t.db, edition.id, await categoryId(t.db, "C3"));
    expect(after.find((r) => r.id === projects[4].id)).toMatchObject({ cast: 5, valid: 3 });

    const rerun = await recordTally(
      t.db,
      { editionId: edition.id, trigger: "rerun", requestedBy: organiser.id },
      now,
    );
    expect(rerun).toMatchObject({ created: true, votesCounted: 41, validVotes: 39, champions: 5, ties: 0 });
    const champions = await t.db
      .selectFrom("tally_results")
      .select("project_id")
      .where("run_id", "=", rerun.runId)
      .where("champion", "=", 1)
      .execute();
    expect(champions.map((c) => c.project_id).sort()).toEqual(
      [0, 1, 2, 3, 5].map((i) => projects[i].id).sort(),
    );
    const audits = await t.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "votes.invalidate")
      .execute();
    expect(audits.length).toBeGreaterThanOrEqual(1);
  });

  it("invalidates all votes of a voter, and refuses once selection has started", async () => {
    const edition = await makeEdition(t.db, { phase: "voting", now });
    const p1 = await makeProject(t.db, { editionId: edition.id, categoryCode: "C1" });
    const p2 = await makeProject(t.db, { editionId: edition.id, categoryCode: "C2" });
    const voter = await makeUser(t.db);
    await voteAs(voter, p1.id);
    await voteAs(voter, p2.id);
    const organiser = await makeUser(t.db, { roles: ["organiser"] });
    expect(
      await invalidateVoter(
        t.db,
        { editionId: edition.id, voterId: voter.id, reason: "bot", actorUserId: organiser.id },
        now,
      ),
    ).toEqual({
      ok: true,
      invalidated: 2,
    });
    const late = new Date(edition.selection_opens_at);
    const other = await makeUser(t.db);
    await voteAs(other, p1.id);
    expect(
      await invalidateVoter(
        t.db,
        { editionId: edition.id, voterId: other.id, reason: "bot", actorUserId: organiser.id },
        late,
      ),
    ).toMatchObject({
      ok: false,
    });
    expect(
      await t.db.selectFrom("votes").select("id").where("voter_id", "=", voter.id).execute(),
    ).toHaveLength(2);
  });
});
