import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";

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
