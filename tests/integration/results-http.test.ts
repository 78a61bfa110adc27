import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Project } from "../../db/schema";
import { uniqueYear } from "../fixtures/contest";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { parseCsv } from "../helpers/csv";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { champion, nominee, org, resultsEdition, tallyRun, user, winner } from "../helpers/results-fixtures";
import { signInDirectly } from "../helpers/session";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";

/** Page text without the <!-- --> markers React puts between adjacent text nodes. */
const read = async (res: Response) => (await res.text()).replaceAll("<!-- -->", "");

const FORMULA_TITLE = `=HYPERLINK("http://evil.example","click")`;
const XSS_TITLE = `<script>alert("x")</script> Learning`;

describe.each(DIALECTS)("results over HTTP (%s)", (dialect) => {
  let t: TestDb;
  let app: RunningApp;
  let smtp: SmtpReceiver;
  let year: number;
  let editionId: number;
  const users: Record<"organiser" | "voter" | "submitter", number> = { organiser: 0, voter: 0, submitter: 0 };
  let p: Record<"winner" | "formula" | "government" | "media" | "nominee", Project>;

  async function as(key: keyof typeof users): Promise<Client> {
    const client = new Client(app.url);
    await signInDirectly(t.db, client, users[key]);
    return client;
  }
  const published = async () =>
    (
      await t.db
        .selectFrom("editions")
        .select("results_published_at")
        .where("id", "=", editionId)
        .executeTakeFirstOrThrow()
    ).results_published_at;
  const outboxCount = async () =>
    Number(
      (
        await t.db
          .selectFrom("outbox")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await createTestDb(dialect);
    smtp = await startSmtp();
    app = await startApp({ databaseUrl: t.url, smtpUrl: smtp.url });
    users.organiser = (await user(t.db, { roles: ["organiser"], name: "Olga Organiser" })).id;
    users.voter = (await user(t.db, { roles: ["voter"] })).id;
    users.submitter = (await user(t.db, { roles: ["submitter"] })).id;
    // An edition in its selection phase: currentEdition() in the app picks it.
    year = uniqueYear();
    const edition = await resultsEdition(t.db, { now: new Date(), year });
    editionId = edition.id;
    const runId = await tallyRun(t.db, editionId);
    const uni = await org(t.db, {
      name: "Uni of Europe",
      region: "europe",
      stakeholder: "academia",
      contactEmail: "uni@results.example",
    });
    const ministry = await org(t.db, {
      name: "Ministry",
      region: "africa",
      stakeholder: "government",
      contactEmail: "ministry@results.example",
    });
    const ngo = await org(t.db, {
      name: "NGO",
      region: "asia_pacific",
      stakeholder: "civil_society",
      contactEmail: "ngo@results.example",
    });
    p = {
      winner: await nominee(t.db, editionId, "C4", uni.id, XSS_TITLE),
      government: await nominee(t.db, editionId, "C4", ministry.id, "Government capacity"),
      formula: await nominee(t.db, editionId, "C4", ngo.id, FORMULA_TITLE),
      media: await nominee(t.db, editionId, "C9", ministry.id, "Media literacy"),
      nominee: await nominee(t.db, editionId, "C9", ngo.id, "Not a champion"),
    };
    await champion(t.db, runId, p.winner, { rank: 1 });
    await champion(t.db, runId, p.government, { rank: 2 });
    await champion(t.db, runId, p.formula, { rank: 3, tied: true });
    await champion(t.db, runId, p.media, { rank: 1 });
    await champion(t.db, runId, p.nominee, { rank: 6, champion: false });
    await winner(t.db, editionId, p.winner, users.organiser);
    // C9 has a champion but no winner yet: not ready.
  });

  afterAll(async () => {
    await app?.stop();
    await smtp?.stop();
    await t?.cleanup();
  });

  it("before publication: the page says when results come, downloads and badges do not exist", async () => {
    const anon = new Client(app.url);
    const page = await anon.get("/results");
    expect(page.status).toBe(200);
    const html = await read(page);
    expect(html).toContain(`Results of the WSIS Prizes ${year}`);
    expect(html).toMatch(/Results will be published on \d{1,2} \w{3} \d{4}, \d\d:\d\d \(Europe\/Zurich\)/);
    expect(html).not.toContain(XSS_TITLE);
    expect((await anon.get(`/results?edition=${year}`)).status).toBe(200);
    expect((await anon.get("/results?edition=1999")).status).toBe(404);
    for (const path of [`/results.json?edition=${year}`, `/results.csv?edition=${year}`, "/results.json"]) {
      const res = await anon.get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toContain("have not been published yet");
    }
    const project = await read(await anon.get(`/projects/${p.winner.id}`));
    expect(project).not.toContain(`WSIS Prizes ${year} Winner`);
  });

  it("the organisers' page is for organisers only; others cannot publish", async () => {
    const anon = new Client(app.url);
    const res = await anon.get("/admin/results");
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(`/login?redirectTo=${encodeURIComponent("/admin/results")}`);
    expect(
      (await anon.post("/admin/results", { intent: "publish", editionId: String(editionId) })).status,
    ).toBe(302);
    for (const key of ["voter", "submitter"] as const) {
      const client = await as(key);
      expect((await client.get("/admin/results")).status, key).toBe(403);
      expect(
        (await client.post("/admin/results", { intent: "publish", editionId: String(editionId) })).status,
        key,
      ).toBe(403);
      expect(
        (await client.post("/admin/results", { intent: "retry", editionId: String(editionId) })).status,
        key,
      ).toBe(403);
    }
    expect(await published()).toBeNull();
    expect(await outboxCount()).toBe(0);
  });

  it("shows the readiness checklist and refuses to publish while a category has no winner", async () => {
    const organiser = await as("organiser");
    const page = await read(await organiser.get(`/admin/results?edition=${year}`));
    expect(page).toContain("Readiness per category");
    expect(page).toContain("C9: No winner confirmed yet.");
    expect(page).toContain("1 tied at fifth place, all included");
    expect(page).not.toContain("Publish the results now");
    expect(page).not.toContain('http-equiv="refresh"');

    const refused = await organiser.post("/admin/results", {
      intent: "publish",
      editionId: String(editionId),
    });
    expect(refused.status).toBe(409);
    const body = await read(refused);
    expect(body).toContain("The results cannot be published yet:");
    expect(body).toContain("C9: No winner confirmed yet.");
    const bad = await organiser.post("/admin/results", { intent: "publish", editionId: "abc" });
    expect(bad.status).toBe(400);
    expect(await read(bad)).toContain("The form could not be read");
    expect(await published()).toBeNull();
    expect(await outboxCount()).toBe(0);
  });

  it("publishes through the confirmation form; emails go out once; a second press changes nothing", async () => {
    await winner(t.db, editionId, p.media, users.organiser);
    const organiser = await as("organiser");
    const ready = await read(await organiser.get(`/admin/results?edition=${year}`));
    expect(ready).toContain("Every category is ready.");
    expect(ready).toContain(`/admin/results?edition=${year}&amp;step=confirm#publish`);
    const confirm = await read(await organiser.get(`/admin/results?edition=${year}&step=confirm`));
    expect(confirm).toContain("Confirm publication");
    expect(confirm).toContain("Publish the results now");

    const res = await organiser.post("/admin/results", { intent: "publish", editionId: String(editionId) });
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(`/admin/results?edition=${year}&published=1#delivery`);
    expect(await published()).not.toBeNull();
    // Champions: 4 (C4 ×3, C9 ×1); winners: 2; one contact each.
    expect(await outboxCount()).toBe(6);

    await vi.waitFor(() => expect(smtp.messages.length).toBe(6), { timeout: 30_000, interval: 100 });
    const subjects = smtp.messages.map((m) => `${m.to[0]} ${m.subject}`).sort();
    expect(subjects).toEqual(
      [
        `ministry@results.example WSIS Prizes ${year} Champion: Government capacity`,
        `ministry@results.example WSIS Prizes ${year} Champion: Media literacy`,
        `ministry@results.example WSIS Prizes ${year} Winner: Media literacy`,
        `ngo@results.example WSIS Prizes ${year} Champion: ${FORMULA_TITLE}`,
        `uni@results.example WSIS Prizes ${year} Champion: ${XSS_TITLE}`,
        `uni@results.example WSIS Prizes ${year} Winner: ${XSS_TITLE}`,
      ].sort(),
    );
    const mail = smtp.messages.find((m) => m.subject.includes("Winner: Media"));
    expect(mail?.text).toContain(`/projects/${p.media.id}`);
    expect(mail?.text).toContain("C9 — Media");
    expect(mail?.html).toContain(`/projects/${p.media.id}`);

    await vi.waitFor(
      async () => {
        const panel = await read(await organiser.get(`/admin/results?edition=${year}&published=1`));
        expect(panel).toContain("6 of 6 emails handled");
      },
      { timeout: 30_000, interval: 200 },
    );
    const panel = await read(await organiser.get(`/admin/results?edition=${year}&published=1`));
    expect(panel).toContain("Published. The results were published on");
    expect(panel).toContain("by Olga Organiser");
    expect(panel).toMatch(/<progress[^>]*value="6"[^>]*max="6"/);
    expect(panel).not.toContain('http-equiv="refresh"');
    expect(panel).not.toContain("Publish the results now");

    const again = await organiser.post("/admin/results", { intent: "publish", editionId: String(editionId) });
    expect(again.status).toBe(409);
    expect(await read(again)).toMatch(/already published on .*Nothing was sent again/);
    expect(await outboxCount()).toBe(6);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages).toHaveLength(6);
    const entries = await t.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "results.publish")
      .execute();
    expect(entries.map((e) => e.actor_user_id)).toEqual([users.organiser]);
  });

  it("shows winners then champions per category, linked, filtered by region and stakeholder type", async () => {
    const anon = new Client(app.url);
    const html = await read(await anon.get("/results"));
    const c4 = html.slice(html.indexOf('id="category-C4"'), html.indexOf('id="category-C5"'));
    expect(c4).toContain("Winner");
    expect(c4.indexOf(`/projects/${p.winner.id}`)).toBeGreaterThan(-1);
    expect(c4.indexOf(`/projects/${p.winner.id}`)).toBeLessThan(c4.indexOf("Champions"));
    expect(c4.indexOf(`/projects/${p.government.id}`)).toBeGreaterThan(c4.indexOf("Champions"));
    expect(c4).toContain(`href="/projects/${p.formula.id}"`);
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Learning");
    expect(html).not.toContain(XSS_TITLE);
    expect(html).not.toContain(`/projects/${p.nominee.id}"`);
    expect(html).toContain('<select id="filter-region" name="region">');
    expect(html).toContain('<select id="filter-stakeholder" name="stakeholder">');
    expect(html).toContain(`href="/results.csv"`);

    const europe = await read(await anon.get(`/results?edition=${year}&region=europe`));
    expect(europe).toContain(`/projects/${p.winner.id}"`);
    expect(europe).not.toContain(`/projects/${p.government.id}"`);
    expect(europe).not.toContain(`/projects/${p.media.id}"`);
    expect(europe).toContain(`href="/results.json?edition=${year}&amp;region=europe"`);
    const government = await read(await anon.get(`/results?stakeholder=government`));
    expect(government).toContain(`/projects/${p.government.id}"`);
    expect(government).toContain(`/projects/${p.media.id}"`);
    expect(government).not.toContain(`/projects/${p.winner.id}"`);
    const none = await read(await anon.get(`/results?region=cis`));
    expect(none).toContain("No winner or champion matches these filters.");
    const bad = await anon.get(`/results?region=mars`);
    expect(bad.status).toBe(200);
    expect(await read(bad)).toContain("Unknown region; the region filter was ignored.");
  });

  it("offers the results as JSON and as CSV with formula cells neutralised", async () => {
    const anon = new Client(app.url);
    const res = await anon.get(`/results.json?edition=${year}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    const body = (await res.json()) as {
      edition: { year: number; publishedAt: string };
      categories: Array<{
        code: string;
        winners: Array<{ projectId: number; title: string; award: string; url: string }>;
        champions: Array<{ projectId: number }>;
      }>;
    };
    expect(body.edition.year).toBe(year);
    expect(body.edition.publishedAt).toBe(await published());
    expect(body.categories).toHaveLength(18);
    const c4 = body.categories.find((c) => c.code === "C4");
    expect(c4?.winners.map((w) => [w.projectId, w.title, w.award])).toEqual([
      [p.winner.id, XSS_TITLE, "winner"],
    ]);
    expect(c4?.winners[0].url).toMatch(new RegExp(`/projects/${p.winner.id}$`));
    expect(c4?.champions.map((c) => c.projectId).sort()).toEqual([p.government.id, p.formula.id].sort());
    const filtered = (await (await anon.get(`/results.json?stakeholder=government`)).json()) as typeof body;
    expect(
      filtered.categories
        .flatMap((c) => [...c.winners, ...c.champions])
        .map((e) => e.projectId)
        .sort(),
    ).toEqual([p.government.id, p.media.id].sort());
    expect((await anon.get("/results.json?region=mars")).status).toBe(400);

    const csv = await anon.get(`/results.csv?edition=${year}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("Content-Disposition")).toBe(
      `attachment; filename="wsis-prizes-${year}-results.csv"`,
    );
    const rows = parseCsv(await csv.text());
    expect(rows[0]).toEqual([
      "edition",
      "category_code",
      "category",
      "award",
      "project_id",
      "project",
      "organisation",
      "stakeholder_type",
      "region",
      "country",
      "url",
    ]);
    expect(rows.slice(1).map((r) => [r[1], r[3], r[4]])).toEqual([
      ["C4", "winner", String(p.winner.id)],
      ["C4", "champion", String(p.formula.id)],
      ["C4", "champion", String(p.government.id)],
      ["C9", "winner", String(p.media.id)],
    ]);
    const formula = rows.find((r) => r[4] === String(p.formula.id));
    expect(formula?.[5]).toBe(`'${FORMULA_TITLE}`);
    expect((await anon.get("/results.csv?stakeholder=nobody")).status).toBe(400);
  });

  it("badges the winners' and champions' project pages", async () => {
    const anon = new Client(app.url);
    const w = await read(await anon.get(`/projects/${p.winner.id}`));
    expect(w).toContain(`WSIS Prizes ${year} Winner`);
    expect(w).not.toContain(`WSIS Prizes ${year} Champion`);
    const c = await read(await anon.get(`/projects/${p.government.id}`));
    expect(c).toContain(`WSIS Prizes ${year} Champion`);
    const n = await read(await anon.get(`/projects/${p.nominee.id}`));
    expect(n).not.toContain(`WSIS Prizes ${year} Champion`);
    expect(n).not.toContain(`WSIS Prizes ${year} Winner`);
  });

  it("lists failed emails with the SMTP reply, refreshes while sending, and retries the failed ones", async () => {
    const organiser = await as("organiser");
    const row = await t.db
      .selectFrom("outbox")
      .select(["id", "attempts"])
      .where("to_address", "=", "ngo@results.example")
      .executeTakeFirstOrThrow();
    await t.db
      .updateTable("outbox")
      .set({ status: "failed", last_error: "550 5.1.1 <ngo@results.example>: Mailbox unavailable" })
      .where("id", "=", row.id)
      .execute();
    // While an email is queued the page refreshes itself every 5 s (no script: the CSP forbids inline ones).
    const queued = await t.db
      .insertInto("outbox")
      .values({
        idempotency_key: "award:champion:0:waiting@results.example",
        kind: "award_champion",
        to_address: "waiting@results.example",
        subject: "s",
        html: "h",
        text: "t",
        status: "queued",
        attempts: 0,
        last_error: null,
        created_at: new Date().toISOString(),
        sent_at: null,
        project_id: p.media.id,
        edition_id: editionId,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const sending = await read(await organiser.get(`/admin/results?edition=${year}`));
    expect(sending).toContain('<meta http-equiv="refresh" content="5"/>');
    expect(sending).toContain("6 of 7 emails handled — sending; this page refreshes every 5 seconds");
    await t.db.deleteFrom("outbox").where("id", "=", queued.id).execute();

    const panel = await read(await organiser.get(`/admin/results?edition=${year}`));
    expect(panel).toContain("Failed emails");
    expect(panel).toContain("ngo@results.example");
    expect(panel).toContain("550 5.1.1 &lt;ngo@results.example&gt;: Mailbox unavailable");
    expect(panel).toContain("Retry the 1 failed email");
    expect(panel).toContain("6 of 6 emails handled"); // a failed email is handled too

    const before = smtp.messages.length;
    const res = await organiser.post("/admin/results", { intent: "retry", editionId: String(editionId) });
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe(`/admin/results?edition=${year}&retried=1#delivery`);
    const retried = await read(await organiser.get(`/admin/results?edition=${year}&retried=1`));
    expect(retried).toContain("1 failed email is queued again.");
    await vi.waitFor(() => expect(smtp.messages.length).toBe(before + 1), { timeout: 30_000, interval: 100 });
    expect(smtp.messages.at(-1)?.to).toEqual(["ngo@results.example"]);
    await vi.waitFor(
      async () => {
        const after = await t.db
          .selectFrom("outbox")
          .selectAll()
          .where("id", "=", row.id)
          .executeTakeFirstOrThrow();
        expect(after.status).toBe("sent");
        expect(after.attempts).toBe(row.attempts + 1);
      },
      { timeout: 30_000, interval: 100 },
    );
    const done = await read(await organiser.get(`/admin/results?edition=${year}`));
    expect(done).not.toContain("Failed emails");
    expect(done).not.toContain('http-equiv="refresh"');
    const entry = await t.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "results.retry_failed")
      .executeTakeFirstOrThrow();
    expect(entry.actor_user_id).toBe(users.organiser);
  });
});
