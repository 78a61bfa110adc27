import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inviteMember } from "../../app/domain/organisations.server";
import { createUser } from "../../app/domain/users.server";
import type { Db } from "../../db/client";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { textOf } from "../helpers/html";
import { ORGANISATION_FORM } from "../helpers/forms";

/**
 * The findings of the security review (issue 9 §1), each as it was exploited, over HTTP against the built app:
 * open redirect, a revoked role coming back, `Origin: null`, enumeration through change of email, cacheable
 * signed-in pages, session-bound CSRF tokens, huge chunked bodies, links in registration names.
 */

const PASSWORD = "correct horse battery staple 42";

/** A readable error page: HTML with a heading, a way back, and nothing of the server's insides. */
async function expectReadablePage(res: Response, status: number): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  const body = await res.text();
  expect(body).toMatch(/<h1[^>]*>[^<]+<\/h1>/);
  expect(body).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.tsx?:\d+|\.js:\d+:\d+/);
  return body;
}

interface RawAnswer {
  /** The status of the answer, 0 when none was read. */
  status: number;
  /** Bytes of the request (head and body) the socket accepted before the server closed it. */
  sent: number;
  /** True when the server closed the connection before the whole body was sent. */
  closedEarly: boolean;
}

/**
 * Posts `bodyBytes` of chunked body as fast as the server takes it, over a raw socket, and stops when the
 * server closes the connection.
 */
function postChunked(url: string, path: string, bodyBytes: number, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(url);
  return new Promise<RawAnswer>((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = "";
    let sent = 0;
    let done = false;
    let finishedBody = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      resolve({ status, sent, closedEarly: !finishedBody });
    };
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", finish);
    socket.on("close", finish);
    socket.on("connect", () => {
      const head =
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nTransfer-Encoding: chunked\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join("") +
        "\r\n";
      socket.write(head);
      const piece = Buffer.alloc(64 * 1024, "a");
      const frame = Buffer.concat([
        Buffer.from(`${piece.length.toString(16)}\r\n`),
        piece,
        Buffer.from("\r\n"),
      ]);
      let body = 0;
      const pump = () => {
        while (!done && body < bodyBytes) {
          body += piece.length;
          const ok = socket.write(frame, (e) => {
            if (!e) sent += frame.length;
          });
          if (!ok) return void socket.once("drain", pump);
        }
        if (!done && body >= bodyBytes) {
          finishedBody = true;
          socket.write("0\r\n\r\n");
          // The whole body went out: the server answers, then keeps (old) or closes the connection.
          setTimeout(finish, 2000);
        }
      };
      pump();
    });
  });
}

