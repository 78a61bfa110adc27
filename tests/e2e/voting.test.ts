import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEdition, makeProject } from "../fixtures/contest";
import { openActor, startJourneyStack, type JourneyStack } from "./helpers";
import { registerAndConfirm, signIn, voteFor } from "./steps";

describe("voting journey in Chromium: register → confirm by email → vote in two categories → my votes", () => {
  let stack: JourneyStack;
  const titles = { c1a: "Rural Fibre Alpha", c1b: "Rural Fibre Beta", c2a: "Open Data Gamma" };

  beforeAll(async () => {
    stack = await startJourneyStack();
    // An edition whose voting is open now, nominees published in C1 and C2 (the app reads them per request).
    const { db } = stack.testDb;
    const edition = await makeEdition(db, { phase: "voting", now: new Date() });
    await makeProject(db, { editionId: edition.id, categoryCode: "C1", title: titles.c1a });
    await makeProject(db, { editionId: edition.id, categoryCode: "C1", title: titles.c1b });
    await makeProject(db, { editionId: edition.id, categoryCode: "C2", title: titles.c2a });
  });

  afterAll(() => stack?.stop());

  /** Walks the whole journey in a tab of its own and returns the problems seen; screenshots when `shots`. */
  async function journey(
    email: string,
    options: { javaScriptEnabled: boolean; shots: boolean },
  ): Promise<string[]> {
    const actor = await openActor(stack.browser, stack.app.url, options);
    const { page } = actor;
    try {
      await actor.goto("/register");
      await registerAndConfirm(actor, stack.smtp, { name: "Grace Hopper", email });
      await signIn(actor, email);

      // First vote: C1.
      await actor.goto("/categories/C1");
      await actor.shot("vote-category-c1");
      await voteFor(actor, "C1", titles.c1a);
      await page.getByText("You have voted in 1 of 18 categories").waitFor();
      expect(await page.getByText(`Your vote for “${titles.c1a}” in C1 is recorded`).count()).toBe(1);
      await actor.shot("vote-recorded-1");

      // Second vote: C2.
      await voteFor(actor, "C2", titles.c2a);
      await page.getByText("You have voted in 2 of 18 categories").waitFor();
      await actor.shot("vote-recorded-2");

      // Back on C1: the vote is shown on the chosen nominee, and no nominee can be voted for any more.
      await actor.goto("/categories/C1");
      await page.getByText("Your vote is for this project").waitFor();
      expect(await page.getByText("Your vote is for this project").count()).toBe(1);
      expect(await page.getByRole("button", { name: `Vote for ${titles.c1b}` }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Vote for / }).count()).toBe(0);
      await actor.shot("vote-category-c1-voted");

      return [...actor.problems];
    } finally {
      await actor.close();
    }
  }

  it("works with JavaScript, at 360 px, with no console errors or failed requests", async () => {
    const problems = await journey("grace.js@example.org", { javaScriptEnabled: true, shots: true });
    expect(problems).toEqual([]);
  });

  it("works with JavaScript disabled: every step is a plain form post or link", async () => {
    const problems = await journey("grace.nojs@example.org", { javaScriptEnabled: false, shots: false });
    expect(problems).toEqual([]);
  });
});
