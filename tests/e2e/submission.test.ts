import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../app/utils/password.server";
import { startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";
import { makeEdition, makeUser } from "../fixtures/contest";
import { PHONE, freePort, launchChromium, screenshot, watchPage } from "./helpers";

const PASSWORD = "a-long-and-unusual-passphrase-42";
const SUBJECT = "Project submitted to the Test edition";

/**
 * The refused submission answers 400 with the form and its field errors: that response (and the browser's
 * console note about it) is expected, not a problem.
 */
const unexpected = (problems: string[]) =>
  problems.filter(
    (p) =>
      !/^HTTP 400 for POST .*\/submissions\/\d+/.test(p) &&
      !/^console error on .*\/submissions\/\d+\S*: Failed to load resource: .* 400 \(Bad Request\)$/.test(p),
  );

/** `n` words of plain English-looking text. */
const words = (n: number, seed: string) =>
  Array.from({ length: n }, (_, i) => `${seed}${i % 7 === 0 ? "" : "word"}${i}`).join(" ");

describe("submission journey in Chromium: organisation → draft → word-count error → submit → email", () => {
  let testDb: TestDb;
  let smtp: SmtpReceiver;
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    testDb = await createTestDb("sqlite");
    // Seeded before the app starts: an edition whose submission phase is open now.
    await makeEdition(testDb.db, { phase: "submission", now: new Date() });
    smtp = await startSmtp();
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

  /** A verified submitter with a known password, created straight in the database. */
  async function submitter(email: string) {
    const user = await makeUser(testDb.db, { roles: ["submitter"], email });
    await testDb.db
      .updateTable("users")
      .set({ password_hash: await hashPassword(PASSWORD) })
      .where("id", "=", user.id)
      .execute();
    return user;
  }

  async function journey(
    context: BrowserContext,
    email: string,
    options: { javaScriptEnabled: boolean; shots: boolean },
  ): Promise<string[]> {
    await submitter(email);
    const page: Page = await context.newPage();
    const { problems } = watchPage(page, { javaScriptEnabled: options.javaScriptEnabled });
    const shot = (name: string) => (options.shots ? screenshot(page, name) : Promise.resolve(""));
    const ready = async () => {
      if (!options.javaScriptEnabled) return;
      await page.waitForFunction(() => "__remixRouter" in window);
      await page.waitForLoadState("networkidle");
    };
    // After a client-side navigation "networkidle" is already reached: wait for Remix's follow-up requests
    // (route discovery) to finish before page.goto, which would abort them and count as failed requests.
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

    await page.goto(app.url + "/login");
    await ready();
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app.url}/account`);
    await expect.poll(() => page.getByText(email).count()).toBeGreaterThan(0);
    await ready();
    await settled();

    // The organisation.
    const orgName = `Digital Villages ${options.javaScriptEnabled ? "JS" : "NoJS"}`;
    await page.goto(app.url + "/organisations/new");
    await ready();
    await page.getByLabel("Name of the organisation").fill(orgName);
    await page.getByLabel("Stakeholder type").selectOption("civil_society");
    await page.getByLabel("Country", { exact: true }).selectOption("KE");
    await page.getByRole("button", { name: "Create the organisation" }).click();
    await page.waitForURL((url) => /^\/organisations\/\d+$/.test(url.pathname));
    await page.getByText("The organisation has been created.").waitFor();
    await ready();
    await settled();

    // A draft with a category and a title only.
    await page.goto(app.url + "/submissions/new");
    await page.getByRole("heading", { level: 1, name: `New project for ${orgName}` }).waitFor();
    await ready();
    const title = `Community Wi-Fi ${options.javaScriptEnabled ? "JS" : "NoJS"}`;
    await page.locator('input[name="category_id"]').first().check();
    await page.getByLabel("Project title").fill(title);
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForURL(
      (url) => /^\/submissions\/\d+$/.test(url.pathname) && url.searchParams.has("saved"),
    );
    await page.getByText("Your draft is saved.").waitFor();
    await ready();

    // The rest of the answers, with a short description that is far too short.
    await page.getByLabel("Start year").fill("2020");
    await page.locator('input[name="implementation_status"]').first().check();
    await page.getByLabel("Short description").fill(words(10, "short"));
    await page.locator('input[name="sdgs"]').first().check();
    await page.locator('input[name="gdc_objectives"]').first().check();
    for (const label of [
      "Linkage to the Action Line",
      "Linkage to the Sustainable Development Goals",
      "Linkage to the Global Digital Compact objectives",
    ]) {
      await page.getByLabel(label).fill(words(60, "answer"));
    }
    for (const name of ["impact", "partnerships", "challenges"]) {
      await page.locator(`textarea[name="${name}"]`).fill(words(60, name));
    }
    await shot("submission-form");
    await page.getByRole("button", { name: "Submit project" }).click();
    await page.getByText("The short description needs 150 to 200 words; it has 10.").first().waitFor();
    await ready();
    await shot("submission-word-count-error");
    // Refused: not submitted, no email.
    expect(page.url()).not.toContain("submitted=1");
    const mine = () => smtp.messages.filter((m) => m.to.includes(email));
    expect(mine()).toEqual([]);

    await page.getByLabel("Short description").fill(words(160, "desc"));
    await page.getByRole("button", { name: "Submit project" }).click();
    await page.waitForURL(
      (url) => /^\/submissions\/\d+$/.test(url.pathname) && url.searchParams.has("submitted"),
    );
    await page.getByText("Your project is submitted.").waitFor();
    await ready();
    await settled();
    await shot("submission-submitted");

    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === SUBJECT, 30_000);
    expect(mail.text).toContain(title);

    const seen = [...problems];
    await page.close();
    return seen;
  }

  it("works with JavaScript, at 360 px, with no console errors or failed requests", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    try {
      const problems = await journey(context, "lin.js@example.org", { javaScriptEnabled: true, shots: true });
      // The refused submission answers 400: that is the expected field-error response, not a problem.
      expect(unexpected(problems)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("works with JavaScript disabled: every step is a plain form post or link", async () => {
    const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
    try {
      const problems = await journey(context, "lin.nojs@example.org", {
        javaScriptEnabled: false,
        shots: false,
      });
      expect(unexpected(problems)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