describe("security findings over HTTP (issue 9 §1)", () => {
  let t: TestDb;
  let db: Db;
  let smtp: SmtpReceiver;
  let app: RunningApp;
  let seq = 0;

  beforeAll(async () => {
    t = await createTestDb("sqlite");
    db = t.db;
    smtp = await startSmtp();
    app = await startApp({ databaseUrl: t.url, smtpUrl: smtp.url });
  });
  afterAll(async () => {
    await app?.stop();
    await smtp?.stop();
    await t?.cleanup();
  });

  /** A new verified account with `roles`, signed in through the sign-in form on a fresh client. */
  async function signedIn(roles: Array<"voter" | "submitter" | "expert" | "organiser"> = ["voter"]) {
    seq += 1;
    const email = `sec${seq}@example.org`;
    const user = await createUser(
      { email, name: `Person ${seq}`, password: PASSWORD, roles, verified: true, now: new Date() },
      db,
    );
    if (!user) throw new Error("user exists");
    const client = new Client(app.url);
    const res = await client.post("/login", { email, password: PASSWORD });
    expect(res.status, "sign-in").toBe(302);
    return { user, client, email };
  }

  async function rolesOf(userId: number) {
    const rows = await db.selectFrom("user_roles").select("role").where("user_id", "=", userId).execute();
    return rows.map((r) => r.role).sort();
  }

  const sameOrigin = (location: string | null) => new URL(location ?? "", `${app.url}/login`).origin;

  describe("open redirect after sign-in", () => {
    // As they appear in the query string of /login?redirectTo=…
    const VARIANTS = [
      "/%09/evil.example",
      "/%0d%0a/x",
      "/%0D%0ASet-Cookie:%20x=1",
      "/%E3%80%82",
      "/%25E3%2580%2582",
      "//evil.example",
      "/%5Cevil.example",
      "/%5C/evil.example",
      "/%2509/evil.example",
      "/.//evil.example",
      "/%2e%2e//evil.example",
      "https://evil.example",
      "/%C0",
      "/%",
    ];

    it("GET /login?redirectTo=… never sends a signed-in person to another origin, and never answers 500", async () => {
      const { client } = await signedIn();
      for (const variant of VARIANTS) {
        const res = await client.get(`/login?redirectTo=${variant}`);
        expect(res.status, variant).toBe(302);
        expect(sameOrigin(res.headers.get("location")), variant).toBe(app.url);
        expect(res.headers.get("location"), variant).toMatch(/^\/(?![/\\])[\x21-\x7e]*$/);
      }
    });

    it("the sign-in form keeps only a safe redirectTo, and signing in goes there", async () => {
      const anonymous = new Client(app.url);
      for (const variant of VARIANTS) {
        const res = await anonymous.get(`/login?redirectTo=${variant}`);
        expect(res.status, variant).toBe(200);
        const kept = /name="redirectTo" value="([^"]*)"/.exec(await res.text())?.[1] ?? "";
        expect(sameOrigin(kept.replace(/&amp;/g, "&")), variant).toBe(app.url);
      }
      seq += 1;
      const email = `sec${seq}@example.org`;
      await createUser(
        { email, name: "Redirected", password: PASSWORD, roles: ["voter"], verified: true, now: new Date() },
        db,
      );
      for (const redirectTo of ["/\t/evil.example", "/\\evil.example", "/%0d%0a/x", "/。"]) {
        const c = new Client(app.url);
        const res = await c.post("/login", { email, password: PASSWORD, redirectTo });
        expect(res.status, redirectTo).toBe(302);
        expect(sameOrigin(res.headers.get("location")), redirectTo).toBe(app.url);
      }
      const c = new Client(app.url);
      const fine = await c.post("/login", {
        email,
        password: PASSWORD,
        redirectTo: "/categories?q=caf%C3%A9",
      });
      expect(fine.headers.get("location")).toBe("/categories?q=caf%C3%A9");
    });

    it("POST /vote's `back` goes through the same check on the way to sign-in", async () => {
      const anonymous = new Client(app.url);
      for (const back of ["/\t/evil.example", "/\\evil.example", "//evil.example", "/。"]) {
        const res = await anonymous.post("/vote", { project: "1", back });
        expect(res.status, back).toBe(303);
        const location = res.headers.get("location") ?? "";
        expect(location).toMatch(/^\/login\?redirectTo=/);
        const target = new URL(location, app.url).searchParams.get("redirectTo") ?? "";
        expect(sameOrigin(target), back).toBe(app.url);
        expect(target).toMatch(/^\/(?![/\\])[\x21-\x7e]*$/);
      }
    });
  });

  describe("a revoked submitter role does not come back by self-service", () => {
    it("creating an organisation and accepting an invitation are refused with a message while the revocation stands", async () => {
      const organiser = await signedIn(["voter", "organiser"]);
      const person = await signedIn(["voter"]);
      const colleague = await signedIn(["voter"]);

      // Self-service grant: creating an organisation makes the person a submitter.
      const created = await person.client.post("/organisations/new", ORGANISATION_FORM);
      expect(created.status).toBe(302);
      expect(await rolesOf(person.user.id)).toEqual(["submitter", "voter"]);

      // An organiser withdraws it.
      const revoked = await organiser.client.post("/admin/users", {
        intent: "revoke",
        userId: String(person.user.id),
        role: "submitter",
      });
      expect(revoked.status).toBe(302);
      expect(await rolesOf(person.user.id)).toEqual(["voter"]);

      const organisationsBefore = await db.selectFrom("organisations").select("id").execute();
      const form = await person.client.get("/organisations/new");
      expect(form.status).toBe(200);
      const formText = textOf(await form.text());
      expect(formText).toContain("An organiser has withdrawn your submitter role");
      const again = await person.client.post("/organisations/new", {
        ...ORGANISATION_FORM,
        name: "Second try",
      });
      expect(again.status).toBe(403);
      expect(textOf(await again.text())).toContain("An organiser has withdrawn your submitter role");
      expect(await rolesOf(person.user.id)).toEqual(["voter"]);
      expect(await db.selectFrom("organisations").select("id").execute()).toEqual(organisationsBefore);

      // An invitation does not bring it back either.
      const colleagueOrg = await colleague.client.post("/organisations/new", {
        ...ORGANISATION_FORM,
        name: "Colleague Org",
      });
      const orgId = Number(/\/organisations\/(\d+)/.exec(colleagueOrg.headers.get("location") ?? "")?.[1]);
      const invitation = await inviteMember(
        { userId: colleague.user.id, organisationId: orgId, email: person.email, now: new Date() },
        db,
      );
      if (!invitation.ok) throw new Error("invitation refused");
      const view = await person.client.get(`/invitations/${invitation.token}`);
      expect(view.status).toBe(403);
      expect(textOf(await view.text())).toContain("An organiser has withdrawn your submitter role");
      const accept = await person.client.post(`/invitations/${invitation.token}`, {});
      expect(accept.status).toBe(403);
      expect(textOf(await accept.text())).toContain("An organiser has withdrawn your submitter role");
      expect(await rolesOf(person.user.id)).toEqual(["voter"]);
      const membership = await db
        .selectFrom("organisation_members")
        .select("user_id")
        .where("organisation_id", "=", orgId)
        .where("user_id", "=", person.user.id)
        .execute();
      expect(membership).toEqual([]);
      const selfGrants = await db
        .selectFrom("audit_log")
        .select("id")
        .where("action", "=", "role.grant")
        .where("entity_id", "=", String(person.user.id))
        .where("actor_user_id", "=", person.user.id)
        .execute();
      expect(selfGrants).toHaveLength(1); // the first organisation's, before the revocation

      // An organiser's explicit grant lifts the revocation.
      await organiser.client.post("/admin/users", {
        intent: "grant",
        userId: String(person.user.id),
        role: "submitter",
      });
      expect((await person.client.post(`/invitations/${invitation.token}`, {})).status).toBe(302);
    });
  });

  describe("opaque origins", () => {
    it("`Origin: null` gets a readable 403 on form actions and on /vote, and nothing is written", async () => {
      const { client } = await signedIn();
      const anonymous = new Client(app.url);
      const auditBefore = await db.selectFrom("audit_log").select("id").execute();
      const usersBefore = await db.selectFrom("users").select("id").execute();
      for (const [c, path, fields] of [
        [anonymous, "/login", { email: "x@example.org", password: PASSWORD }],
        [
          anonymous,
          "/register",
          { name: "Null Origin", email: "null-origin@example.org", password: PASSWORD },
        ],
        [client, "/account", { intent: "resend-verification" }],
        [client, "/logout", {}],
        [client, "/organisations/new", ORGANISATION_FORM],
      ] as const) {
        const res = await c.post(path, { ...fields }, { Origin: "null" });
        const body = await expectReadablePage(res, 403);
        expect(textOf(body), path).toContain("sent from another site");
      }
      const vote = await client.post("/vote", { project: "1" }, { Origin: "null" });
      await expectReadablePage(vote, 403);
      expect(await db.selectFrom("audit_log").select("id").execute()).toEqual(auditBefore);
      expect(await db.selectFrom("users").select("id").execute()).toEqual(usersBefore);
      // Still signed in: the sign-out was refused.
      expect((await client.get("/account")).status).toBe(200);
    });
  });

  describe("change of email", () => {
    it("answers, stores and shows the same whether or not the new address has an account", async () => {
      const taken = await signedIn();
      const owner = await signedIn();
      const free = await signedIn();
      const ask = (c: Client, email: string) =>
        c.post("/account", { intent: "change-email", email, currentPassword: PASSWORD });
      const a = await ask(taken.client, owner.email.toUpperCase());
      const b = await ask(free.client, "nobody-has-this@example.org");
      expect(a.status).toBe(b.status);
      expect(a.headers.get("location")).toBe(b.headers.get("location"));
      const pageA = textOf(await (await taken.client.get("/account")).text());
      const pageB = textOf(await (await free.client.get("/account")).text());
      expect(pageA).toContain(`You asked to change your address to ${owner.email.toUpperCase()}`);
      expect(pageB).toContain("You asked to change your address to nobody-has-this@example.org");
      // The owner of the taken address is told; the account keeps its own address.
      await smtp.waitFor(
        (m) =>
          m.to.includes(owner.email) &&
          m.subject === "Someone tried to use your email address for the WSIS Prizes",
      );
      const row = await db
        .selectFrom("users")
        .select(["email", "pending_email"])
        .where("id", "=", taken.user.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ email: taken.email, pending_email: owner.email.toUpperCase() });
    });
  });

  describe("no-store for anything answered to a signed-in person", () => {
    it("pages, data requests, redirects, errors and public data carry Cache-Control: no-store; static files keep theirs", async () => {
      const organiser = await signedIn(["voter", "organiser"]);
      const voter = await signedIn(["voter"]);
      const checks: Array<[Client, string, number]> = [
        [organiser.client, "/account", 200],
        [organiser.client, "/admin/users", 200],
        [organiser.client, "/admin/audit", 200],
        [organiser.client, "/account?_data=routes%2Faccount", 200],
        [organiser.client, "/?_data=root", 200],
        [organiser.client, "/login", 302],
        [organiser.client, "/results.json", 0],
        [voter.client, "/admin/users", 403],
        [voter.client, "/no/such/page", 404],
      ];
      for (const [c, path, status] of checks) {
        const res = await c.get(path);
        if (status) expect(res.status, path).toBe(status);
        expect(res.headers.get("cache-control"), path).toBe("no-store");
        await res.arrayBuffer();
      }
      const html = await (await organiser.client.get("/")).text();
      const asset = /(?:href|src)="(\/build\/[^"]+\.(?:css|js))"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const file = await organiser.client.get(asset ?? "");
      expect(file.status).toBe(200);
      expect(file.headers.get("cache-control")).toMatch(/max-age=31536000/);
      await file.arrayBuffer();
    });
  });

  describe("CSRF tokens bound to the session", () => {
    it("a token from before sign-in, or from another session, is refused after sign-in", async () => {
      seq += 1;
      const email = `sec${seq}@example.org`;
      const user = await createUser(
        { email, name: "Bound", password: PASSWORD, roles: ["voter"], verified: false, now: new Date() },
        db,
      );
      if (!user) throw new Error("user exists");
      const c = new Client(app.url);
      await c.get("/login");
      const anonymousToken = c.cookie("wsis_csrf") ?? "";
      const login = await c.post("/login", { email, password: PASSWORD });
      expect(login.status).toBe(302);
      const session = c.cookie("wsis_session") ?? "";
      expect(session).not.toBe("");
      const other = await signedIn();
      await other.client.get("/");
      const otherToken = other.client.cookie("wsis_csrf") ?? "";

      const postWith = (
        token: string,
        path = "/account",
        fields: Record<string, string> = { intent: "resend-verification" },
      ) =>
        fetch(`${app.url}${path}`, {
          method: "POST",
          body: new URLSearchParams({ _csrf: token, ...fields }),
          headers: {
            Cookie: `wsis_session=${session}; wsis_csrf=${token}`,
            "Content-Type": "application/x-www-form-urlencoded",
          },
          redirect: "manual",
        });
      for (const token of [anonymousToken, otherToken]) {
        expect((await postWith(token)).status).toBe(403);
        expect((await postWith(token, "/vote", { project: "1" })).status).toBe(403);
      }
      // The next page hands out a token for this session (as the browser's next page after sign-in does).
      const page = await c.get("/account");
      expect(page.status).toBe(200);
      const bound = c.cookie("wsis_csrf") ?? "";
      expect(bound).not.toBe(anonymousToken);
      expect(await page.text()).toContain(`name="_csrf" value="${bound}"`);
      expect((await postWith(bound)).status).toBe(302);
      // After sign-out the bound token is worth nothing for anonymous forms either.
      expect((await c.post("/logout", {})).status).toBe(302);
      const anonymousPost = await fetch(`${app.url}/login`, {
        method: "POST",
        body: new URLSearchParams({ _csrf: bound, email, password: PASSWORD }),
        headers: { Cookie: `wsis_csrf=${bound}`, "Content-Type": "application/x-www-form-urlencoded" },
        redirect: "manual",
      });
      expect(anonymousPost.status).toBe(403);
    });
  });

  describe("huge chunked bodies", () => {
    const MB = 1024 * 1024;

    it("POST /vote stops reading a 20 MB chunked body at the limit: 413 and the connection closed", async () => {
      const { client } = await signedIn();
      await client.get("/");
      const cookie = `wsis_session=${client.cookie("wsis_session")}; wsis_csrf=${client.cookie("wsis_csrf")}`;
      const answer = await postChunked(app.url, "/vote", 20 * MB, { Cookie: cookie });
      expect(answer.closedEarly).toBe(true);
      expect(answer.sent).toBeLessThan(20 * MB);
      if (answer.status !== 0) expect(answer.status).toBe(413);
      // The server is still fine.
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    });

    it("form pages refuse a 20 MB chunked body without reading it: 411 and the connection closed", async () => {
      const answer = await postChunked(app.url, "/login", 20 * MB);
      expect(answer.closedEarly).toBe(true);
      expect(answer.sent).toBeLessThan(20 * MB);
      if (answer.status !== 0) expect(answer.status).toBe(411);
    });
  });

  describe("registration", () => {
    it("refuses a name carrying a link or control characters with a field error, writing nothing", async () => {
      const usersBefore = await db.selectFrom("users").select("id").execute();
      const outboxBefore = await db.selectFrom("outbox").select("id").execute();
      for (const name of [
        "Claim your prize at https://evil.example",
        "www.evil.example",
        "Ada\u0007Lovelace",
      ]) {
        const c = new Client(app.url);
        const res = await c.post("/register", {
          name,
          email: `spam-${seq++}@example.org`,
          password: PASSWORD,
        });
        expect(res.status, name).toBe(400);
        const text = textOf(await res.text());
        expect(text).toMatch(
          /Enter your name only, without web or email addresses|control or invisible characters/,
        );
      }
      expect(await db.selectFrom("users").select("id").execute()).toEqual(usersBefore);
      expect(await db.selectFrom("outbox").select("id").execute()).toEqual(outboxBefore);
    });

    it("refuses Password1! as too common", async () => {
      const c = new Client(app.url);
      const res = await c.post("/register", {
        name: "Ada Lovelace",
        email: "common-pw@example.org",
        password: "Password1!",
      });
      expect(res.status).toBe(400);
      expect(textOf(await res.text())).toContain("This password is too common");
    });
  });
});
