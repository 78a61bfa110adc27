import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetEnvCache } from "../../app/utils/env.server";
import { safeRedirect } from "../../app/utils/request.server";

const saved = process.env.APP_URL;
beforeAll(() => {
  process.env.APP_URL = "https://prizes.example.org";
  resetEnvCache();
});
afterAll(() => {
  if (saved === undefined) delete process.env.APP_URL;
  else process.env.APP_URL = saved;
  resetEnvCache();
});

/** Where a browser would go from a page of the app when it follows `Location: location`. */
function browserTarget(location: string): string {
  return new URL(location, "https://prizes.example.org/login").origin;
}

describe("safeRedirect: only same-origin paths, normalised", () => {
  it.each([
    ["/account", "/account"],
    ["/projects/12?tab=votes#top", "/projects/12?tab=votes#top"],
    ["/a/../account", "/account"],
    ["/search?q=caf%C3%A9", "/search?q=caf%C3%A9"],
    ["/%E3%80%82", "/%E3%80%82"],
    ["/。", "/%E3%80%82"],
    ["/categories?q=a b", "/categories?q=a%20b"],
  ])("keeps %j as %j", (input, expected) => {
    expect(safeRedirect(input)).toBe(expected);
  });

  it.each([
    "//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d%0a/x",
    "/%0D%0ASet-Cookie:%20x=1",
    "/\r\nSet-Cookie: x=1",
    "/%5C/evil.example",
    "/%5c%5cevil.example",
    "/%2509/evil.example",
    "/%252F%252Fevil.example",
    "/%2F/evil.example",
    "/%2F%2Fevil.example",
    "/%00",
    "/\u0000",
    "/\u0085x",
    "/%C2%85x",
    "/.//evil.example",
    "/..//evil.example",
    "/a/..//evil.example",
    "/%2e//evil.example",
    "/%E0%A4%A",
    "/%",
    "/%zz",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
    " /account",
  ])("refuses %j", (input) => {
    expect(safeRedirect(input, "/fallback")).toBe("/fallback");
  });

  it("refuses what is not a string, or too long", () => {
    expect(safeRedirect(`/${"a".repeat(2001)}`, "/fallback")).toBe("/fallback");
    expect(safeRedirect(null)).toBe("/");
    expect(safeRedirect(undefined, "/account")).toBe("/account");
  });

  it("never answers something a browser would resolve to another origin, or that breaks a header", () => {
    const pieces = [
      "/",
      "//",
      "\\",
      "\t",
      "%09",
      "%5C",
      "%2F",
      ".",
      "..",
      "%2e",
      "evil.example",
      "%0d",
      "?",
      "#",
      "@",
      ":",
    ];
    let checked = 0;
    for (const a of pieces)
      for (const b of pieces)
        for (const c of pieces) {
          const out = safeRedirect(`/${a}${b}${c}`, "/fallback");
          expect(browserTarget(out)).toBe("https://prizes.example.org");
          expect(out).toMatch(/^\/(?![/\\])[\x21-\x7e]*$/);
          checked++;
        }
    expect(checked).toBe(pieces.length ** 3);
  });
});
