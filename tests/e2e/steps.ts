/**
 * Page-level steps shared by the Chromium journeys (auth, voting, submission, contest): each one is what a
 * person does on the pages — fill a form, press a button — and waits for what the page answers.
 */
import { expect } from "vitest";
import type { Db } from "../../db/client";
import type { Role } from "../../db/schema";
import { PHASE_LABELS, type Phase } from "../../app/domain/phases";
import { hashPassword } from "../../app/utils/password.server";
import { makeUser } from "../fixtures/contest";
import type { ReceivedMail, SmtpReceiver } from "../helpers/smtp";
import type { Actor } from "./helpers";

/** The password of every account the journeys create. */
export const PASSWORD = "a-long-and-unusual-passphrase-42";

/** `n` words of plain English-looking text. */
export const words = (n: number, seed: string) =>
  Array.from({ length: n }, (_, i) => `${seed}${i % 7 === 0 ? "" : "word"}${i}`).join(" ");

/** A verified account with a name, roles and PASSWORD, created straight in the database. */
export async function makeAccount(db: Db, opts: { email: string; name: string; roles: Role[] }) {
  const user = await makeUser(db, { roles: opts.roles, email: opts.email });
  await db
    .updateTable("users")
    .set({ name: opts.name, password_hash: await hashPassword(PASSWORD) })
    .where("id", "=", user.id)
    .execute();
  return { ...user, name: opts.name };
}

/** The subject of the email that confirms a new account's address. */
export const CONFIRM_SUBJECT = "Confirm your email address for the WSIS Prizes";

/**
 * Fills the registration form already open in the tab (PASSWORD), waits for "Check your email", follows the
 * confirmation link of the email received over SMTP and confirms the address. Returns that email.
 */
export async function registerAndConfirm(
  actor: Actor,
  smtp: SmtpReceiver,
  person: { name: string; email: string },
): Promise<ReceivedMail> {
  const { page } = actor;
  const origin = new URL(page.url()).origin;
  await page.getByLabel("Full name").fill(person.name);
  await page.getByLabel("Email address").fill(person.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { level: 1, name: "Check your email" }).waitFor();

  const mail = await smtp.waitFor(
    (m) => m.to.includes(person.email) && m.subject === CONFIRM_SUBJECT,
    30_000,
  );
  // Links in emails point at APP_URL: the address the browser is on.
  const link = new RegExp(`${origin.replace(/[.]/g, "\\.")}/verify-email\\?token=[^\\s"<>]+`).exec(mail.text);
  expect(link, `no verification link to ${origin} in:\n${mail.text}`).not.toBeNull();
  const confirm = new URL(link?.[0] ?? origin);
  await actor.goto(confirm.pathname + confirm.search);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await page.getByRole("heading", { level: 1, name: "Email address confirmed" }).waitFor();
  await actor.ready();
  return mail;
}

/** Signs in through the login form and waits for the account page. */
export async function signIn(actor: Actor, email: string): Promise<void> {
  const { page } = actor;
  await actor.goto("/login");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/account");
  await expect.poll(() => page.getByText(email).count()).toBeGreaterThan(0);
  await actor.ready();
}

/** Creates an organisation (civil society, Kenya); its contact person is the signed-in submitter. */
export async function createOrganisation(actor: Actor, name: string): Promise<void> {
  const { page } = actor;
  await actor.goto("/organisations/new");
  await page.getByLabel("Name of the organisation").fill(name);
  await page.getByLabel("Stakeholder type").selectOption("civil_society");
  await page.getByLabel("Country", { exact: true }).selectOption("KE");
  await page.getByRole("button", { name: "Create the organisation" }).click();
  await page.waitForURL((url) => /^\/organisations\/\d+$/.test(url.pathname));
  await page.getByText("The organisation has been created.").waitFor();
  await actor.ready();
}

/** Starts a project of `organisation` in the first category (C1) with a title only, and saves the draft. */
export async function saveDraft(actor: Actor, organisation: string, title: string): Promise<void> {
  const { page } = actor;
  await actor.goto("/submissions/new");
  await page.getByRole("heading", { level: 1, name: `New project for ${organisation}` }).waitFor();
  await page.locator('input[name="category_id"]').first().check();
  await page.getByLabel("Project title").fill(title);
  await page.getByRole("button", { name: "Save draft" }).click();
  await page.waitForURL((url) => /^\/submissions\/\d+$/.test(url.pathname) && url.searchParams.has("saved"));
  await page.getByText("Your draft is saved.").waitFor();
  await actor.ready();
}

