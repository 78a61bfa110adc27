import { chromium } from "playwright-core";
import { createUser } from "../../app/domain/users.server";
import { startApp } from "../helpers/app";
import { createTestDb } from "../helpers/db";

const t = await createTestDb("sqlite");
await createUser({ email: "e2e@example.org", name: "E2E", password: "correct horse battery staple 42", roles: [], verified: true, now: new Date() }, t.db);
const app = await startApp({ databaseUrl: t.url, redisUrl: "redis://127.0.0.1:6379" });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
const page = await browser.newPage({ viewport: { width: 360, height: 800 } });
const errors: string[] = [];
page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(m.text()); });
page.on("pageerror", (e) => errors.push(String(e)));
try {
  await page.goto(`${app.url}/organisations/new`);
  await page.fill("#f-email", "e2e@example.org");
  await page.fill("#f-password", "correct horse battery staple 42");
  await page.click("button[type=submit]:has-text('Sign in')");
  await page.waitForURL(/organisations\/new/);
  await page.fill("#f-name", "<b>Browser</b> Org");
  await page.selectOption("#f-stakeholderType", "government");
  await page.selectOption("#f-country", "BR");
  console.log("region after BR:", await page.inputValue("#f-region"));
  await page.selectOption("#f-country", "MD");
  console.log("region after MD:", await page.inputValue("#f-region"));
  await page.selectOption("#f-region", "");
  await page.click("button:has-text('Create the organisation')");
  await page.waitForSelector("#f-region-error");
  console.log("region error:", await page.textContent("#f-region-error"));
  console.log("name kept:", await page.inputValue("#f-name"));
  await page.selectOption("#f-region", "europe");
  await page.click("button:has-text('Create the organisation')");
  await page.waitForURL(/organisations\/\d+\?created=1/);
  console.log("h1:", await page.textContent("h1"));
  await page.screenshot({ path: "/tmp/e2echeck/org.png", fullPage: true });
  console.log("scrollWidth", await page.evaluate(() => document.documentElement.scrollWidth));
} finally {
  console.log("console errors:", errors);
  await browser.close();
  await app.stop();
  await t.cleanup();
}
