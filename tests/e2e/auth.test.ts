import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { PHONE, freePort, launchChromium, screenshot, watchPage } from "./helpers";

const PASSWORD = "a-long-and-unusual-passphrase-42";
const SUBJECT = "Confirm your email address for the WSIS Prizes";

describe("account journey in Chromium: register → email over SMTP → confirm → sign in → sign out", () => {
  let testDb: TestDb;
  let smtp: SmtpReceiver;
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    testDb = await createTestDb("sqlite");
    smtp = await startSmtp();
    // Links in emails point at APP_URL, so the app must know its own address before it starts.
    const port = await freePort();
    app = await startApp({
      databaseUrl: testDb.url,
      smtpUrl: smtp.url,
      env: { PORT: String(port), APP_URL: `http://127.0.0.1:${port}` },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await smtp?.stop();
    await testDb?.cleanup();
  });

  /** Walks the whole journey in one browser context and returns the problems seen; screenshots when `shots`. */
  async function journey(
    context: BrowserContext,
    email: string,
    options: { javaScriptEnabled: boolean; shots: boolean },
  ): Promise<string[]> {
    const page: Page = await context.newPage();
    const { problems } = watchPage(page, { javaScriptEnabled: options.javaScriptEnabled });
    const shot = (name: string) => (options.shots ? screenshot(page, name) : Promise.resolve(""));
    // With JavaScript, wait until Remix has hydrated the page, so clicks go through its own handlers.
    const ready = async () => {
      if (!options.javaScriptEnabled) return;
      await page.waitForFunction(() => "__remixRouter" in window);
      await page.waitForLoadState("networkidle");
    };

    await page.goto(app.url + "/");
    await ready();
    await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
    await shot("home");

    await page.getByRole("navigation").getByRole("link", { name: "Register" }).click();
    await page.waitForURL(`${app.url}/register`);
    await ready();
    await shot("register");
    await page.getByLabel("Full name").fill("Ada Lovelace");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { level: 1, name: "Check your email" }).waitFor();

    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === SUBJECT, 30_000);
    const link = new RegExp(`${app.url.replace(/[.]/g, "\\.")}/verify-email\\?token=[^\\s"<>]+`).exec(
      mail.text,
    );
    expect(link, `no verification link to ${app.url} in:\n${mail.text}`).not.toBeNull();
    expect(mail.html).toContain("/verify-email?token=");

    await page.goto(link?.[0] ?? "");
    await ready();
    await page.getByRole("button", { name: "Confirm my email address" }).click();
    await page.getByRole("heading", { level: 1, name: "Email address confirmed" }).waitFor();

    await page.goto(app.url + "/login");
    await ready();
    await shot("login");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app.url}/account`);
    await expect.poll(() => page.getByText(email).count()).toBeGreaterThan(0);
    await ready();
    await shot("account");

    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${app.url}/`);
    await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);

    const seen = [...problems];

    // Signed out for real: the account page no longer shows the account (its refusal is not a problem).
    await page.goto(app.url + "/account");
    expect(await page.getByText(email).count()).toBe(0);
    await page.close();
    return seen;
  }

  it("works with JavaScript, at 360 px, with no console errors or failed requests", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    try {
      const problems = await journey(context, "ada.js@example.org", { javaScriptEnabled: true, shots: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("works with JavaScript disabled: every step is a plain form post or link", async () => {
    const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
    try {
      const problems = await journey(context, "ada.nojs@example.org", {
        javaScriptEnabled: false,
        shots: false,
      });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
