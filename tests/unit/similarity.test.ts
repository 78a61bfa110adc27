import { describe, expect, it } from "vitest";
import {
  isSimilarTitle,
  jaccard,
  NEAR_DUPLICATE_THRESHOLD,
  nearDuplicates,
  projectSimilarity,
  shingles,
  titleSimilarity,
} from "../../app/domain/similarity";

const words = (n: number, prefix = "w") => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");

describe("shingles", () => {
  it("are 3-word windows over normalised text", () => {
    expect([...shingles("Digital, villages: for ALL people!")]).toEqual([
      "digital villages for",
      "villages for all",
      "for all people",
    ]);
  });
  it("make a short text one shingle, and an empty text none", () => {
    expect([...shingles("Two words")]).toEqual(["two words"]);
    expect(shingles("  ... !!! ").size).toBe(0);
  });
  it("ignore case, punctuation, white space and accents", () => {
    expect(shingles("Café  connecté\npour tous")).toEqual(shingles("cafe connecte — POUR tous"));
  });
});

describe("jaccard", () => {
  it("is |A∩B| / |A∪B|", () => {
    expect(jaccard(new Set(["a", "b", "c"]), new Set(["b", "c", "d"]))).toBeCloseTo(2 / 4);
    expect(jaccard(new Set(["a"]), new Set(["a"]))).toBe(1);
    expect(jaccard(new Set(["a"]), new Set(["b"]))).toBe(0);
  });
  it("is 0 for two empty sets (nothing to compare is no match)", () => {
    expect(jaccard(new Set(), new Set())).toBe(0);
  });
});

describe("projectSimilarity and nearDuplicates", () => {
  const base = { title: "Smart farming for smallholders", description: words(180) };

  it("scores identical texts 1 and unrelated ones 0", () => {
    expect(projectSimilarity(base, { ...base })).toBe(1);
    expect(projectSimilarity(base, { title: "Other", description: words(180, "x") })).toBe(0);
  });

  it("flags a lightly edited copy (≥ 0.8) but not a half-rewritten one", () => {
    // Changing the last word of 180 only touches the last three shingles.
    const edited = { ...base, description: `${words(179)} changed` };
    const score = projectSimilarity(base, edited);
    expect(score).toBeGreaterThanOrEqual(NEAR_DUPLICATE_THRESHOLD);
    expect(score).toBeLessThan(1);
    const rewritten = { ...base, description: `${words(90)} ${words(90, "y")}` };
    expect(projectSimilarity(base, rewritten)).toBeLessThan(NEAR_DUPLICATE_THRESHOLD);
  });

  it("has its boundary at exactly the threshold", () => {
    // 10 shared shingles out of a union of 12 → 0.833; out of 13 → 0.769.
    const a = new Set(Array.from({ length: 11 }, (_, i) => `s${i}`));
    const b = new Set([...Array.from({ length: 10 }, (_, i) => `s${i}`), "t"]);
    expect(jaccard(a, b)).toBeCloseTo(10 / 12);
    expect(jaccard(new Set([...a, "u"]), b)).toBeCloseTo(10 / 13);
  });

  it("returns matching candidates best first, with scores rounded to three decimals", () => {
    const candidates = [
      { id: 1, title: "Unrelated", description: words(150, "z") },
      { id: 2, ...base, description: `${words(179)} changed` },
      { id: 3, ...base },
    ];
    const found = nearDuplicates(base, candidates);
    expect(found.map((f) => f.candidate.id)).toEqual([3, 2]);
    expect(found[0].score).toBe(1);
    expect(String(found[1].score)).toMatch(/^0\.\d{1,3}$/);
  });

  it("finds nothing for an empty subject", () => {
    expect(nearDuplicates({ title: "", description: "" }, [{ id: 1, title: "", description: "" }])).toEqual(
      [],
    );
  });
});

describe("titleSimilarity (previous winners)", () => {
  it("is 1 for titles equal once normalised", () => {
    expect(titleSimilarity("Digital Villages — Kenya!", "digital villages kenya")).toBe(1);
  });
  it("uses word bigrams otherwise", () => {
    // {digital villages, villages kenya} vs {digital villages, villages kenya, kenya phase, phase 2}: 2/4.
    expect(titleSimilarity("Digital Villages Kenya", "Digital Villages Kenya Phase 2")).toBeCloseTo(0.5);
    expect(isSimilarTitle("Digital Villages Kenya", "Digital Villages Kenya Phase 2")).toBe(true);
    expect(isSimilarTitle("Digital Villages Kenya", "Mobile Health for Mothers")).toBe(false);
    expect(isSimilarTitle("Open data portal", "Open data for farmers")).toBe(false);
  });
  it("never matches empty titles", () => {
    expect(titleSimilarity("", "")).toBe(0);
    expect(titleSimilarity("!!!", "Something")).toBe(0);
  });
});