/** Fills every other answer of the open draft; the short description is `shortDescription`. */
export async function fillAnswers(actor: Actor, shortDescription: string): Promise<void> {
  const { page } = actor;
  await page.getByLabel("Start year").fill("2020");
  await page.locator('input[name="implementation_status"]').first().check();
  await page.getByLabel("Short description").fill(shortDescription);
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
}

/** Presses "Submit project" on a complete draft and waits for the confirmation; returns the project id. */
export async function submitProject(actor: Actor): Promise<number> {
  const { page } = actor;
  await page.getByRole("button", { name: "Submit project" }).click();
  await page.waitForURL(
    (url) => /^\/submissions\/\d+$/.test(url.pathname) && url.searchParams.has("submitted"),
  );
  await page.getByText("Your project is submitted.").waitFor();
  await actor.ready();
  return Number(new URL(page.url()).pathname.split("/").pop());
}

/**
 * The organiser's "Open <phase> now" button on the admin page of edition `year`: it moves the edition's
 * instants so that `phase` opened an hour ago (the app reads the dates on every request).
 */
export async function openPhaseNow(actor: Actor, year: number, phase: Phase): Promise<void> {
  const { page } = actor;
  const label = PHASE_LABELS[phase];
  await actor.goto(`/admin/editions/${year}`);
  await page.getByRole("button", { name: `Open ${label.toLowerCase()} now` }).click();
  await page.getByText(`${label} is now open.`).waitFor();
  const timeline = page.getByRole("listitem").filter({ hasText: `${label}:` });
  await timeline.filter({ hasText: "(open now)" }).waitFor();
  await actor.ready();
}

/** An expert (or organiser) opens `title` from their review queue and nominates it. */
export async function nominate(actor: Actor, title: string): Promise<void> {
  const { page } = actor;
  await actor.goto("/review");
  await page.getByRole("link", { name: title, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
  await actor.ready();
  await page.getByRole("radio", { name: "Nominate" }).check();
  await page.getByRole("button", { name: "Save decision" }).click();
  await page.getByText("Decision saved.").waitFor();
  await page.getByText("Current decision: Nominate").waitFor();
  await actor.ready();
}

/** The organiser publishes the nominee list of edition `year` (the link, then the confirmation). */
export async function publishNominees(actor: Actor, year: number): Promise<void> {
  const { page } = actor;
  await actor.goto(`/admin/nomination?edition=${year}`);
  await page.getByRole("link", { name: "Publish the nominee list…" }).click();
  await page.getByRole("heading", { name: "Confirm publication" }).waitFor();
  await actor.ready();
  await page.getByRole("button", { name: "Publish the nominee list now" }).click();
  await page.getByText("The nominee list was published on").waitFor();
  await actor.ready();
}

/**
 * The public catalogue lists `title` on the page of category `code`, and its project page shows the project
 * (short description first, then the organisation). Returns the project page's path.
 */
export async function expectInCatalogue(
  actor: Actor,
  code: string,
  project: { title: string; organisation: string; shortDescription: string },
): Promise<string> {
  const { page } = actor;
  await actor.goto(`/categories/${code}`);
  const link = page.getByRole("listitem").getByRole("link", { name: project.title, exact: true });
  await link.click();
  await page.waitForURL((url) => /^\/projects\/\d+$/.test(url.pathname));
  await page.getByRole("heading", { level: 1, name: project.title }).waitFor();
  await actor.ready();
  const shortDescription = page.getByRole("region", { name: "Short description" });
  await expect.poll(() => shortDescription.textContent()).toContain(project.shortDescription);
  await page.getByText(project.organisation).first().waitFor();
  return new URL(page.url()).pathname;
}

/** A signed-in voter votes for `title` on the page of category `code` and sees the vote recorded. */
export async function voteFor(actor: Actor, code: string, title: string): Promise<void> {
  const { page } = actor;
  await actor.goto(`/categories/${code}`);
  await page.getByRole("button", { name: `Vote for ${title}` }).click();
  await page.waitForURL((url) => url.pathname === "/votes" && url.searchParams.has("cast"));
  await page.getByText(`Your vote for “${title}” in ${code} is recorded`).waitFor();
  await actor.ready();
}
