import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../db/schema";
import { scheduleWithPhaseOpen } from "../../app/domain/phases";
import { castVote } from "../../app/domain/voting.server";
import { utcToZonedLocal } from "../../app/domain/zoned-time";
import { INSTANT_FIELDS, instantLabel, type InstantField } from "../../app/schemas/edition";
import { CRITERIA, CRITERION_LABELS } from "../../app/schemas/selection";
import { makeOrganisation, makeProject, makeUser } from "../fixtures/contest";
import { openActor, startJourneyStack, type Actor, type JourneyStack } from "./helpers";
import {
  createOrganisation,
  expectInCatalogue,
  fillAnswers,
  makeAccount,
  nominate,
  openPhaseNow,
  publishNominees,
  saveDraft,
  signIn,
  submitProject,
  voteFor,
  words,
} from "./steps";

/*
 * One journey through a whole edition, every step the issue names clicked in Chromium (JavaScript on, 360 px).
 *
 * Phase changes are the organiser's, on the admin page of the edition: its "Open <phase> now" buttons (they
 * move the ten dates so that the phase opened an hour ago) and, to close voting, the date form itself: no
 * button says "voting has closed, selection not open yet", and the form takes dates to the minute.
 *
 * The close-of-voting tally: the app's BullMQ scheduler runs "live-tally" every second; it enqueues
 * "official-tally" (job id tally-close-<database instance id>-<id>) for an edition once voting_closes_at has passed and no close run
 * exists. Voting is closed with selection still days away, as an organiser would, and the test reloads the
 * organiser's voting page until the worker's run shows there.
 */

const TIME_ZONE = "Europe/Zurich";

