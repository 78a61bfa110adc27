import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
import { startApp, type RunningApp } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { startSmtp, type SmtpReceiver } from "../helpers/smtp";

/** Debian's Chromium (apt-get install chromium). We never download a browser build of our own. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Where e2e screenshots go (gitignored with the rest of var/). */
export const SCREENSHOT_DIR = "var/screenshots";

/** The small-phone viewport every page must be usable at. */
export const PHONE = { width: 360, height: 740 };

/**
 * Launches headless Debian Chromium through playwright-core. Playwright's launch() gives the browser a fresh,
 * temporary user-data-dir of its own and removes it on close; the flags keep it quiet and offline apart from
 * the app under test.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's Chromium (apt-get install chromium).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the app is then started on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/**
 * Records what a person would notice as broken: console errors (CSP violations among them), uncaught page
 * errors, requests that failed and responses with an error status. Read `problems` at the end of a test.
 * With JavaScript disabled, Chromium refuses the page's script requests itself (reported as "csp"): those
 * are the browser's doing, not the app's, and are not counted.
 */
export function watchPage(page: Page, options: { javaScriptEnabled?: boolean } = {}): { problems: string[] } {
  const scriptsBlocked = options.javaScriptEnabled === false;
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
  page.on("requestfailed", (req) => {
    const blockedScript =
      scriptsBlocked && req.failure()?.errorText === "csp" && new URL(req.url()).pathname.endsWith(".js");
    if (blockedScript) return;
    problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText ?? "unknown"})`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  });
  return { problems };
}

/** Saves a full-page screenshot as var/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = `${SCREENSHOT_DIR}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * One person's browser tab in a journey: their own context (cookies) at 360 px, with or without JavaScript,
 * every problem they would notice recorded (see watchPage).
 */
export interface Actor {
  readonly page: Page;
  readonly problems: string[];
  /** With JavaScript: waits until Remix has hydrated the page, so clicks go through its own handlers. */
  ready(): Promise<void>;
  /**
   * Opens `path` of the app as if typed in the address bar. With JavaScript it first waits until no request
   * has been in flight for a moment: after a client-side navigation Remix fetches route manifests for the new
   * links (debounced by 100 ms), and leaving before they finish would abort them (counted as failed requests).
   */
  goto(path: string): Promise<void>;
  /** A full-page screenshot (var/screenshots/<name>.png) when this actor takes them. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens a fresh context and tab for one actor of a journey against the app at `baseUrl`. */
export async function openActor(
  browser: Browser,
  baseUrl: string,
  options: { javaScriptEnabled: boolean; shots?: boolean },
): Promise<Actor> {
  const { javaScriptEnabled } = options;
  const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled });
  const page = await context.newPage();
  const { problems } = watchPage(page, { javaScriptEnabled });
  let inFlight = 0;
  let started = 0;
  page.on("request", () => {
    inFlight++;
    started++;
  });
  page.on("requestfinished", () => inFlight--);
  page.on("requestfailed", () => inFlight--);
  const ready = async () => {
    if (!javaScriptEnabled) return;
    await page.waitForFunction(() => "__remixRouter" in window);
    await page.waitForLoadState("networkidle");
  };
  const settled = async () => {
    if (!javaScriptEnabled) return;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const before = started;
      await page.waitForTimeout(250);
      if (inFlight === 0 && started === before) return;
      if (Date.now() > deadline) throw new Error(`${inFlight} request(s) still in flight on ${page.url()}`);
    }
  };
  return {
    page,
    problems,
    ready,
    async goto(path) {
      await settled();
      await page.goto(baseUrl + path);
      await ready();
    },
    async shot(name) {
      if (options.shots) await screenshot(page, name);
    },
    close: () => context.close(),
  };
}

/** Everything a journey runs against; stop() ends it all (also after a half-finished start). */
export interface JourneyStack {
  testDb: TestDb;
  smtp: SmtpReceiver;
  app: RunningApp;
  browser: Browser;
  stop(): Promise<void>;
}

/**
 * A fresh SQLite database, an SMTP receiver, the built app on a port known beforehand (links in emails point at
 * APP_URL) with its jobs on `redisUrl` (default: TEST_REDIS_URL, else inline), and Chromium.
 */
export async function startJourneyStack(options: { redisUrl?: string } = {}): Promise<JourneyStack> {
  const started: Partial<JourneyStack> = {};
  const stop = async () => {
    await started.browser?.close();
    await started.app?.stop();
    await started.smtp?.stop();
    await started.testDb?.cleanup();
  };
  try {
    const testDb = (started.testDb = await createTestDb("sqlite"));
    const smtp = (started.smtp = await startSmtp());
    const port = await freePort();
    const app = (started.app = await startApp({
      databaseUrl: testDb.url,
      smtpUrl: smtp.url,
      redisUrl: options.redisUrl,
      env: { PORT: String(port), APP_URL: `http://127.0.0.1:${port}` },
    }));
    const browser = (started.browser = await launchChromium());
    return { testDb, smtp, app, browser, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
