import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { makeEdition, makeProject } from "../fixtures/contest";
import { PHONE, freePort, launchChromium, screenshot, watchPage } from "./helpers";

const PASSWORD = "a-long-and-unusual-passphrase-42";
const SUBJECT = "Confirm your email address for the WSIS Prizes";

describe("voting journey in Chromium: register → confirm by email → vote in two categories → my votes", () => {
  let testDb: TestDb;
  let smtp: SmtpReceiver;
  let app: RunningApp;
  let browser: Browser;
  const titles = { c1a: "Rural Fibre Alpha", c1b: "Rural Fibre Beta", c2a: "Open Data Gamma" };

  beforeAll(async () => {
    testDb = await createTestDb("sqlite");
    // Seeded before the app starts: an edition whose voting is open now, nominees published in C1 and C2.
    const edition = await makeEdition(testDb.db, { phase: "voting", now: new Date() });
    await makeProject(testDb.db, { editionId: edition.id, categoryCode: "C1", title: titles.c1a });
    await makeProject(testDb.db, { editionId: edition.id, categoryCode: "C1", title: titles.c1b });
    await makeProject(testDb.db, { editionId: edition.id, categoryCode: "C2", title: titles.c2a });
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
    // After a client-side navigation "networkidle" is already reached, so wait for Remix's own follow-up
    // requests (route discovery for the new links) to finish before leaving with page.goto, which would
    // abort them and count as failed requests.
    let inFlight = 0;
    page.on("request", () => inFlight++);
    page.on("requestfinished", () => inFlight--);
    page.on("requestfailed", () => inFlight--);
    const settled = async () => {
      if (!options.javaScriptEnabled) return;
      await expect
        .poll(async () => {
          await page.waitForTimeout(300);
          return inFlight;
        })
        .toBe(0);
    };

    await page.goto(app.url + "/register");
    await ready();
    await page.getByLabel("Full name").fill("Grace Hopper");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { level: 1, name: "Check your email" }).waitFor();

    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === SUBJECT, 30_000);
    const link = new RegExp(`${app.url.replace(/[.]/g, "\\.")}/verify-email\\?token=[^\\s"<>]+`).exec(
      mail.text,
    );
    expect(link, `no verification link to ${app.url} in:\n${mail.text}`).not.toBeNull();

    await page.goto(link?.[0] ?? "");
    await ready();
    await page.getByRole("button", { name: "Confirm my email address" }).click();
    await page.getByRole("heading", { level: 1, name: "Email address confirmed" }).waitFor();

    await page.goto(app.url + "/login");
    await ready();
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app.url}/account`);
    await expect.poll(() => page.getByText(email).count()).toBeGreaterThan(0);
    await ready();
    await settled();

    // First vote: C1.
    await page.goto(app.url + "/categories/C1");
    await ready();
    await shot("vote-category-c1");
    await page.getByRole("button", { name: `Vote for ${titles.c1a}` }).click();
    await page.waitForURL((url) => url.pathname === "/votes" && url.searchParams.has("cast"));
    await ready();
    await page.getByText("is recorded").waitFor();
    await page.getByText("You have voted in 1 of 18 categories").waitFor();
    expect(await page.getByText(`Your vote for “${titles.c1a}” in C1 is recorded`).count()).toBe(1);
    await shot("vote-recorded-1");

    // Second vote: C2.
    await page.goto(app.url + "/categories/C2");
    await ready();
    await page.getByRole("button", { name: `Vote for ${titles.c2a}` }).click();
    await page.waitForURL((url) => url.pathname === "/votes" && url.searchParams.has("cast"));
    await ready();
    await page.getByText("is recorded").waitFor();
    await page.getByText("You have voted in 2 of 18 categories").waitFor();
    await shot("vote-recorded-2");

    // Back on C1: the vote is shown on the chosen nominee, and no nominee can be voted for any more.
    await page.goto(app.url + "/categories/C1");
    await ready();
    await page.getByText("Your vote is for this project").waitFor();
    expect(await page.getByText("Your vote is for this project").count()).toBe(1);
    expect(await page.getByRole("button", { name: `Vote for ${titles.c1b}` }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Vote for / }).count()).toBe(0);
    await shot("vote-category-c1-voted");

    const seen = [...problems];
    await page.close();
    return seen;
  }

  it("works with JavaScript, at 360 px, with no console errors or failed requests", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    try {
      const problems = await journey(context, "grace.js@example.org", {
        javaScriptEnabled: true,
        shots: true,
      });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("works with JavaScript disabled: every step is a plain form post or link", async () => {
    const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
    try {
      const problems = await journey(context, "grace.nojs@example.org", {
        javaScriptEnabled: false,
        shots: false,
      });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