/** Waits until `probe` (which reloads a page and reads it) holds; fails after `timeoutMs`. */
async function pollPage(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

describe("the whole contest in Chromium: edition → submission → nomination → vote → tally → jury → results → emails", () => {
  let stack: JourneyStack;
  const actors: Actor[] = [];

  beforeAll(async () => {
    const redisUrl = process.env.TEST_REDIS_URL;
    // The close-of-voting tally is a BullMQ job: this journey needs the real queues, not inline jobs.
    if (!redisUrl) throw new Error("TEST_REDIS_URL is not set: the contest journey needs a real Redis");
    stack = await startJourneyStack({ redisUrl });
    expect(stack.app.logs.join("")).toContain('"redis":"redis"');
  });

  afterAll(async () => {
    for (const a of actors) await a.close();
    await stack?.stop();
  });

  async function actor(shots = false): Promise<Actor> {
    const a = await openActor(stack.browser, stack.app.url, { javaScriptEnabled: true, shots });
    actors.push(a);
    return a;
  }

  /** Types `instants` into the edition form's datetime fields, as wall-clock time in TIME_ZONE. */
  async function fillInstants(a: Actor, instants: Partial<Record<InstantField, string | Date>>) {
    for (const field of INSTANT_FIELDS) {
      const at = instants[field];
      if (at !== undefined) await a.page.getByLabel(instantLabel(field)).fill(utcToZonedLocal(at, TIME_ZONE));
    }
  }

  /** Row cells of the table whose header has `column`, for the row that mentions `text`. */
  function rowCells(a: Actor, column: string, text: string) {
    return a.page
      .getByRole("table")
      .filter({ has: a.page.getByRole("columnheader", { name: column, exact: true }) })
      .getByRole("row")
      .filter({ hasText: text })
      .getByRole("cell")
      .allTextContents();
  }

  it("runs from an empty platform to published results and award emails", async () => {
    const { testDb, smtp, app } = stack;
    const db = testDb.db;
    const year = new Date().getUTCFullYear() + 1;
    const editionName = `WSIS Prizes ${year}`;
    const account = (role: Role, email: string, name: string) =>
      makeAccount(db, { email, name, roles: [role] });
    const organiserUser = await account("organiser", "olga@example.org", "Olga Organiser");
    const expertUser = await account("expert", "esther@example.org", "Esther Expert");
    const submitterUser = await account("submitter", "sam@example.org", "Sam Submitter");
    const voterUser = await account("voter", "vic@example.org", "Vic Voter");

    // 1. The organiser sets up the edition: its dates (submission open now), then the experts' categories.
    const organiser = await actor(true);
    await signIn(organiser, organiserUser.email);
    await organiser.goto("/admin/editions");
    const form = organiser.page.getByRole("form", { name: "New edition" });
    await form.getByLabel("Year").fill(String(year));
    await form.getByLabel("Name", { exact: true }).fill(editionName);
    await form.getByLabel("Time zone").fill(TIME_ZONE);
    await fillInstants(organiser, scheduleWithPhaseOpen("submission", new Date()));
    await organiser.shot("contest-new-edition");
    await form.getByRole("button", { name: "Create edition" }).click();
    await organiser.page.getByText(`Edition ${year} created.`).waitFor();
    await organiser.ready();
    const edition = await db
      .selectFrom("editions")
      .selectAll()
      .where("year", "=", year)
      .executeTakeFirstOrThrow();
    expect(edition.name).toBe(editionName);

    const category = await db
      .selectFrom("categories")
      .select("name")
      .where("code", "=", "C1")
      .executeTakeFirstOrThrow();
    // The expert reviews C1 for the nomination (Experts page) and scores it for the selection (Selection page).
    for (const [path, button] of [
      ["/admin/experts", "Save the categories of Esther Expert"],
      ["/admin/selection", "Save the selection categories of Esther Expert"],
    ]) {
      await organiser.goto(`${path}?edition=${year}`);
      const card = organiser.page.locator(`#expert-${expertUser.id}`);
      await card.getByRole("checkbox", { name: category.name }).check();
      await card.getByRole("button", { name: button }).click();
      await organiser.page.getByText("Assignments of Esther Expert saved.").waitFor();
      await organiser.ready();
    }

    // Five other organisations' projects in C1, already nominated (fixtures: the issue names no step for them).
    const rivals: Array<{ id: number; title: string; contact: string }> = [];
    for (const name of ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]) {
      const organisation = await makeOrganisation(db, { name: `${name} Foundation` });
      const project = await makeProject(db, {
        editionId: edition.id,
        categoryCode: "C1",
        organisationId: organisation.id,
        title: `${name} Connect`,
      });
      rivals.push({ id: project.id, title: project.title, contact: organisation.contact_email });
    }

    // 2. A submitter submits.
    const submitter = await actor();
    await signIn(submitter, submitterUser.email);
    const organisation = "Digital Villages";
    const title = "Community Wi-Fi for Digital Villages";
    const shortDescription = words(160, "desc");
    await createOrganisation(submitter, organisation);
    await saveDraft(submitter, organisation, title);
    await fillAnswers(submitter, shortDescription);
    const projectId = await submitProject(submitter);
    await smtp.waitFor(
      (m) => m.to.includes(submitterUser.email) && m.subject === `Project submitted to the ${editionName}`,
    );

    // 3. Submission closes; an expert nominates; the organiser publishes the nominee list.
    await openPhaseNow(organiser, year, "nomination");
    const expert = await actor(true);
    await signIn(expert, expertUser.email);
    await nominate(expert, title);
    await publishNominees(organiser, year);
    const visitor = await actor(true);
    await expectInCatalogue(visitor, "C1", { title, organisation, shortDescription });

    // 4. Public voting: one voter in the browser, more voters straight in the database so the tally has an
    // order: the project 1 + 4 votes, then Alpha 4, Bravo 3, Charlie 2, Delta 1, Echo none.
    await openPhaseNow(organiser, year, "voting");
    const voter = await actor();
    await signIn(voter, voterUser.email);
    await voteFor(voter, "C1", title);
    let ip = 1;
    const extraVotes: Array<[number, number]> = [
      [projectId, 4],
      [rivals[0].id, 4],
      [rivals[1].id, 3],
      [rivals[2].id, 2],
      [rivals[3].id, 1],
    ];
    for (const [id, n] of extraVotes) {
      for (let i = 0; i < n; i++) {
        const outcome = await castVote(
          db,
          { voter: await makeUser(db), roles: ["voter"], projectId: id, ip: `198.51.100.${ip++}` },
          new Date(),
        );
        expect(outcome).toMatchObject({ ok: true });
      }
    }

    // 5. Voting closes: the organiser sets its closing date to now (to the minute, as the form takes it).
    // Selection stays 13 days away, the gap in which the per-second live-tally job notices the close and
    // enqueues the official tally; the organiser's voting page shows it once the worker has run.
    await organiser.goto(`/admin/voting?edition=${year}&category=C1`);
    await organiser.page
      .getByText("No tally yet. The official tally runs automatically when voting closes.")
      .waitFor();
    await organiser.goto(`/admin/editions/${year}`);
    await fillInstants(organiser, { voting_closes_at: new Date() });
    await organiser.page.getByRole("button", { name: "Save edition" }).click();
    await organiser.page.getByText("The edition was saved.").waitFor();
    await organiser.ready();
    await pollPage("the official tally at the close of voting", async () => {
      await organiser.goto(`/admin/voting?edition=${year}&category=C1`);
      return (await organiser.page.getByRole("cell", { name: "At close of voting" }).count()) > 0;
    });
    await organiser.shot("contest-tally");
    // Rank, project, valid votes, cast votes, status: the top five are the champions, Echo is not.
    const tally = [
      ["1", title, "5", "5", "Champion"],
      ...rivals.map((r, i) => [
        String(i + 2),
        r.title,
        String(4 - i),
        String(4 - i),
        i < 4 ? "Champion" : "",
      ]),
    ];
    for (const expected of tally) expect(await rowCells(organiser, "Status", expected[1])).toEqual(expected);

    // 6. Selection: the expert scores the five champions on the jury pages and submits the category.
    await openPhaseNow(organiser, year, "selection");
    await expert.goto("/jury");
    const juryRows = expert.page.locator("#category-C1").getByRole("row");
    await expect.poll(() => juryRows.count()).toBe(6);
    await expert.shot("contest-jury");
    const scored = [title, ...rivals.slice(0, 4).map((r) => r.title)];
    for (const [i, name] of scored.entries()) {
      await expert.page.getByRole("link", { name, exact: true }).click();
      await expert.page.getByRole("heading", { level: 1, name }).waitFor();
      await expert.ready();
      for (const c of CRITERIA) {
        await expert.page
          .getByRole("combobox", { name: CRITERION_LABELS[c], exact: true })
          .selectOption(String(9 - i));
      }
      await expert.page.getByLabel("Comment").fill(`Scored ${9 - i} on every criterion.`);
      await expert.page.getByRole("button", { name: "Save score" }).click();
      await expert.page.getByText("Score saved: this project is scored.").waitFor();
      await expert.ready();
      await expert.page.getByRole("link", { name: "Back to your categories" }).click();
      await expert.page.getByRole("heading", { level: 1, name: `Jury — ${editionName}` }).waitFor();
      await expert.ready();
    }
    await expect.poll(() => expert.page.getByText("Scored 5 of 5").count()).toBe(1);
    await expert.page.getByRole("button", { name: "Submit my scores for C1" }).click();
    await expert.page.getByText("Your scores for C1 are submitted and final.").waitFor();
    await expert.ready();

    // 7. The organiser reads the scores, confirms the winner, opens the announcement and publishes.
    await organiser.goto(`/admin/selection?edition=${year}&category=C1`);
    const row = organiser.page.locator(`#project-${projectId}`);
    const cells = await row.getByRole("cell").allTextContents();
    expect(cells[3]).toBe("9.00 (1)");
    await row.getByRole("button", { name: "Confirm as winner" }).click();
    await organiser.page.getByText("Winner confirmed.").waitFor();
    await organiser.ready();
    await organiser.shot("contest-selection");

    await openPhaseNow(organiser, year, "announcement");
    await organiser.goto(`/admin/results?edition=${year}`);
    await organiser.page.getByText("Every category is ready.").waitFor();
    await organiser.page.getByRole("link", { name: "Publish the results…" }).click();
    await organiser.page.getByRole("button", { name: "Publish the results now" }).click();
    await organiser.page.getByText("The results were published on").waitFor();
    await organiser.ready();

    // 8. The emails arrive over SMTP: winner and champion for the project, champion for each other champion.
    const winnerMail = await smtp.waitFor(
      (m) => m.to.includes(submitterUser.email) && m.subject === `WSIS Prizes ${year} Winner: ${title}`,
      30_000,
    );
    expect(winnerMail.text).toContain(`${app.url}/projects/${projectId}`);
    await smtp.waitFor(
      (m) => m.to.includes(submitterUser.email) && m.subject === `WSIS Prizes ${year} Champion: ${title}`,
      30_000,
    );
    for (const r of rivals.slice(0, 4)) {
      const mail = await smtp.waitFor(
        (m) => m.to.includes(r.contact) && m.subject === `WSIS Prizes ${year} Champion: ${r.title}`,
        30_000,
      );
      expect(mail.text).toContain(`${app.url}/projects/${r.id}`);
    }
    const awards = smtp.messages.filter((m) => m.subject.startsWith(`WSIS Prizes ${year} `));
    expect(awards).toHaveLength(6);
    expect(awards.some((m) => m.to.includes(rivals[4].contact))).toBe(false);
    await pollPage("the delivery panel", async () => {
      await organiser.goto(`/admin/results?edition=${year}`);
      return (await organiser.page.getByText("6 of 6 emails handled").count()) === 1;
    });
    await organiser.shot("contest-results-admin");

    // 9. The public results page names the winner and the champions; the project page shows its badge.
    await visitor.goto("/results");
    await visitor.page.getByRole("heading", { level: 1, name: `Results of the ${editionName}` }).waitFor();
    const c1 = visitor.page.locator('section[aria-labelledby="category-C1"]');
    const [winners, others] = await Promise.all(
      [0, 1].map((i) => c1.getByRole("list").nth(i).getByRole("link").allTextContents()),
    );
    expect(winners).toEqual([title]);
    expect(others).toEqual(rivals.slice(0, 4).map((r) => r.title));
    await visitor.shot("contest-results");
    await c1.getByRole("link", { name: title }).click();
    await visitor.page.getByText(`WSIS Prizes ${year} Winner`, { exact: true }).waitFor();
    await visitor.ready();

    expect(actors.flatMap((a) => a.problems)).toEqual([]);
  });
});
