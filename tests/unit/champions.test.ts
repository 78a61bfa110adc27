import { describe, expect, it } from "vitest";
import { rankAll, rankCategory, type ProjectCount } from "../../app/domain/champions";
import { networkOf } from "../../app/domain/network";

const p = (projectId: number, validVotes: number, categoryId = 1): ProjectCount => ({
  projectId,
  categoryId,
  castVotes: validVotes + 1,
  validVotes,
});

describe("champions", () => {
  it("takes the top five by valid votes", () => {
    const ranked = rankCategory([p(1, 10), p(2, 50), p(3, 30), p(4, 20), p(5, 40), p(6, 5), p(7, 1)]);
    expect(ranked.filter((r) => r.champion).map((r) => r.projectId)).toEqual([2, 5, 3, 4, 1]);
    expect(ranked.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(ranked.some((r) => r.tiedAtCutoff)).toBe(false);
  });

  it("includes and flags every project tied at fifth place", () => {
    const ranked = rankCategory([p(1, 9), p(2, 8), p(3, 7), p(4, 6), p(5, 5), p(6, 5), p(7, 5), p(8, 4)]);
    expect(ranked.filter((r) => r.champion).map((r) => r.projectId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(ranked.filter((r) => r.tiedAtCutoff).map((r) => r.projectId)).toEqual([5, 6, 7]);
    expect(ranked.find((r) => r.projectId === 6)?.rank).toBe(5);
    expect(ranked.find((r) => r.projectId === 8)).toMatchObject({ champion: false, rank: 8 });
  });

  it("does not flag a tie above the cutoff", () => {
    const ranked = rankCategory([p(1, 9), p(2, 9), p(3, 7), p(4, 6), p(5, 5), p(6, 4)]);
    expect(ranked.filter((r) => r.champion)).toHaveLength(5);
    expect(ranked.filter((r) => r.tiedAtCutoff)).toHaveLength(0);
    expect(ranked.slice(0, 2).map((r) => r.rank)).toEqual([1, 1]);
  });

  it("makes every project a champion when a category has five or fewer", () => {
    const ranked = rankCategory([p(1, 0), p(2, 3), p(3, 0)]);
    expect(ranked.every((r) => r.champion && !r.tiedAtCutoff)).toBe(true);
  });

  it("ranks categories independently", () => {
    const ranked = rankAll([...[1, 2, 3, 4, 5, 6].map((i) => p(i, i, 1)), ...[7, 8].map((i) => p(i, i, 2))]);
    expect(ranked.filter((r) => r.categoryId === 1 && r.champion)).toHaveLength(5);
    expect(ranked.filter((r) => r.categoryId === 2 && r.champion)).toHaveLength(2);
  });
});

describe("networkOf", () => {
  it("groups IPv4 by /24 and IPv6 by /48", () => {
    expect(networkOf("203.0.113.77")).toBe("203.0.113.0/24");
    expect(networkOf("::ffff:198.51.100.4")).toBe("198.51.100.0/24");
    expect(networkOf("2001:db8:abcd:12::1")).toBe("2001:db8:abcd::/48");
    expect(networkOf("2001:db8::1")).toBe("2001:db8:0::/48");
  });
});
