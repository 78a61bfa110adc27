import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { awardEmailKey, deliveryStatus, retryFailed } from "../../app/domain/award-emails.server";
import { jobsFrom } from "../../app/jobs/port.server";
import { publishResults, resultsReadiness } from "../../app/domain/results-publication.server";
import { projectAward, publishedResults } from "../../app/domain/results.server";
import { editionsPublished } from "../../app/domain/editions.server";
import { instanceId } from "../../db/instance";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";
import {
  champion,
  nominee,
  org,
  readyContest,
  resultsEdition,
  tallyRun,
  user,
  winner,
} from "../helpers/results-fixtures";
import { countRows } from "../helpers/db";
import type { Database } from "../../db/schema";

const APP = "https://prizes.example";

describe.each(DIALECTS)("publishing results on %s", (dialect) => {
  let t: TestDb;
  let jobs: Array<{ outboxId: number; jobId: string }>;
  const dispatch = jobsFrom(async (_name, data, jobId) => {
    jobs.push({ outboxId: (data as { outboxId: number }).outboxId, jobId });
  });
  const now = new Date("2027-06-01T10:00:00.000Z");

  beforeEach(async () => {
    t = await createTestDb(dialect);
    jobs = [];
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const count = (table: keyof Database) => countRows(t.db, table);
  const publish = (editionId: number, actor: number | null = null, at = now) =>
    publishResults(t.db, { editionId, actorUserId: actor }, at, { jobs: dispatch, appUrl: APP });

  it("refuses before the official tally, and while public voting is open, writing nothing", async () => {
    const voting = await resultsEdition(t.db, { now, phase: "voting" });
    const open = await publish(voting.id);
    expect(open).toMatchObject({ ok: false, status: 409 });
    if (!open.ok) expect(open.message).toMatch(/Public voting is open until/);

    const edition = await resultsEdition(t.db, { now });
    const early = await publish(edition.id);
    expect(early.ok).toBe(false);
    if (!early.ok) {
      expect(early.message).toMatch(/cannot be published yet/);
      expect(early.problems.join(" ")).toMatch(/official tally has not run yet/);
    }
    expect(await publish(999_999)).toMatchObject({ ok: false, status: 404 });
    const row = await t.db
      .selectFrom("editions")
      .select("results_published_at")
      .where("id", "=", edition.id)
      .executeTakeFirstOrThrow();
    expect(row.results_published_at).toBeNull();
    expect(await count("awards")).toBe(0);
    expect(await count("outbox")).toBe(0);
    expect(jobs).toEqual([]);
  });

  it("refuses while a category with champions has no confirmed winner, naming it", async () => {
    const { edition, projects } = await readyContest(t.db, { now, codes: ["C1", "C4", "C9"] });
    await t.db
      .deleteFrom("winners")
      .where("project_id", "=", projects.find((p) => p.code === "C9")?.id ?? 0)
      .execute();
    const readiness = await resultsReadiness(t.db, edition);
    expect(readiness.ready).toBe(false);
    const c9 = readiness.categories.find((c) => c.code === "C9");
    expect(c9?.problems).toEqual(["No winner confirmed yet."]);
    expect(readiness.categories.find((c) => c.code === "C1")?.problems).toEqual([]);
    // Categories without champions are not blocking.
    expect(readiness.categories.find((c) => c.code === "C2")?.problems).toEqual([]);

    const outcome = await publish(edition.id);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problems).toEqual(["C9: No winner confirmed yet."]);
    expect(await count("awards")).toBe(0);
    expect(await count("outbox")).toBe(0);
  });

  it("refuses when a confirmed winner is no longer a champion of the latest tally run", async () => {
    const { edition, projects, winners } = await readyContest(t.db, { now, codes: ["C4"] });
    // A re-run after the confirmation names only the second project.
    const rerun = await tallyRun(t.db, edition.id, "rerun");
    const second = projects.find((p) => !winners.includes(p.id));
    if (!second) throw new Error("fixture");
    await champion(t.db, rerun, second);
    const first = projects.find((p) => p.id === winners[0]);
    const outcome = await publish(edition.id);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.problems).toEqual([
        `C4: “${first?.title}” is confirmed as winner but is not a champion of the latest tally.`,
      ]);
    }
  });

  it("publishes: awards, one email per recipient × project × kind with project and edition, audit, jobs after commit", async () => {
    const organiser = await user(t.db, { roles: ["organiser"] });
    const member = await user(t.db, { email: "Member.One@Example.org", name: "Member One" });
    // The second member is the contact under another spelling: one email, not two.
    const alias = await user(t.db, { email: "contact+prizes@winner.example", name: "Alias" });
    const edition = await resultsEdition(t.db, { now });
    const runId = await tallyRun(t.db, edition.id);
    const winning = await org(t.db, {
      name: "Winning <Org>",
      contactEmail: "Contact@winner.example",
      contactName: "Ada",
      members: [member.id, alias.id],
    });
    const other = await org(t.db, { contactEmail: "other@champion.example", contactName: "Bob" });
    const w = await nominee(t.db, edition.id, "C4", winning.id, `Skills <script>alert(1)</script> & more`);
    const c = await nominee(t.db, edition.id, "C4", other.id, "Second project");
    const loser = await nominee(t.db, edition.id, "C4", (await org(t.db)).id, "Not a champion");
    await champion(t.db, runId, w, { rank: 1 });
    await champion(t.db, runId, c, { rank: 2, tied: true });
    await champion(t.db, runId, loser, { rank: 7, champion: false });
    await winner(t.db, edition.id, w, organiser.id);

    const outcome = await publish(edition.id, organiser.id);
    expect(outcome).toEqual({ ok: true, champions: 2, winners: 1, emails: 5 });

    const published = await t.db
      .selectFrom("editions")
      .select("results_published_at")
      .where("id", "=", edition.id)
      .executeTakeFirstOrThrow();
    expect(published.results_published_at).toBe(now.toISOString());
    const awards = await t.db
      .selectFrom("awards")
      .selectAll()
      .orderBy("project_id")
      .orderBy("kind")
      .execute();
    expect(awards.map((a) => [a.project_id, a.kind, a.edition_id])).toEqual([
      [w.id, "champion", edition.id],
      [w.id, "winner", edition.id],
      [c.id, "champion", edition.id],
    ]);

    const outbox = await t.db.selectFrom("outbox").selectAll().orderBy("id").execute();
    expect(outbox.map((o) => o.idempotency_key).sort()).toEqual(
      [
        awardEmailKey("champion", w.id, "contact@winner.example"),
        awardEmailKey("champion", w.id, "member.one@example.org"),
        awardEmailKey("winner", w.id, "contact@winner.example"),
        awardEmailKey("winner", w.id, "member.one@example.org"),
        awardEmailKey("champion", c.id, "other@champion.example"),
      ].sort(),
    );
    expect(awardEmailKey("winner", w.id, "Contact+x@Winner.example")).toBe(
      `award:winner:${w.id}:contact@winner.example`,
    );
    for (const o of outbox) {
      expect(o.status).toBe("queued");
      expect(o.edition_id).toBe(edition.id);
      expect([w.id, c.id]).toContain(o.project_id);
    }
    // Sent to the address as typed: the contact's, not the alias member's.
    expect(
      outbox
        .filter((o) => o.project_id === w.id)
        .map((o) => o.to_address)
        .sort(),
    ).toEqual([
      "Contact@winner.example",
      "Contact@winner.example",
      "Member.One@Example.org",
      "Member.One@Example.org",
    ]);

    const winnerMail = outbox.find(
      (o) => o.kind === "award_winner" && o.to_address === "Contact@winner.example",
    );
    expect(winnerMail?.subject).toBe(
      `WSIS Prizes ${edition.year} Winner: Skills <script>alert(1)</script> & more`,
    );
    expect(winnerMail?.text).toContain("Hello Ada,");
    expect(winnerMail?.text).toContain("“Skills <script>alert(1)</script> & more”");
    expect(winnerMail?.text).toContain("C4 — Capacity building");
    expect(winnerMail?.text).toContain(`${APP}/projects/${w.id}`);
    expect(winnerMail?.html).toContain("Skills &lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
    expect(winnerMail?.html).toContain("Winning &lt;Org&gt;");
    expect(winnerMail?.html).not.toContain("<script>");
    expect(winnerMail?.html).toContain(`href="${APP}/projects/${w.id}"`);
    const championMail = outbox.find((o) => o.kind === "award_champion" && o.project_id === c.id);
    expect(championMail?.subject).toBe(`WSIS Prizes ${edition.year} Champion: Second project`);
    expect(championMail?.text).toContain("Hello Bob,");
    expect(championMail?.text).toMatch(
      /is a champion of the WSIS Prizes \d+ in the category C4 — Capacity building/,
    );

    const entry = await t.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "results.publish")
      .executeTakeFirstOrThrow();
    expect(entry.actor_user_id).toBe(organiser.id);
    expect(entry.entity_id).toBe(String(edition.id));
    expect(JSON.parse(entry.after_json ?? "null")).toMatchObject({
      champions: 2,
      winners: 1,
      emails: 5,
      tally_run_id: runId,
    });

    const instance = await instanceId(t.db);
    expect(jobs).toEqual(outbox.map((o) => ({ outboxId: o.id, jobId: `email-${instance}-${o.id}` })));
  });

  it("a second press (and a concurrent one) says so and writes and sends nothing more", async () => {
    const { edition } = await readyContest(t.db, { now, codes: ["C1", "C4"], perCategory: 3 });
    const [a, b] = await Promise.all([publish(edition.id), publish(edition.id)]);
    const oks = [a, b].filter((o) => o.ok);
    expect(oks).toHaveLength(1);
    const refused = [a, b].find((o) => !o.ok);
    if (refused && !refused.ok) expect(refused.message).toMatch(/already published/);
    const outboxRows = await count("outbox");
    const awardRows = await count("awards");
    const sentJobs = jobs.length;
    expect(outboxRows).toBe(6 + 2); // six champions, two winners, one contact each
    expect(awardRows).toBe(8);
    expect(sentJobs).toBe(outboxRows);

    const again = await publish(edition.id, null, new Date(now.getTime() + 60_000));
    expect(again.ok).toBe(false);
    if (!again.ok) {
      expect(again.status).toBe(409);
      expect(again.message).toMatch(/were already published on .*Nothing was sent again/);
    }
    expect(await count("outbox")).toBe(outboxRows);
    expect(await count("awards")).toBe(awardRows);
    expect(jobs).toHaveLength(sentJobs);
    expect(
      await t.db.selectFrom("audit_log").select("id").where("action", "=", "results.publish").execute(),
    ).toHaveLength(1);
  });

  it("shows published results per category, winners first, filtered by region and stakeholder type", async () => {
    const edition = await resultsEdition(t.db, { now });
    const runId = await tallyRun(t.db, edition.id);
    const europe = await org(t.db, { region: "europe", stakeholder: "academia", name: "Uni" });
    const africa = await org(t.db, { region: "africa", stakeholder: "government", name: "Ministry" });
    const w = await nominee(t.db, edition.id, "C4", europe.id, "Zeta winner");
    const c1 = await nominee(t.db, edition.id, "C4", africa.id, "Alpha champion");
    const c2 = await nominee(t.db, edition.id, "C9", africa.id, "Media champion");
    for (const p of [w, c1, c2]) await champion(t.db, runId, p);
    await winner(t.db, edition.id, w);
    await winner(t.db, edition.id, c2);

    // Before publication every category is empty.
    const before = await publishedResults(edition.id, {}, t.db);
    expect(before.every((c) => c.winners.length === 0 && c.champions.length === 0)).toBe(true);
    expect(await projectAward(w.id, now, t.db)).toBeNull();

    expect((await publish(edition.id)).ok).toBe(true);
    const all = await publishedResults(edition.id, {}, t.db);
    expect(all).toHaveLength(18);
    const c4 = all.find((c) => c.code === "C4");
    expect(
      c4?.winners.map((e) => [e.title, e.award, e.organisation, e.regionLabel, e.stakeholderLabel]),
    ).toEqual([["Zeta winner", "winner", "Uni", "Europe", "Academia"]]);
    expect(c4?.champions.map((e) => e.title)).toEqual(["Alpha champion"]);
    expect(all.find((c) => c.code === "C9")?.winners.map((e) => e.title)).toEqual(["Media champion"]);

    const inEurope = await publishedResults(edition.id, { region: "europe" }, t.db);
    expect(inEurope.flatMap((c) => [...c.winners, ...c.champions]).map((e) => e.title)).toEqual([
      "Zeta winner",
    ]);
    const government = await publishedResults(edition.id, { stakeholder: "government" }, t.db);
    expect(
      government
        .flatMap((c) => [...c.winners, ...c.champions])
        .map((e) => e.title)
        .sort(),
    ).toEqual(["Alpha champion", "Media champion"]);
    const none = await publishedResults(edition.id, { region: "europe", stakeholder: "government" }, t.db);
    expect(none.every((c) => !c.winners.length && !c.champions.length)).toBe(true);

    expect(await projectAward(w.id, now, t.db)).toEqual({ kind: "winner", year: edition.year });
    expect(await projectAward(c1.id, now, t.db)).toEqual({ kind: "champion", year: edition.year });
    expect(await projectAward(c1.id, new Date(now.getTime() - 1000), t.db)).toBeNull();
    expect(await editionsPublished("results_published_at", now, t.db)).toEqual([
      { year: edition.year, name: edition.name },
    ]);
  });

  it("counts deliveries and retries failed emails once, under fresh job ids", async () => {
    const { edition } = await readyContest(t.db, { now, codes: ["C4"], perCategory: 3 });
    expect((await publish(edition.id)).ok).toBe(true);
    const rows = await t.db.selectFrom("outbox").select(["id"]).orderBy("id").execute();
    expect(rows).toHaveLength(4);
    const [sent, failed, failedAgain] = rows;
    await t.db
      .updateTable("outbox")
      .set({ status: "sent", attempts: 1, sent_at: now.toISOString() })
      .where("id", "=", sent.id)
      .execute();
    await t.db
      .updateTable("outbox")
      .set({ status: "failed", attempts: 1, last_error: "550 5.1.1 Mailbox unavailable" })
      .where("id", "=", failed.id)
      .execute();
    await t.db
      .updateTable("outbox")
      .set({ status: "failed", attempts: 10, last_error: "connect ECONNREFUSED 127.0.0.1:25" })
      .where("id", "=", failedAgain.id)
      .execute();
    // Another edition's and another kind's failures are not counted.
    await t.db
      .insertInto("outbox")
      .values({
        idempotency_key: "verify:x",
        kind: "verify_email",
        to_address: "x@example.org",
        subject: "s",
        html: "h",
        text: "t",
        status: "failed",
        attempts: 1,
        last_error: "550",
        created_at: now.toISOString(),
        sent_at: null,
        project_id: null,
        edition_id: null,
      })
      .execute();

    const status = await deliveryStatus(t.db, edition.id);
    expect(status).toMatchObject({ queued: 1, sent: 1, failed: 2, total: 4 });
    expect(status.failures.map((f) => [f.id, f.attempts, f.lastError])).toEqual([
      [failed.id, 1, "550 5.1.1 Mailbox unavailable"],
      [failedAgain.id, 10, "connect ECONNREFUSED 127.0.0.1:25"],
    ]);
    expect(status.failures[0].projectTitle).toMatch(/^Project /);

    jobs = [];
    const organiser = await user(t.db, { roles: ["organiser"] });
    expect(
      await retryFailed(t.db, { editionId: edition.id, actorUserId: organiser.id }, now, { jobs: dispatch }),
    ).toEqual({ retried: 2 });
    const instance = await instanceId(t.db);
    expect(jobs).toEqual([
      { outboxId: failed.id, jobId: `email-${instance}-${failed.id}-r1` },
      { outboxId: failedAgain.id, jobId: `email-${instance}-${failedAgain.id}-r10` },
    ]);
    expect(await deliveryStatus(t.db, edition.id)).toMatchObject({
      queued: 3,
      sent: 1,
      failed: 0,
      failures: [],
    });
    const entry = await t.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "results.retry_failed")
      .executeTakeFirstOrThrow();
    expect(entry.actor_user_id).toBe(organiser.id);
    expect(JSON.parse(entry.after_json ?? "null")).toEqual({ outbox_ids: [failed.id, failedAgain.id] });

    // Nothing failed any more: a second click changes nothing.
    jobs = [];
    expect(
      await retryFailed(t.db, { editionId: edition.id, actorUserId: organiser.id }, now, { jobs: dispatch }),
    ).toEqual({ retried: 0 });
    expect(jobs).toEqual([]);
  });
});
