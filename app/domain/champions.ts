/** Ranking rules for the official tally (DESIGN §5): pure, so ties are tested exhaustively. */

export interface ProjectCount {
  projectId: number;
  categoryId: number;
  castVotes: number;
  validVotes: number;
}

export interface RankedProject extends ProjectCount {
  /** Competition ranking by valid votes: equal counts share a rank (1, 2, 2, 4…). */
  rank: number;
  champion: boolean;
  /** Tied with the fifth place and more than five projects reach it: flagged, never broken silently. */
  tiedAtCutoff: boolean;
}

export const CHAMPIONS_PER_CATEGORY = 5;

/** Ranks one category's projects; champions are the top five, every project tied at fifth place included. */
export function rankCategory(
  projects: readonly ProjectCount[],
  places = CHAMPIONS_PER_CATEGORY,
): RankedProject[] {
  const sorted = [...projects].sort((a, b) => b.validVotes - a.validVotes || a.projectId - b.projectId);
  const cutoff = sorted.length >= places ? sorted[places - 1].validVotes : -1;
  const reaching = sorted.filter((p) => p.validVotes >= cutoff).length;
  let rank = 0;
  return sorted.map((p, i) => {
    if (i === 0 || sorted[i - 1].validVotes !== p.validVotes) rank = i + 1;
    const champion = p.validVotes >= cutoff;
    return { ...p, rank, champion, tiedAtCutoff: champion && p.validVotes === cutoff && reaching > places };
  });
}

/** Ranks every category of an edition. */
export function rankAll(projects: readonly ProjectCount[], places = CHAMPIONS_PER_CATEGORY): RankedProject[] {
  const byCategory = new Map<number, ProjectCount[]>();
  for (const p of projects) {
    const list = byCategory.get(p.categoryId) ?? [];
    list.push(p);
    byCategory.set(p.categoryId, list);
  }
  return [...byCategory.values()].flatMap((list) => rankCategory(list, places));
}
