import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../app/utils/session.server";
import type { Db } from "../../db/client";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { textOf } from "../helpers/html";

const STRONG = "correct-horse-battery-staple";
const VERIFY_SUBJECT = "Confirm your email address for the WSIS Prizes";
const RESET_SUBJECT = "Reset your WSIS Prizes password";
const INCORRECT = "Email address or password is incorrect.";

/** The page's <main> element, without the per-browser CSRF token: what differs between two answers. */
function mainOf(html: string): string {
  const m = /<main[^>]*>([\s\S]*?)<\/main>/.exec(html);
  return (m ? m[1] : "").replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf"');
}

function h1(html: string): string {
  const m = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html);
  return m ? textOf(m[1]) : "";
}

/** Texts of the role="alert" notices and field errors of a page. */
function alerts(html: string): string[] {
  return [...html.matchAll(/<(?:div|p)[^>]*role="alert"[^>]*>([\s\S]*?)<\/(?:div|p)>/g)].map((m) =>
    textOf(m[1]),
  );
}

/** The path and query of an absolute link from an email (its host is APP_URL, not the test port). */
function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

function linkIn(text: string, path: string): string {
  const m = new RegExp(`https?://[^\\s"<]+${path}\\?token=[A-Za-z0-9_-]+`).exec(text);
  if (!m) throw new Error(`no ${path} link in:\n${text}`);
  return m[0];
}

function sessionCookie(res: Response): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith("wsis_session="));
}

