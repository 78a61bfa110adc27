import { describe, expect, it } from "vitest";
import {
  aggregateScores,
  competitionRanks,
  expertZScores,
  zKey,
  type ExpertTotal,
} from "../../app/domain/normalise";

/**
 * The worked example (totals are sums of the nine criteria, 9..90). Four champions P1..P4, four experts:
 *
 *   expert     P1   P2   P3   P4    mean   population sd   z-scores
 *   A          87   81   79   73     80    sqrt((49+1+1+49)/4) = 5      P1 +1.4, P2 +0.2, P3 −0.2, P4 −1.4
 *   B          42   54   38   26     40    sqrt((4+196+4+196)/4) = 10   P1 +0.2, P2 +1.4, P3 −0.2, P4 −1.4
 *   C          50    –   50    –     50    0 (no spread)                P1 0,    P3 0
 *   D           –    –    –   90     90    one project                  P4 0
 *
 * Mean score (1–10 scale: mean over the experts of total / 9):
 *   P1 (87 + 42 + 50) / 3 / 9 = 179 / 27 = 6.6296…
 *   P2 (81 + 54) / 2 / 9      = 135 / 18 = 7.5
 *   P3 (79 + 38 + 50) / 3 / 9 = 167 / 27 = 6.1851…
 *   P4 (73 + 26 + 90) / 3 / 9 = 189 / 27 = 7
 *   ranking under the mean:  P2 (1), P4 (2), P1 (3), P3 (4)
 *
 * Normalised score (mean of the z-scores):
 *   P1 (1.4 + 0.2 + 0) / 3  =  0.5333…
 *   P2 (0.2 + 1.4) / 2      =  0.8
 *   P3 (−0.2 − 0.2 + 0) / 3 = −0.1333…
 *   P4 (−1.4 − 1.4 + 0) / 3 = −0.9333…
 *   ranking normalised:      P2 (1), P1 (2), P3 (3), P4 (4)
 *
 * D's lone, generous 90 lifts P4 to second place under the mean; normalised, it says nothing about order.
 */
const P1 = 101;
const P2 = 102;
const P3 = 103;
const P4 = 104;
const A = 1;
const B = 2;
const C = 3;
const D = 4;

const EXAMPLE: ExpertTotal[] = [
  { expertId: A, projectId: P1, total: 87 },
  { expertId: A, projectId: P2, total: 81 },
  { expertId: A, projectId: P3, total: 79 },
  { expertId: A, projectId: P4, total: 73 },
  { expertId: B, projectId: P1, total: 42 },
  { expertId: B, projectId: P2, total: 54 },
  { expertId: B, projectId: P3, total: 38 },
  { expertId: B, projectId: P4, total: 26 },
  { expertId: C, projectId: P1, total: 50 },
  { expertId: C, projectId: P3, total: 50 },
  { expertId: D, projectId: P4, total: 90 },
];

describe("expertZScores", () => {
  it("turns each expert's totals into z-scores with the population standard deviation", () => {
    const z = expertZScores(EXAMPLE);
    expect(z.get(zKey(A, P1))).toBeCloseTo(1.4, 12);
    expect(z.get(zKey(A, P2))).toBeCloseTo(0.2, 12);
    expect(z.get(zKey(A, P3))).toBeCloseTo(-0.2, 12);
    expect(z.get(zKey(A, P4))).toBeCloseTo(-1.4, 12);
    expect(z.get(zKey(B, P1))).toBeCloseTo(0.2, 12);
    expect(z.get(zKey(B, P2))).toBeCloseTo(1.4, 12);
    expect(z.get(zKey(B, P3))).toBeCloseTo(-0.2, 12);
    expect(z.get(zKey(B, P4))).toBeCloseTo(-1.4, 12);
  });

  it("gives z = 0 to an expert with no spread or a single project", () => {
    const z = expertZScores(EXAMPLE);
    expect(z.get(zKey(C, P1))).toBe(0);
    expect(z.get(zKey(C, P3))).toBe(0);
    expect(z.get(zKey(D, P4))).toBe(0);
    expect(z.size).toBe(EXAMPLE.length);
  });

  it("is the same whether totals or means over the criteria are used (z is scale-free)", () => {
    const byTotal = expertZScores(EXAMPLE);
    const byMean = expertZScores(EXAMPLE.map((s) => ({ ...s, total: s.total / 9 })));
    for (const [key, value] of byTotal) expect(byMean.get(key)).toBeCloseTo(value, 12);
  });
});

describe("aggregateScores", () => {
  it("computes the worked example's means, normalised scores and both rankings", () => {
    const rows = aggregateScores([P1, P2, P3, P4], EXAMPLE);
    const by = (id: number) => rows.find((r) => r.projectId === id);
    expect(rows.map((r) => r.projectId)).toEqual([P1, P2, P3, P4]);

    expect(by(P1)?.mean).toBeCloseTo(179 / 27, 12);
    expect(by(P2)?.mean).toBeCloseTo(7.5, 12);
    expect(by(P3)?.mean).toBeCloseTo(167 / 27, 12);
    expect(by(P4)?.mean).toBeCloseTo(7, 12);
    expect(rows.map((r) => r.meanRank)).toEqual([3, 1, 4, 2]);

    expect(by(P1)?.normalised).toBeCloseTo(1.6 / 3, 12);
    expect(by(P2)?.normalised).toBeCloseTo(0.8, 12);
    expect(by(P3)?.normalised).toBeCloseTo(-0.4 / 3, 12);
    expect(by(P4)?.normalised).toBeCloseTo(-2.8 / 3, 12);
    expect(rows.map((r) => r.normalisedRank)).toEqual([2, 1, 3, 4]);

    expect(rows.map((r) => r.scoreCount)).toEqual([3, 2, 3, 3]);
  });

  it("leaves a project nobody scored without scores or ranks, and ignores scores of other projects", () => {
    const rows = aggregateScores([P1, 999], [...EXAMPLE, { expertId: A, projectId: 555, total: 9 }]);
    expect(rows[1]).toEqual({
      projectId: 999,
      scoreCount: 0,
      mean: null,
      normalised: null,
      meanRank: null,
      normalisedRank: null,
    });
    // Only P1 is wanted: every expert scored a single project of the list, so every z is 0.
    expect(rows[0].normalised).toBe(0);
    expect(rows[0].mean).toBeCloseTo(179 / 27, 12);
    expect(rows[0].meanRank).toBe(1);
  });

  it("shows ties as shared ranks", () => {
    const rows = aggregateScores(
      [P1, P2, P3],
      [
        { expertId: A, projectId: P1, total: 60 },
        { expertId: A, projectId: P2, total: 60 },
        { expertId: A, projectId: P3, total: 30 },
      ],
    );
    expect(rows.map((r) => r.meanRank)).toEqual([1, 1, 3]);
    expect(rows.map((r) => r.normalisedRank)).toEqual([1, 1, 3]);
  });
});

describe("competitionRanks", () => {
  it("ranks highest first, shares ranks on ties (also through floating-point noise) and skips nulls", () => {
    expect(competitionRanks([3, null, 5, 5, 1])).toEqual([3, null, 1, 1, 4]);
    expect(competitionRanks([0.1 + 0.2, 0.3, 0.2])).toEqual([1, 1, 3]);
    expect(competitionRanks([])).toEqual([]);
  });
});
