import { describe, expect, it } from "vitest";
import { canonicalEmail } from "../../app/domain/email";

describe("canonicalEmail", () => {
  it.each([
    ["Ada@Example.org", "ada@example.org"],
    ["  ada@example.org  ", "ada@example.org"],
    ["ada+wsis@example.org", "ada@example.org"],
    ["ada+wsis+2026@example.org", "ada@example.org"],
    // Outside Gmail dots are significant.
    ["ada.lovelace@example.org", "ada.lovelace@example.org"],
    ["jane.doe@gmail.com", "janedoe@gmail.com"],
    ["J.a.n.e.D.o.e+vote@Gmail.com", "janedoe@gmail.com"],
    ["janedoe@googlemail.com", "janedoe@gmail.com"],
    ["jane.doe+x@GoogleMail.com", "janedoe@gmail.com"],
  ])("%j → %j", (input, expected) => {
    expect(canonicalEmail(input)).toBe(expected);
  });

  it("gives every spelling of one Gmail mailbox the same key", () => {
    const spellings = [
      "janedoe@gmail.com",
      "jane.doe@gmail.com",
      "JaneDoe+prizes@googlemail.com",
      "j.ane.doe@GMAIL.COM",
    ];
    expect(new Set(spellings.map(canonicalEmail))).toEqual(new Set(["janedoe@gmail.com"]));
  });

  it("keeps a leading + (no local part would be left)", () => {
    expect(canonicalEmail("+tag@example.org")).toBe("+tag@example.org");
  });

  it("leaves strings that are not addresses lower-cased and trimmed", () => {
    expect(canonicalEmail(" Not-An-Address ")).toBe("not-an-address");
    expect(canonicalEmail("@example.org")).toBe("@example.org");
  });

  it("uses the last @ to split local part and domain", () => {
    expect(canonicalEmail('"a@b"@Example.org')).toBe('"a@b"@example.org');
  });

  it("is idempotent", () => {
    for (const a of ["Jane.Doe+x@googlemail.com", "ada+x@Example.org", "x@y"]) {
      expect(canonicalEmail(canonicalEmail(a))).toBe(canonicalEmail(a));
    }
  });
});