describe.each(DIALECTS)("accounts over HTTP on %s", (dialect) => {
  let t: TestDb;
  let db: Db;
  let smtp: SmtpReceiver;
  let app: RunningApp;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    db = t.db;
    smtp = await startSmtp();
    app = await startApp({ databaseUrl: t.url, smtpUrl: smtp.url });
  });
  afterAll(async () => {
    await app?.stop();
    await smtp?.stop();
    await t?.cleanup();
  });

  const client = () => new Client(app.url);

  async function usersWith(canonical: string) {
    return db.selectFrom("users").selectAll().where("email_canonical", "=", canonical).execute();
  }

  async function registerVia(c: Client, email: string, name = "Ada Lovelace", password = STRONG) {
    const res = await c.post("/register", { name, email, password });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/register?sent=1");
    return res;
  }

  async function confirmationLink(email: string): Promise<string> {
    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === VERIFY_SUBJECT);
    return linkIn(mail.text, "/verify-email");
  }

  async function signInVia(c: Client, email: string, password = STRONG, extra: Record<string, string> = {}) {
    return c.post("/login", { email, password, ...extra });
  }

  it("register → confirmation email over SMTP → confirm → sign in → account → sign out", async () => {
    const c = client();
    const form = await c.get("/register");
    expect(form.status).toBe(200);
    const html = await form.text();
    for (const label of ["Full name", "Email address", "Password", "Leave this field empty"]) {
      expect(html).toContain(`>${label}</label>`);
    }
    expect(html).toMatch(/<button type="submit">Create account<\/button>/);
    expect(html).toMatch(/name="name"/);
    expect(html).toMatch(/name="email"/);
    expect(html).toMatch(/name="password"/);

    await registerVia(c, "ada@example.org");
    expect(h1(await (await c.get("/register?sent=1")).text())).toBe("Check your email");
    const [created] = await usersWith("ada@example.org");
    expect(created.email_verified_at).toBeNull();

    const link = await confirmationLink("ada@example.org");
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/verify-email\?token=/);
    // Opening the link (or a mail scanner fetching it) only shows a button.
    const landing = await c.get(pathOf(link));
    expect(landing.status).toBe(200);
    expect(await landing.text()).toMatch(/<button type="submit">Confirm my email address<\/button>/);
    expect((await usersWith("ada@example.org"))[0].email_verified_at).toBeNull();

    const token = new URL(link).searchParams.get("token") ?? "";
    const confirmed = await c.post("/verify-email", { token });
    expect(confirmed.status).toBe(302);
    const donePage = await c.get(confirmed.headers.get("location") ?? "");
    const done = await donePage.text();
    expect(h1(done)).toBe("Email address confirmed");
    expect(done).toMatch(/href="\/login"/);
    expect((await usersWith("ada@example.org"))[0].email_verified_at).not.toBeNull();

    const login = await c.get("/login");
    const loginHtml = await login.text();
    expect(loginHtml).toContain(">Email address</label>");
    expect(loginHtml).toContain(">Password</label>");
    expect(loginHtml).toMatch(/<button type="submit">Sign in<\/button>/);
    const signedIn = await signInVia(c, "Ada@Example.org");
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get("location")).toBe("/account");
    const cookie = sessionCookie(signedIn) ?? "";
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).toMatch(/Path=\//);

    const account = await c.get("/account");
    expect(account.status).toBe(200);
    const accountHtml = textOf(await account.text());
    expect(accountHtml).toContain("Ada Lovelace");
    expect(accountHtml).toContain("ada@example.org (confirmed)");
    expect(accountHtml).toContain("Voter");
    expect(accountHtml).toContain("Sign out");
    expect(accountHtml).not.toContain("not confirmed");

    const out = await c.post("/logout", {});
    expect(out.status).toBe(302);
    expect(out.headers.get("location")).toBe("/");
    expect(sessionCookie(out)).toMatch(/Max-Age=0/);
    const sessions = await db.selectFrom("sessions").select("id").where("user_id", "=", created.id).execute();
    expect(sessions).toHaveLength(0);
    const after = await c.get("/account");
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toBe("/login?redirectTo=%2Faccount");

    // GET /logout changes nothing and goes home.
    const getLogout = await c.get("/logout");
    expect(getLogout.status).toBe(302);
    expect(getLogout.headers.get("location")).toBe("/");
  });

  it("signs in to redirectTo when it is a local path, to /account otherwise", async () => {
    const c = client();
    await registerVia(c, "redirect@example.org");
    const local = await signInVia(c, "redirect@example.org", STRONG, { redirectTo: "/votes?x=1" });
    expect(local.headers.get("location")).toBe("/votes?x=1");
    for (const redirectTo of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
      const res = await signInVia(client(), "redirect@example.org", STRONG, { redirectTo });
      expect(res.headers.get("location")).toBe("/account");
    }
    const page = await client().get("/login?redirectTo=%2Fvotes");
    expect(await page.text()).toMatch(/name="redirectTo" value="\/votes"/);
  });

  it("an unverified user can sign in, sees a notice and can ask for a new link", async () => {
    const c = client();
    await registerVia(c, "unverified@example.org", "Una Verified");
    expect((await signInVia(c, "unverified@example.org")).status).toBe(302);
    const page = textOf(await (await c.get("/account")).text());
    expect(page).toContain("Your email address is not confirmed yet");
    expect(page).toContain("unverified@example.org (not confirmed)");
    const resend = await c.post("/account", { intent: "resend-verification" });
    expect(resend.status).toBe(302);
    expect(resend.headers.get("location")).toBe("/account?done=verification-sent");
    await smtp.waitFor((m) => m.to.includes("unverified@example.org") && m.subject === VERIFY_SUBJECT);
    const both = () =>
      smtp.messages.filter((m) => m.to.includes("unverified@example.org") && m.subject === VERIFY_SUBJECT);
    for (let i = 0; i < 50 && both().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(both()).toHaveLength(2);
  });

  it("registering an address twice, in any Gmail spelling, gives the same page and one account", async () => {
    const c = client();
    const first = await registerVia(c, "jane.doe@gmail.com", "Jane Doe");
    const firstPage = mainOf(await (await c.get("/register?sent=1")).text());
    for (const email of ["janedoe@gmail.com", "Jane.Doe+vote@googlemail.com", "JANE.DOE@gmail.com"]) {
      const again = await registerVia(c, email, "Mallory", "another-long-passphrase");
      expect(again.headers.get("location")).toBe(first.headers.get("location"));
      expect(mainOf(await (await c.get("/register?sent=1")).text())).toBe(firstPage);
    }
    expect(await usersWith("janedoe@gmail.com")).toHaveLength(1);
    const notice = await smtp.waitFor(
      (m) =>
        m.to.includes("jane.doe@gmail.com") &&
        m.subject === "Someone tried to register with your email address",
    );
    expect(notice.text).toContain("Hello Jane Doe");
  });

  it("a wrong password and an unknown address get the identical answer", async () => {
    const c = client();
    await registerVia(c, "known@example.org");
    const wrong = await signInVia(client(), "known@example.org", "not-the-right-password");
    const unknown = await signInVia(client(), "unknown@example.org", "not-the-right-password");
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(sessionCookie(wrong)).toBeUndefined();
    expect(sessionCookie(unknown)).toBeUndefined();
    const wrongHtml = await wrong.text();
    const unknownHtml = await unknown.text();
    expect(alerts(wrongHtml)).toEqual([INCORRECT]);
    expect(alerts(unknownHtml)).toEqual([INCORRECT]);
    // Apart from the address typed back into the field, the pages are the same.
    const strip = (html: string) => mainOf(html).replace(/value="[^"]*@example\.org"/, "");
    expect(strip(wrongHtml)).toBe(strip(unknownHtml));
    expect(strip(wrongHtml)).toContain(INCORRECT);
  });

  it("a used or expired confirmation link answers 400 and writes nothing", async () => {
    const c = client();
    await registerVia(c, "reuse@example.org");
    const token = new URL(await confirmationLink("reuse@example.org")).searchParams.get("token") ?? "";
    expect((await c.post("/verify-email", { token })).status).toBe(302);
    const snapshotOf = async () => ({
      users: await db.selectFrom("users").selectAll().orderBy("id").execute(),
      tokens: await db.selectFrom("tokens").selectAll().orderBy("id").execute(),
    });
    const before = await snapshotOf();
    const reused = await c.post("/verify-email", { token });
    expect(reused.status).toBe(400);
    expect(textOf(await reused.text())).toContain("This link is invalid or has expired");
    const reopened = await c.get(`/verify-email?token=${token}`);
    expect(reopened.status).toBe(400);
    expect(await reopened.text()).toMatch(/href="\/login\?redirectTo=%2Faccount"/);
    expect(await snapshotOf()).toEqual(before);

    await registerVia(c, "expired@example.org");
    const late = new URL(await confirmationLink("expired@example.org")).searchParams.get("token") ?? "";
    await db
      .updateTable("tokens")
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where("token_hash", "=", hashToken(late))
      .execute();
    const beforeExpired = await snapshotOf();
    expect((await c.get(`/verify-email?token=${late}`)).status).toBe(400);
    const expired = await c.post("/verify-email", { token: late });
    expect(expired.status).toBe(400);
    expect(textOf(await expired.text())).toContain("This link is invalid or has expired");
    expect(await snapshotOf()).toEqual(beforeExpired);
    expect((await usersWith("expired@example.org"))[0].email_verified_at).toBeNull();

    for (const path of [
      "/verify-email",
      "/verify-email?token=abc",
      `/verify-email?token=${"A".repeat(43)}`,
    ]) {
      expect((await c.get(path)).status).toBe(400);
    }
    expect((await c.post("/verify-email", { token: "../../etc" })).status).toBe(400);
    expect(await snapshotOf()).toEqual(beforeExpired);
  });

  it("forgot/reset password: same answer for any address; a reset signs out every session", async () => {
    const owner = client();
    await registerVia(owner, "rosalind@example.org", "Rosalind Franklin");
    const laptop = client();
    const phone = client();
    expect((await signInVia(laptop, "rosalind@example.org")).status).toBe(302);
    expect((await signInVia(phone, "rosalind@example.org")).status).toBe(302);
    expect((await laptop.get("/account")).status).toBe(200);

    const c = client();
    const form = await (await c.get("/forgot-password")).text();
    expect(form).toContain(">Email address</label>");
    expect(form).toMatch(/<button type="submit">Send reset link<\/button>/);
    const known = await c.post("/forgot-password", { email: "Rosalind@example.org" });
    const unknown = await c.post("/forgot-password", { email: "nobody-here@example.org" });
    expect(known.status).toBe(302);
    expect(unknown.status).toBe(302);
    expect(known.headers.get("location")).toBe(unknown.headers.get("location"));
    expect(h1(await (await c.get(known.headers.get("location") ?? "")).text())).toBe("Check your email");

    const mail = await smtp.waitFor(
      (m) => m.to.includes("rosalind@example.org") && m.subject === RESET_SUBJECT,
    );
    const link = linkIn(mail.text, "/reset-password");
    const page = await c.get(pathOf(link));
    expect(page.status).toBe(200);
    const pageHtml = await page.text();
    expect(pageHtml).toContain(">New password</label>");
    expect(pageHtml).toMatch(/<button type="submit">Set new password<\/button>/);

    const token = new URL(link).searchParams.get("token") ?? "";
    const weak = await c.post("/reset-password", { token, password: "password123" });
    expect(weak.status).toBe(400);
    expect(alerts(await weak.text())).toEqual(["This password is too common. Choose another one."]);

    const reset = await c.post("/reset-password", { token, password: "a-brand-new-passphrase" });
    expect(reset.status).toBe(302);
    expect(reset.headers.get("location")).toBe("/login?reset=1");
    expect(textOf(await (await c.get("/login?reset=1")).text())).toContain("Your password has been changed");

    const [user] = await usersWith("rosalind@example.org");
    expect(
      await db.selectFrom("sessions").select("id").where("user_id", "=", user.id).execute(),
    ).toHaveLength(0);
    for (const device of [laptop, phone]) {
      const res = await device.get("/account");
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toMatch(/^\/login/);
    }
    expect((await signInVia(client(), "rosalind@example.org")).status).toBe(400);
    expect((await signInVia(client(), "rosalind@example.org", "a-brand-new-passphrase")).status).toBe(302);

    const again = await c.post("/reset-password", { token, password: "yet-another-passphrase" });
    expect(again.status).toBe(400);
    expect(textOf(await again.text())).toContain("This link is invalid or has expired");
    expect((await c.get(pathOf(link))).status).toBe(400);
  });

  it("the session id changes at every sign-in and the old one stops working", async () => {
    const c = client();
    await registerVia(c, "rotate@example.org");
    await signInVia(c, "rotate@example.org");
    const first = c.cookie("wsis_session") ?? "";
    expect(first).not.toBe("");
    await signInVia(c, "rotate@example.org");
    const second = c.cookie("wsis_session") ?? "";
    expect(second).not.toBe("");
    expect(second).not.toBe(first);
    const rows = await db
      .selectFrom("sessions")
      .select("id")
      .where("id", "in", [hashToken(first), hashToken(second)])
      .execute();
    expect(rows.map((r) => r.id)).toEqual([hashToken(second)]);
    // Rows hold hashes, never the cookie value.
    expect(await db.selectFrom("sessions").select("id").where("id", "=", second).execute()).toHaveLength(0);
    const stale = await fetch(`${app.url}/account`, {
      headers: { Cookie: `wsis_session=${first}` },
      redirect: "manual",
    });
    expect(stale.status).toBe(302);
  });

  it("refuses missing, forged and cross-site CSRF with 403 and writes nothing", async () => {
    const c = client();
    await c.get("/register");
    const other = client();
    await other.get("/");
    const fields = { name: "Eve", email: "csrf@example.org", password: STRONG };
    const attempts: Array<[Record<string, string>, Record<string, string>]> = [
      [{ ...fields, _csrf: "" }, {}],
      [{ ...fields, _csrf: "forged.value" }, {}],
      [{ ...fields, _csrf: other.cookie("wsis_csrf") ?? "" }, {}],
      [fields, { Origin: "https://evil.example" }],
      [fields, { "Sec-Fetch-Site": "cross-site" }],
    ];
    for (const [body, headers] of attempts) {
      const res = await c.post("/register", body, headers);
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/refused|expired/);
    }
    expect(await usersWith("csrf@example.org")).toHaveLength(0);

    // Sign-out is state-changing too: without the token the session survives.
    await registerVia(c, "csrf-victim@example.org");
    await signInVia(c, "csrf-victim@example.org");
    expect((await c.post("/logout", { _csrf: "" })).status).toBe(403);
    expect((await c.post("/logout", {}, { Origin: "https://evil.example" })).status).toBe(403);
    expect((await c.get("/account")).status).toBe(200);
    const login = await c.post("/login", { email: "csrf-victim@example.org", password: STRONG, _csrf: "x" });
    expect(login.status).toBe(403);
    expect(sessionCookie(login)).toBeUndefined();
  });

  it("rate-limits sign-in per account with 429, Retry-After and a readable page", async () => {
    const c = client();
    await registerVia(c, "limited@example.org");
    for (let i = 0; i < 10; i++) {
      expect((await signInVia(client(), "limited@example.org", `wrong-password-${i}`)).status).toBe(400);
    }
    // The 11th attempt is refused even with the right password, and whatever the spelling of the address.
    const blocked = await signInVia(client(), "Limited+x@example.org");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    const page = await blocked.text();
    expect(h1(page)).toBe("Too many attempts");
    expect(textOf(page)).toMatch(/Please wait \d+ (seconds|minutes) and try again/);
    expect(sessionCookie(blocked)).toBeUndefined();
  });

  it("a 10 kB address or an oversized body is a 4xx, never a 500, and writes nothing", async () => {
    const c = client();
    const long = `${"a".repeat(10_000)}@example.org`;
    const reg = await c.post("/register", { name: "Long", email: long, password: STRONG });
    expect(reg.status).toBe(400);
    expect(alerts(await reg.text())).toEqual(["An email address has at most 254 characters."]);
    const login = await c.post("/login", { email: long, password: STRONG });
    expect(login.status).toBe(400);
    const forgot = await c.post("/forgot-password", { email: long });
    expect(forgot.status).toBe(400);
    const huge = await c.post("/register", {
      name: "x".repeat(100_000),
      email: "huge@example.org",
      password: STRONG,
    });
    expect(huge.status).toBe(413);
    const empty = await c.post("/register", {});
    expect(empty.status).toBe(400);
    expect(alerts(await empty.text())).toEqual([
      "Enter your full name.",
      "Enter your email address.",
      "Choose a password.",
    ]);
    const weak = await c.post("/register", {
      name: "Weak",
      email: "weak@example.org",
      password: "password123",
    });
    expect(weak.status).toBe(400);
    expect(alerts(await weak.text())).toEqual(["This password is too common. Choose another one."]);
    for (const email of [long, "huge@example.org", "weak@example.org"]) {
      expect(await db.selectFrom("users").select("id").where("email", "=", email).execute()).toHaveLength(0);
    }
  });

  it("a filled honeypot gets the usual answer and nothing is written", async () => {
    const c = client();
    const outboxBefore = await db.selectFrom("outbox").select("id").execute();
    const res = await c.post("/register", {
      name: "Bot",
      email: "bot@example.org",
      password: STRONG,
      fax_number: "http://spam.example",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/register?sent=1");
    expect(await usersWith("bot@example.org")).toHaveLength(0);
    expect(await db.selectFrom("outbox").select("id").execute()).toEqual(outboxBefore);
  });

  it("change of email and of password from the account page", async () => {
    const c = client();
    await registerVia(c, "mover@example.org", "Mo Ver");
    await signInVia(c, "mover@example.org");
    const other = client();
    await signInVia(other, "mover@example.org");

    const wrong = await c.post("/account", {
      intent: "change-email",
      email: "moved@example.org",
      currentPassword: "nope",
    });
    expect(wrong.status).toBe(400);
    expect(alerts(await wrong.text())).toEqual(["Your current password is incorrect."]);
    const asked = await c.post("/account", {
      intent: "change-email",
      email: "moved@example.org",
      currentPassword: STRONG,
    });
    expect(asked.status).toBe(302);
    expect(textOf(await (await c.get("/account")).text())).toContain(
      "You asked to change your address to moved@example.org",
    );
    const mail = await smtp.waitFor(
      (m) =>
        m.to.includes("moved@example.org") &&
        m.subject === "Confirm your new email address for the WSIS Prizes",
    );
    const link = linkIn(mail.text, "/verify-email");
    expect((await c.get(pathOf(link))).status).toBe(200);
    const token = new URL(link).searchParams.get("token") ?? "";
    expect((await c.post("/verify-email", { token })).status).toBe(302);
    expect(textOf(await (await c.get("/account")).text())).toContain("moved@example.org (confirmed)");
    await smtp.waitFor(
      (m) => m.to.includes("mover@example.org") && m.subject === "Your WSIS Prizes email address was changed",
    );

    const changed = await c.post("/account", {
      intent: "change-password",
      currentPassword: STRONG,
      newPassword: "a-brand-new-passphrase",
    });
    expect(changed.status).toBe(302);
    expect((await c.get("/account")).status).toBe(200);
    expect((await other.get("/account")).status).toBe(302);
    expect((await signInVia(client(), "moved@example.org", "a-brand-new-passphrase")).status).toBe(302);

    const nonsense = await c.post("/account", { intent: "frobnicate" });
    expect(nonsense.status).toBe(400);
  });
});
