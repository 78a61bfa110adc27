import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openActor, startJourneyStack, type JourneyStack } from "./helpers";
import { registerAndConfirm, signIn } from "./steps";

describe("account journey in Chromium: register → email over SMTP → confirm → sign in → sign out", () => {
  let stack: JourneyStack;

  beforeAll(async () => {
    stack = await startJourneyStack();
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
      await actor.goto("/");
      await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
      await actor.shot("home");

      await page.getByRole("navigation").getByRole("link", { name: "Register" }).click();
      await page.waitForURL((url) => url.pathname === "/register");
      await actor.ready();
      await actor.shot("register");
      const mail = await registerAndConfirm(actor, stack.smtp, { name: "Ada Lovelace", email });
      expect(mail.html).toContain("/verify-email?token=");

      await actor.goto("/login");
      await actor.shot("login");
      await signIn(actor, email);
      await actor.shot("account");

      await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL((url) => url.pathname === "/");
      await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
      expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
      await actor.ready();

      const seen = [...actor.problems];

      // Signed out for real: the account page no longer shows the account (its refusal is not a problem).
      await actor.goto("/account");
      expect(await page.getByText(email).count()).toBe(0);
      return seen;
    } finally {
      await actor.close();
    }
  }

  it("works with JavaScript, at 360 px, with no console errors or failed requests", async () => {
    const problems = await journey("ada.js@example.org", { javaScriptEnabled: true, shots: true });
    expect(problems).toEqual([]);
  });

  it("works with JavaScript disabled: every step is a plain form post or link", async () => {
    const problems = await journey("ada.nojs@example.org", { javaScriptEnabled: false, shots: false });
    expect(problems).toEqual([]);
  });
});
