import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setExpertCategories } from "../../app/domain/experts.server";
import { categoryId, makeEdition } from "../fixtures/contest";
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
  words,
} from "./steps";

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

describe("submission journey in Chromium: organisation → draft → word-count error → submit → email → nominated → public", () => {
  let stack: JourneyStack;
  /** Each journey runs in an edition of its own, a year after the previous one (the newest is current). */
  let nextYear = 2101;

  beforeAll(async () => {
    stack = await startJourneyStack();
  });

  afterAll(() => stack?.stop());

  /** Walks the whole journey with JavaScript on or off and returns the problems seen by every actor. */
  async function journey(options: { javaScriptEnabled: boolean; shots: boolean }): Promise<string[]> {
    const { testDb, smtp, app, browser } = stack;
    const tag = options.javaScriptEnabled ? "js" : "nojs";
    // Seeded in the database: an edition whose submission phase is open now, nominee list not published, an
    // organiser, and an expert assigned to C1 for the nomination (the issue names none of these steps).
    const year = nextYear++;
    const edition = await makeEdition(testDb.db, {
      phase: "submission",
      now: new Date(),
      published: false,
      year,
    });
    const email = `lin.${tag}@example.org`;
    await makeAccount(testDb.db, { email, name: "Lin Submitter", roles: ["submitter"] });
    const expert = await makeAccount(testDb.db, {
      email: `ede.${tag}@example.org`,
      name: "Ede Expert",
      roles: ["expert"],
    });
    await setExpertCategories(
      testDb.db,
      null,
      { editionId: edition.id, userId: expert.id, categoryIds: [await categoryId(testDb.db, "C1")] },
      new Date(),
    );
    const organiserEmail = `olu.${tag}@example.org`;
    await makeAccount(testDb.db, { email: organiserEmail, name: "Olu Organiser", roles: ["organiser"] });

    const open = (shots = false) =>
      openActor(browser, app.url, { javaScriptEnabled: options.javaScriptEnabled, shots });
    const actors: Actor[] = [];
    try {
      const submitter = await open(options.shots);
      actors.push(submitter);
      const { page } = submitter;
      await signIn(submitter, email);

      const organisation = `Digital Villages ${tag}`;
      await createOrganisation(submitter, organisation);
      const title = `Community Wi-Fi ${tag}`;
      await saveDraft(submitter, organisation, title);

      // The rest of the answers, with a short description that is far too short.
      await fillAnswers(submitter, words(10, "short"));
      await submitter.shot("submission-form");
      await page.getByRole("button", { name: "Submit project" }).click();
      await page.getByText("The short description needs 150 to 200 words; it has 10.").first().waitFor();
      await submitter.ready();
      await submitter.shot("submission-word-count-error");
      // Refused: not submitted, no email.
      expect(page.url()).not.toContain("submitted=1");
      const mine = () => smtp.messages.filter((m) => m.to.includes(email));
      expect(mine()).toEqual([]);

      const shortDescription = words(160, "desc");
      await page.getByLabel("Short description").fill(shortDescription);
      await submitProject(submitter);
      await submitter.shot("submission-submitted");
      const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === SUBJECT, 30_000);
      expect(mail.text).toContain(title);

      // Not public yet: submitted is not nominated.
      const visitor = await open(options.shots);
      actors.push(visitor);
      await visitor.goto("/categories/C1");
      await visitor.page.getByText("The nominees of the Test edition have not been published yet.").waitFor();
      expect(await visitor.page.getByRole("link", { name: title }).count()).toBe(0);

      // The organiser closes submission by opening the nomination phase on the admin editions page.
      const organiser = await open();
      actors.push(organiser);
      await signIn(organiser, organiserEmail);
      await openPhaseNow(organiser, year, "nomination");

      const reviewer = await open();
      actors.push(reviewer);
      await signIn(reviewer, expert.email);
      await nominate(reviewer, title);

      await publishNominees(organiser, year);
      const nominated = await smtp.waitFor(
        (m) =>
          m.to.includes(email) && m.subject === `Your project “${title}” is nominated for the WSIS Prizes`,
        30_000,
      );
      expect(nominated.text).toContain(organisation);

      await expectInCatalogue(visitor, "C1", { title, organisation, shortDescription });
      await visitor.shot("catalogue-project");
      return actors.flatMap((a) => a.problems);
    } finally {
      for (const a of actors) await a.close();
    }
  }

  it("works with JavaScript, at 360 px, with no console errors or failed requests", async () => {
    const problems = await journey({ javaScriptEnabled: true, shots: true });
    expect(unexpected(problems)).toEqual([]);
  });

  it("works with JavaScript disabled: every step is a plain form post or link", async () => {
    const problems = await journey({ javaScriptEnabled: false, shots: false });
    expect(unexpected(problems)).toEqual([]);
  });
});
