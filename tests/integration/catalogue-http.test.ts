import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionToken } from "../helpers/session";
import type { Role } from "../../db/schema";
import { Client, startApp, type RunningApp } from "../helpers/app";
import {
  seedEdition,
  seedEditionAround,
  seedOrganisation,
  seedProject,
  WORDS_160,
} from "../helpers/catalogue-fixtures";
import { parseCsv } from "../helpers/csv";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";

/** The text of an HTML page as a reader sees it: tags and React's text separators removed. */
function visibleText(html: string): string {
  return html
    .replace(/<!-- -->/g, "")
    .replace(/<[^>]+>/g, "")
    .replace(/\s+/g, " ");
}

const APP_URL = "http://wsis-catalogue.example.test";
const XSS_TITLE = `<script>alert("t")</script> & <b>Bold</b> Project`;
const XSS_ORG = `<img src=x onerror=alert("o")> Org`;
const FORMULA_TITLE = `=HYPERLINK("http://evil.example","click")`;

describe.each(DIALECTS)("catalogue over HTTP (%s)", (dialect) => {
  let t: TestDb;
  let app: RunningApp;
  let anonymous: Client;
  const ids: Record<string, number> = {};
  const sessions: Partial<Record<Role | "none", string>> = {};
  let year: number;

  async function userWith(role: Role | "none"): Promise<string> {
    const user = await t.db
      .insertInto("users")
      .values({
        email: `${role}@example.org`,
        email_canonical: `${role}@example.org`,
        name: `${role} user`,
        password_hash: "not-a-hash",
        email_verified_at: new Date().toISOString(),
        created_at: new Date().toISOString(),
        pending_email: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (role !== "none") {
      await t.db
        .insertInto("user_roles")
        .values({ user_id: user.id, role, granted_by: null, created_at: new Date().toISOString() })
        .execute();
    }
    const token = await sessionToken(t.db, user.id, "test");
    return `wsis_session=${token}`;
  }

  beforeAll(async () => {
    t = await createTestDb(dialect);
    const db = t.db;
    const now = new Date();
    year = now.getUTCFullYear();
    const current = await seedEditionAround(
      db,
      year,
      now,
      new Date(now.getTime() - 86_400_000).toISOString(),
    );
    const earlier = await seedEdition(db, year - 1, `${year - 1}-02-20T00:00:00.000Z`);
    const unpublished = await seedEdition(db, year + 1, null);
    const xssOrg = await seedOrganisation(db, { name: XSS_ORG, country: "KE", region: "africa" });
    const plain = await seedOrganisation(db, { name: "Plain Org", stakeholder: "academia", country: "FR" });
    const base = { editionId: current.id, organisationId: plain };
    ids.xss = await seedProject(db, {
      editionId: current.id,
      organisationId: xssOrg,
      category: "C1",
      title: XSS_TITLE,
      country: "KE",
      short: `<img src=x onerror=alert("d")> ${WORDS_160}`,
      long: `<script>alert("long")</script>\nSecond line of the answer.`,
      website: "javascript:alert(1)",
    });
    ids.formula = await seedProject(db, { ...base, category: "C2", title: FORMULA_TITLE });
    ids.draft = await seedProject(db, { ...base, category: "C3", title: "Secret Draft", status: "draft" });
    ids.rejected = await seedProject(db, {
      ...base,
      category: "C4",
      title: "Secret Rejected",
      decision: "reject",
    });
    ids.undecided = await seedProject(db, {
      ...base,
      category: "C5",
      title: "Secret Undecided",
      decision: null,
    });
    ids.unpublished = await seedProject(db, {
      editionId: unpublished.id,
      organisationId: plain,
      category: "C1",
      title: "Secret Unpublished",
    });
    ids.earlier = await seedProject(db, {
      editionId: earlier.id,
      organisationId: plain,
      category: "C1",
      title: "Earlier Nominee",
    });
    for (const role of ["organiser", "submitter", "voter", "expert"] as const)
      sessions[role] = await userWith(role);
    app = await startApp({ databaseUrl: t.url, env: { APP_URL } });
    anonymous = new Client(app.url);
  });

  afterAll(async () => {
    await app?.stop();
    await t?.cleanup();
  });

  const html = async (path: string, headers: Record<string, string> = {}) => {
    const res = await anonymous.get(path, headers);
    return { status: res.status, body: await res.text(), res };
  };

  it("lets anyone browse the categories with their nominee counts", async () => {
    const { status, body } = await html("/categories");
    expect(status).toBe(200);
    expect(body).toContain(`Nominees of the WSIS Prizes ${year}`);
    expect(body).toContain('href="/categories/C7-EGOV"');
    expect(body.match(/1 nominee</g)?.length).toBe(2);
  });

  it("lists a category's nominees, redirects a lower-case code and answers 404 for an unknown one", async () => {
    const c1 = await html("/categories/C1");
    expect(c1.status).toBe(200);
    expect(c1.body).toContain(`href="/projects/${ids.xss}"`);
    expect(c1.body).not.toContain("Secret");
    const lower = await anonymous.get("/categories/c1?q=x");
    expect(lower.status).toBe(301);
    expect(lower.headers.get("location")).toBe("/categories/C1?q=x");
    for (const path of ["/categories/NOPE", "/categories/%3Cscript%3E", `/categories/${"C".repeat(500)}`]) {
      const res = await html(path);
      expect(res.status, path).toBe(404);
      expect(res.body).toContain("There is no category with this code.");
    }
  });

  it("searches and filters with shareable GET URLs", async () => {
    const found = await html("/projects?q=bold&region=africa&country=KE");
    expect(found.status).toBe(200);
    expect(found.body).toContain(`href="/projects/${ids.xss}"`);
    expect(found.body).toContain("1 nominee");
    expect(found.body).toMatch(/<form[^>]*method="get"[^>]*action="\/projects"/);
    // A GET form leaves blank fields in the address: they are dropped by one redirect, so links stay short.
    const blank = await anonymous.get("/projects?q=&region=africa&stakeholder=&country=&utm_source=x");
    expect(blank.status).toBe(302);
    expect(blank.headers.get("location")).toBe("/projects?region=africa");
    const canonical = await anonymous.get("/categories/C1?q=bold+project&region=africa&page=1");
    expect(canonical.headers.get("location")).toBe("/categories/C1?q=bold+project&region=africa");
    expect((await anonymous.get("/categories/C1?q=bold+project&region=africa")).status).toBe(200);
    const none = await html("/projects?region=cis");
    expect(none.body).toContain("No nominees match.");
    const earlier = await html(`/projects?edition=${year - 1}`);
    expect(earlier.body).toContain("Earlier Nominee");
    expect(earlier.body).not.toContain("Bold</b>");
  });

  it("shows a project page with HTML and script as text, and sharing meta tags from APP_URL", async () => {
    const { status, body } = await html(`/projects/${ids.xss}`, {
      Host: "evil.example",
      "X-Forwarded-Host": "evil.example",
    });
    expect(status).toBe(200);
    expect(body).not.toContain(`<script>alert("t")</script>`);
    expect(body).not.toContain(`<script>alert("long")</script>`);
    expect(body).not.toContain(`<img src=x`);
    expect(body).toContain(
      "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt; Project",
    );
    expect(body).toContain("&lt;img src=x onerror=alert(&quot;o&quot;)&gt; Org");
    expect(body).not.toContain('href="javascript:');
    // The short description comes before the long answers.
    expect(body.indexOf("Short description")).toBeLessThan(body.indexOf("Linkage to the WSIS Action Line"));
    expect(body).toMatch(/<title>&lt;script&gt;alert\(&quot;t&quot;\)/);
    expect(body).toMatch(
      /<meta name="description" content="&lt;img src=x onerror=alert\(&quot;d&quot;\)&gt; word0 word1/,
    );
    expect(body).toContain('<meta property="og:title" content="&lt;script&gt;');
    expect(body).toContain('<meta property="og:description" content="&lt;img');
    expect(body).toContain('<meta property="og:type" content="article"/>');
    expect(body).toContain(`<meta property="og:url" content="${APP_URL}/projects/${ids.xss}"/>`);
    expect(body).toContain(`<link rel="canonical" href="${APP_URL}/projects/${ids.xss}"/>`);
    expect(body).not.toContain("evil.example");
    const description = /<meta name="description" content="([^"]*)"/.exec(body)?.[1] ?? "";
    expect(description.replace(/&[a-z]+;/g, "x").length).toBeLessThanOrEqual(161);
    // Contact details of the organisation are not public.
    expect(body).not.toContain("@example.org");
  });

  it("says when voting opens, or when it closed, in the edition's time zone", async () => {
    // Shown as the text of an element (">…<"), not only in the loader data of the page's script.
    // The earlier edition's voting closed on 1 April at 00:00 UTC: 02:00 in Zurich (summer time).
    const closed = `>Voting closed on 1 Apr ${year - 1}, 02:00 (Europe/Zurich).<`;
    expect((await html(`/projects/${ids.earlier}`)).body).toContain(closed);
    expect((await html(`/categories/C1?edition=${year - 1}`)).body).toContain(closed);

    // Nominees published, voting not open yet: the current edition's voting is moved ahead for a moment.
    const current = await t.db
      .selectFrom("editions")
      .select(["id", "voting_opens_at", "voting_closes_at"])
      .where("year", "=", year)
      .executeTakeFirstOrThrow();
    const setVoting = (opens: string, closes: string) =>
      t.db
        .updateTable("editions")
        .set({ voting_opens_at: opens, voting_closes_at: closes })
        .where("id", "=", current.id)
        .execute();
    await setVoting(`${year + 1}-01-15T09:30:00.000Z`, `${year + 1}-02-15T09:30:00.000Z`);
    try {
      const opens = `>Voting opens on 15 Jan ${year + 1}, 10:30 (Europe/Zurich).<`;
      const project = (await html(`/projects/${ids.xss}`)).body;
      expect(project).toContain(opens);
      expect(visibleText(project)).not.toContain("Sign in or register to vote");
      expect((await html(`/categories/C1?edition=${year}`)).body).toContain(opens);
    } finally {
      await setVoting(current.voting_opens_at, current.voting_closes_at);
    }
    // Voting open: an anonymous visitor is asked to sign in, and no date is given.
    const open = visibleText((await html(`/projects/${ids.xss}`)).body);
    expect(open).toContain("Sign in or register to vote.");
    expect(open).not.toMatch(/Voting (opens|closed) on/);
  });

  it("answers the same 404 for drafts, rejected, undecided, unpublished and missing projects", async () => {
    const missing = await html("/projects/987654");
    expect(missing.status).toBe(404);
    for (const key of ["draft", "rejected", "undecided", "unpublished"]) {
      const res = await html(`/projects/${ids[key]}`);
      expect(res.status, key).toBe(404);
      expect(res.body).toContain("This project does not exist or is not public.");
      expect(res.body).not.toContain("Secret");
    }
    for (const bad of ["abc", "0", "-1", "99999999999", "1%3Bdrop", "1.5", "%00"]) {
      expect((await html(`/projects/${bad}`)).status, bad).toBe(404);
    }
    expect((await html(`/projects?edition=${year + 1}`)).status).toBe(404);
    expect((await html(`/categories/C1?edition=${year + 1}`)).status).toBe(404);
    expect((await html("/projects?edition=1999")).status).toBe(404);
  });

  it("never answers 500 to bad query parameters; explains what it ignored", async () => {
    const odd = [
      `q=${"x".repeat(5000)}`,
      "q=%00%01",
      "q=%ff%fe",
      "q=%25%5F%5C%27%22",
      "page=abc",
      "page=-3",
      "page=1e400",
      "page=99999999999999999999",
      "page=1.5",
      "page=999",
      "region=mars",
      "region[]=africa",
      "stakeholder=%3Cscript%3E",
      "country=ZZ",
      "country=%E2%80%8B",
      "country=KEN",
      "edition=abcd",
      "edition=-1",
      "edition=2026&edition=2027",
      "q=a&q=b&page=2&page=3",
    ];
    for (const query of odd) {
      for (const path of ["/projects", "/categories/C1", "/categories"]) {
        // Valid but non-canonical addresses are redirected once to their canonical form.
        const res = await fetch(`${app.url}${path}?${query}`, { redirect: "follow" });
        expect(res.status, `${path}?${query}`).toBe(200);
        expect(res.redirected ? new URL(res.url).pathname : path).toBe(path);
      }
    }
    const explained = await html("/projects?region=mars&page=abc&country=ZZ");
    expect(explained.body).toContain("Unknown region; the region filter was ignored.");
    expect(explained.body).toContain("The page number is not a number; showing page 1.");
    expect(explained.body).toContain("Unknown country code “ZZ”");
  });

  it("exports the CSV to organisers, formulas neutralised and HTML left as text", async () => {
    const res = await anonymous.get("/admin/submissions.csv", { Cookie: sessions.organiser ?? "" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="wsis-prizes-${year}-submissions.csv"`,
    );
    const rows = parseCsv(await res.text());
    const title = rows[0].indexOf("title");
    const org = rows[0].indexOf("organisation_name");
    const titles = rows.slice(1).map((r) => r[title]);
    expect(titles).toContain(`'${FORMULA_TITLE}`);
    expect(titles).not.toContain(FORMULA_TITLE);
    expect(titles).toContain(XSS_TITLE);
    expect(titles).toContain("Secret Draft");
    expect(titles).not.toContain("Secret Unpublished");
    expect(rows.slice(1).map((r) => r[org])).toContain(XSS_ORG);
    const filtered = await anonymous.get("/admin/submissions.csv?status=draft", {
      Cookie: sessions.organiser ?? "",
    });
    expect(
      parseCsv(await filtered.text())
        .slice(1)
        .map((r) => r[title]),
    ).toEqual(["Secret Draft"]);
    const bad = await anonymous.get("/admin/submissions.csv?status=bogus", {
      Cookie: sessions.organiser ?? "",
    });
    expect(bad.status).toBe(400);
    expect(
      (await anonymous.get("/admin/submissions.csv?edition=1999", { Cookie: sessions.organiser ?? "" }))
        .status,
    ).toBe(404);
  });

  it("refuses the CSV and the dashboard to everyone but organisers", async () => {
    for (const path of ["/admin/submissions.csv", "/admin/submissions"]) {
      const anon = await anonymous.get(path, { Cookie: "" });
      expect(anon.status, path).toBe(302);
      expect(anon.headers.get("location")).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
      for (const role of ["submitter", "voter", "expert"] as const) {
        const res = await anonymous.get(path, { Cookie: sessions[role] ?? "" });
        expect(res.status, `${role} ${path}`).toBe(403);
        expect(await res.text()).not.toContain("Secret Draft");
      }
    }
  });

  it("shows organisers the counts and a filtered list, with bad parameters explained", async () => {
    const cookie = { Cookie: sessions.organiser ?? "" };
    const res = await anonymous.get("/admin/submissions", cookie);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(`Submissions — WSIS Prizes ${year}`);
    expect(visibleText(body)).toContain(
      "5 projects: 1 drafts, 4 submitted (2 nominated, 1 rejected, 1 not decided yet), 0 withdrawn.",
    );
    expect(body).toContain(`href="/admin/submissions?edition=${year}&amp;category=C3&amp;status=draft#list"`);
    expect(body).toContain("&lt;script&gt;alert(&quot;t&quot;)");
    const redirected = await anonymous.get("/admin/submissions?status=draft&category=c3&q=", cookie);
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get("location")).toBe("/admin/submissions?category=C3&status=draft");
    const filtered = await (
      await anonymous.get("/admin/submissions?category=C3&status=draft", cookie)
    ).text();
    expect(filtered).toContain("1 project");
    expect(filtered).toContain("Secret Draft");
    expect(filtered).not.toContain("Secret Rejected</td>");
    const bad = await anonymous.get("/admin/submissions?status=bogus&category=XX&page=-1&region=%00", cookie);
    expect(bad.status).toBe(200);
    const badBody = await bad.text();
    expect(badBody).toContain("Unknown status; the status filter was ignored.");
    expect(badBody).toContain("Unknown category; the category filter was ignored.");
    expect((await anonymous.get("/admin/submissions?edition=1999", cookie)).status).toBe(404);
  });
});
