import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../db/schema";
import type { ProjectFormValues } from "../../app/schemas/project";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { categoryId, makeEdition, makeOrganisation, makeUser } from "../fixtures/contest";
import { signInDirectly } from "../helpers/session";
import { completeValues, words } from "../helpers/submission-fixtures";

const DAY = 24 * 3600 * 1000;

/** Form fields as a browser posts them: checkbox groups repeat their name. */
function formBody(values: ProjectFormValues, extra: Record<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = Object.entries(extra);
  for (const [k, v] of Object.entries(values)) {
    if (Array.isArray(v)) for (const item of v) out.push([k, String(item)]);
    else out.push([k, String(v)]);
  }
  return out;
}

type Browser = {
  get(path: string): Promise<Response>;
  post(path: string, fields: Array<[string, string]>, options?: { csrf?: boolean }): Promise<Response>;
};

for (const dialect of DIALECTS) {
  describe(`submission pages over HTTP (${dialect})`, () => {
    let t: TestDb;
    let app: RunningApp;
    let smtp: SmtpReceiver;
    let editionId: number;
    const u: Record<string, number> = {};
    const org: Record<string, number> = {};
    let c4: number;
    let c5: number;

    /** A browser signed in as `userId` (a real session row), with its CSRF cookie. */
    async function as(userId: number | null): Promise<Browser> {
      const client = new Client(app.url);
      let session = "";
      if (userId !== null) {
        const token = await signInDirectly(t.db, client, userId);
        session = `; wsis_session=${token}`;
      }
      // The CSRF token is bound to the session: the page hands out one for it.
      await client.get("/");
      const csrf = client.cookie("wsis_csrf") ?? "";
      const cookie = `wsis_csrf=${csrf}${session}`;
      return {
        get: (path) => fetch(app.url + path, { headers: { Cookie: cookie }, redirect: "manual" }),
        post: (path, fields, options = {}) =>
          fetch(app.url + path, {
            method: "POST",
            body: new URLSearchParams([
              ...(options.csrf === false ? [] : [["_csrf", csrf] as [string, string]]),
              ...fields,
            ]),
            headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
            redirect: "manual",
          }),
      };
    }

    const projectCount = async () =>
      Number(
        (
          await t.db
            .selectFrom("projects")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const projectRow = (id: number) =>
      t.db.selectFrom("projects").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const idFrom = (res: Response) =>
      Number(/\/submissions\/(\d+)/.exec(res.headers.get("Location") ?? "")?.[1]);

    async function user(key: string, roles: Role[]) {
      u[key] = (await makeUser(t.db, { email: `${key}@example.org`, roles, name: `User ${key}` })).id;
    }

    beforeAll(async () => {
      t = await createTestDb(dialect);
      smtp = await startSmtp();
      app = await startApp({ databaseUrl: t.url, smtpUrl: smtp.url });
      const now = Date.now();
      editionId = (
        await makeEdition(t.db, { year: 2026, opens: new Date(now - DAY), closes: new Date(now + DAY) })
      ).id;
      await user("alice", ["submitter"]);
      await user("bob", ["submitter"]);
      await user("voter", ["voter"]);
      await user("lonely", ["submitter"]);
      org.a = (
        await makeOrganisation(t.db, {
          name: "Alpha <b>NGO</b>",
          contactEmail: "contact@alpha.example.org",
          members: [u.alice, u.voter],
        })
      ).id;
      org.b = (
        await makeOrganisation(t.db, { name: "Beta", contactEmail: "beta@example.org", members: [u.bob] })
      ).id;
      c4 = await categoryId(t.db, "C4");
      c5 = await categoryId(t.db, "C5");
    });

    afterAll(async () => {
      await app?.stop();
      await smtp?.stop();
      await t?.cleanup();
    });

    it("sends anonymous visitors to sign in and refuses users without the submitter role (403)", async () => {
      const anon = await as(null);
      for (const path of [
        "/submissions",
        "/submissions/new",
        `/submissions/new?organisation=${org.a}`,
        "/submissions/1",
      ]) {
        const res = await anon.get(path);
        expect(res.status, path).toBe(302);
        expect(res.headers.get("Location"), path).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
      }
      const voter = await as(u.voter);
      for (const path of ["/submissions", `/submissions/new?organisation=${org.a}`]) {
        expect((await voter.get(path)).status, path).toBe(403);
      }
      const res = await voter.post(
        `/submissions/new?organisation=${org.a}`,
        formBody(completeValues(c4), { intent: "save" }),
      );
      expect(res.status).toBe(403);
      expect(await projectCount()).toBe(0);
    });

    it("shows empty states with links", async () => {
      const lonely = await as(u.lonely);
      const list = await lonely.get("/submissions");
      expect(list.status).toBe(200);
      const html = await list.text();
      expect(html).toContain("You are not a member of an organisation yet.");
      expect(html).toContain('href="/organisations/new"');

      const alice = await as(u.alice);
      const mine = await (await alice.get("/submissions")).text();
      expect(mine).toContain("Alpha &lt;b&gt;NGO&lt;/b&gt;");
      expect(mine).toContain("No project in this edition yet.");
      expect(mine).toContain(`href="/submissions/new?organisation=${org.a}"`);
      const redirect = await alice.get("/submissions/new");
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get("Location")).toBe(`/submissions/new?organisation=${org.a}`);
    });

    it("shows the whole questionnaire: categories with Action Line text, 17 SDGs, 5 GDC objectives, counters", async () => {
      const alice = await as(u.alice);
      const res = await alice.get(`/submissions/new?organisation=${org.a}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain(
        "The role of public governance authorities and all stakeholders in the promotion of ICTs for development",
      );
      expect(html.match(/name="category_id"/g)).toHaveLength(18);
      expect(html.match(/name="sdgs"/g)).toHaveLength(17);
      expect(html).toContain("17. Partnerships for the goals");
      expect(html.match(/name="gdc_objectives"/g)).toHaveLength(5);
      expect(html).toContain(
        "5. Enhance international governance of artificial intelligence for the benefit of humanity",
      );
      expect(html).toContain("0 words (150–200 needed): 150 more to go.");
      expect(html).toContain("0 words (at least 50 needed): 50 more to go.");
      expect(html).toContain('<option value="KE" selected="">Kenya</option>');
      expect(html).not.toMatch(/\sstyle="/);
    });

    it("refuses other organisations and junk ids with 404, writing nothing", async () => {
      const alice = await as(u.alice);
      for (const q of [String(org.b), "abc", "0", "99999999", "1e3"]) {
        expect((await alice.get(`/submissions/new?organisation=${q}`)).status, q).toBe(404);
        expect(
          (
            await alice.post(
              `/submissions/new?organisation=${q}`,
              formBody(completeValues(c4), { intent: "save" }),
            )
          ).status,
          q,
        ).toBe(404);
      }
      expect((await alice.get("/submissions/abc")).status).toBe(404);
      expect((await alice.get("/submissions/99999")).status).toBe(404);
      expect(await projectCount()).toBe(0);
    });

    let projectId: number;

    it("saves an incomplete draft, then shows its word count rendered on the server", async () => {
      const alice = await as(u.alice);
      const values = {
        ...completeValues(c4),
        title: `<script>alert("t")</script> Rural <i>skills</i>`,
        short_description: words(120),
      };
      const res = await alice.post(
        `/submissions/new?organisation=${org.a}`,
        formBody(values, { intent: "save" }),
      );
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toMatch(/^\/submissions\/\d+\?saved=1$/);
      projectId = idFrom(res);
      expect((await projectRow(projectId)).status).toBe("draft");

      const page = await (await alice.get(`/submissions/${projectId}?saved=1`)).text();
      expect(page).toContain("Your draft is saved.");
      expect(page).toContain("120 words (150–200 needed): 30 more to go.");
      expect(page).not.toContain("<script>alert");
      expect(page).toContain(
        "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; Rural &lt;i&gt;skills&lt;/i&gt;",
      );
    });

    it("refuses to submit with an error beside each field, echoing the answers, writing nothing", async () => {
      const alice = await as(u.alice);
      const before = await projectRow(projectId);
      const values = { ...completeValues(c4), short_description: words(120), impact: words(10), sdgs: [] };
      const res = await alice.post(`/submissions/${projectId}`, formBody(values, { intent: "submit" }));
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('id="f-short_description-error"');
      expect(html).toContain("The short description needs 150 to 200 words; it has 120.");
      expect(html).toContain("Impact needs at least 50 words; it has 10.");
      expect(html).toContain("Choose at least one Sustainable Development Goal.");
      expect(html).toContain("120 words (150–200 needed): 30 more to go.");
      expect(html).toContain("10 words (at least 50 needed): 40 more to go.");
      expect(html).toContain(words(10)); // the answer is still in its box
      expect(await projectRow(projectId)).toEqual(before);
    });

    it("answers bad input with field errors or a clear 4xx, never a 500, writing nothing", async () => {
      const alice = await as(u.alice);
      const before = await projectRow(projectId);
      const cases: Array<[Partial<ProjectFormValues>, string]> = [
        [{ title: "T".repeat(10_240) }, "The title can be at most 150 characters long; it has 10240."],
        [{ website: "javascript:alert(1)" }, "Enter a full web address starting with https://"],
        [{ category_id: "999999" }, "Choose a category from the list."],
        [{ category_id: "<script>" }, "Choose a category."],
        [{ sdgs: ["18"] }, "Choose goals from 1 to 17."],
        [{ sdgs: ["0"] }, "Choose goals from 1 to 17."],
        [{ country: "XX" }, "Choose a country from the list."],
        [{ start_year: "3000" }, "Enter a year from 1950 to"],
      ];
      for (const [override, message] of cases) {
        for (const intent of ["save", "submit"]) {
          const res = await alice.post(
            `/submissions/${projectId}`,
            formBody({ ...completeValues(c4), ...override }, { intent }),
          );
          expect(res.status, `${JSON.stringify(override).slice(0, 60)} ${intent}`).toBe(400);
          expect(await res.text()).toContain(message);
        }
      }
      const noCsrf = await alice.post(
        `/submissions/${projectId}`,
        formBody(completeValues(c4), { intent: "submit" }),
        { csrf: false },
      );
      expect(noCsrf.status).toBe(403);
      expect((await alice.post(`/submissions/${projectId}`, [["intent", "explode"]])).status).toBe(400);
      expect(await projectRow(projectId)).toEqual(before);
    });

    it("keeps other organisations out: 404 on read and write, nothing written", async () => {
      const bob = await as(u.bob);
      const before = await projectRow(projectId);
      expect((await bob.get(`/submissions/${projectId}`)).status).toBe(404);
      for (const intent of ["save", "submit", "withdraw"]) {
        const res = await bob.post(
          `/submissions/${projectId}`,
          formBody(completeValues(c4, { title: "Hijacked" }), { intent }),
        );
        expect(res.status, intent).toBe(404);
      }
      expect(await projectRow(projectId)).toEqual(before);
      expect(await (await bob.get("/submissions")).text()).not.toContain("Rural");
    });

    it("submits, and the confirmation email reaches the contact and the submitter with HTML as text", async () => {
      const alice = await as(u.alice);
      const title = `<script>alert("t")</script> Rural <i>skills</i>`;
      const res = await alice.post(
        `/submissions/${projectId}`,
        formBody(completeValues(c4, { title }), { intent: "submit" }),
      );
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe(`/submissions/${projectId}?submitted=1`);
      expect((await projectRow(projectId)).status).toBe("submitted");

      const toAlice = await smtp.waitFor((m) => m.to.includes("alice@example.org"));
      const toContact = await smtp.waitFor((m) => m.to.includes("contact@alpha.example.org"));
      for (const mail of [toAlice, toContact]) {
        expect(mail.subject).toBe("Project submitted to the WSIS Prizes 2026");
        expect(mail.html).not.toContain("<script>");
        expect(mail.html).toContain("&lt;script&gt;");
        expect(mail.text).toContain(title);
        expect(mail.text).toContain(`/submissions/${projectId}`);
      }

      const page = await (await alice.get(`/submissions/${projectId}?submitted=1`)).text();
      expect(page).toContain("Your project is submitted.");
      expect(page).toContain("Save changes");
      expect(page).toContain("Withdraw this project");
      const list = await (await alice.get("/submissions")).text();
      expect(list).toContain("Submitted");
      expect(list).toContain(`href="/submissions/${projectId}"`);
    });

    it("names the existing project when the organisation already uses the category (409)", async () => {
      const alice = await as(u.alice);
      const before = await projectCount();
      const res = await alice.post(
        `/submissions/new?organisation=${org.a}`,
        formBody(completeValues(c4, { title: "Second in C4" }), { intent: "save" }),
      );
      expect(res.status).toBe(409);
      const html = await res.text();
      expect(html).toContain("Your organisation already has a project in this category in this edition:");
      expect(html).toContain(`href="/submissions/${projectId}"`);
      expect(await projectCount()).toBe(before);
    });

    it("refuses an exact duplicate by another organisation (409)", async () => {
      const bob = await as(u.bob);
      const before = await projectCount();
      const same = completeValues(c5, { title: `<script>alert("t")</script> Rural <i>skills</i>` });
      const res = await bob.post(
        `/submissions/new?organisation=${org.b}`,
        formBody(same, { intent: "submit" }),
      );
      expect(res.status).toBe(409);
      expect(await res.text()).toContain("The same project may not be submitted twice");
      expect(await projectCount()).toBe(before);
    });

    it("withdraws, and refuses every change once the deadline has passed", async () => {
      const alice = await as(u.alice);
      const res = await alice.post(`/submissions/${projectId}`, [["intent", "withdraw"]]);
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe(`/submissions/${projectId}?withdrawn=1`);
      expect((await projectRow(projectId)).status).toBe("withdrawn");

      await t.db
        .updateTable("editions")
        .set({ submission_closes_at: new Date(Date.now() - 1000).toISOString() })
        .where("id", "=", editionId)
        .execute();
      const before = await projectRow(projectId);
      const count = await projectCount();
      for (const intent of ["save", "submit", "withdraw"]) {
        const r = await alice.post(`/submissions/${projectId}`, formBody(completeValues(c4), { intent }));
        expect(r.status, intent).toBe(409);
        expect(await r.text()).toContain(
          "projects can no longer be created, changed, submitted or withdrawn",
        );
      }
      const create = await alice.post(
        `/submissions/new?organisation=${org.a}`,
        formBody(completeValues(c5), { intent: "save" }),
      );
      expect(create.status).toBe(409);
      expect(await projectRow(projectId)).toEqual(before);
      expect(await projectCount()).toBe(count);

      const page = await (await alice.get(`/submissions/${projectId}`)).text();
      expect(page).toContain("The submission deadline of the WSIS Prizes 2026 passed");
      expect(page).not.toContain("Submit project");
      expect(page).not.toContain("Save draft");
    });
  });
}
