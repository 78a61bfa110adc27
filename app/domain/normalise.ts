/**
 * Aggregation of jury scores (DESIGN §6, issue 5 §1). Pure: the domain passes the final scores of one
 * category in, and gets per project a mean score, a normalised score and a ranking under each.
 *
 * Choices, documented here because the organisers read the numbers:
 *
 * - The unit of a score is one expert's TOTAL for one project: the sum of the nine criteria (9..90). The
 *   "mean score" shown to organisers is on the 1–10 scale of the form: the mean over the experts of
 *   total / 9 (the mean of every criterion given to the project).
 * - Normalisation: for each expert, their totals across the projects they scored IN THIS CATEGORY become
 *   z-scores, z = (total − expert's mean) / expert's standard deviation, with the POPULATION standard
 *   deviation (divide by n): we describe how this expert spread these very projects, not estimate a wider
 *   population. Using the total or the mean over criteria gives the same z (z is scale-free).
 * - An expert who scored one project, or gave every project the same total (zero variance), told us nothing
 *   about the order of the projects: each of their projects gets z = 0 (“average”), and it still counts in
 *   the project's mean z, like any other expert's opinion that it is average.
 * - The normalised score of a project is the mean of its experts' z-scores. A project nobody scored has
 *   neither a mean nor a normalised score and no rank (listed last).
 * - Rankings are competition rankings (1, 2, 2, 4): equal values share a rank — a tie is shown, never broken
 *   silently. Values are compared after rounding to 9 decimals so that floating-point noise makes no tie
 *   disappear.
 */

/** One expert's final score for one project: the sum of the nine criteria. */
export interface ExpertTotal {
  expertId: number;
  projectId: number;
  total: number;
}

/** What organisers see per project. */
export interface ProjectAggregate {
  projectId: number;
  /** How many experts' scores count. */
  scoreCount: number;
  /** Mean over the experts of total / criteria (1–10 scale), or null when nobody scored the project. */
  mean: number | null;
  /** Mean of the experts' z-scores, or null when nobody scored the project. */
  normalised: number | null;
  meanRank: number | null;
  normalisedRank: number | null;
}

/** The nine criteria of DESIGN §4. */
export const CRITERIA_COUNT = 9;

/** Key of one expert × project pair in the z-score map. */
export const zKey = (expertId: number, projectId: number) => `${expertId}:${projectId}`;

/**
 * Each expert's totals as z-scores across the projects they scored (population standard deviation);
 * z = 0 for an expert with a single project or no spread. Keyed by zKey(expertId, projectId).
 */
export function expertZScores(scores: readonly ExpertTotal[]): Map<string, number> {
  const byExpert = new Map<number, ExpertTotal[]>();
  for (const s of scores) {
    const list = byExpert.get(s.expertId) ?? [];
    list.push(s);
    byExpert.set(s.expertId, list);
  }
  const out = new Map<string, number>();
  for (const [expertId, list] of byExpert) {
    const n = list.length;
    const mean = list.reduce((sum, s) => sum + s.total, 0) / n;
    const variance = list.reduce((sum, s) => sum + (s.total - mean) ** 2, 0) / n;
    const sd = Math.sqrt(variance);
    for (const s of list) {
      // A spread below rounding noise is no spread: the expert did not order these projects.
      out.set(zKey(expertId, s.projectId), n < 2 || sd < 1e-9 ? 0 : (s.total - mean) / sd);
    }
  }
  return out;
}

const roundForTies = (v: number) => Math.round(v * 1e9) / 1e9;

/**
 * Competition ranks, highest value first (1, 2, 2, 4); null values get no rank. Returned in input order.
 */
export function competitionRanks(values: ReadonlyArray<number | null>): Array<number | null> {
  const order = values
    .map((v, i) => ({ v: v === null ? null : roundForTies(v), i }))
    .filter((x): x is { v: number; i: number } => x.v !== null)
    .sort((a, b) => b.v - a.v || a.i - b.i);
  const ranks: Array<number | null> = values.map(() => null);
  order.forEach((x, position) => {
    const previous = order[position - 1];
    ranks[x.i] = previous && previous.v === x.v ? (ranks[previous.i] ?? position + 1) : position + 1;
  });
  return ranks;
}

/**
 * Mean and normalised score of each project of `projectIds` (in that order) from the experts' final totals,
 * with a competition ranking under each. Scores of projects outside `projectIds` are ignored.
 */
export function aggregateScores(
  projectIds: readonly number[],
  scores: readonly ExpertTotal[],
  criteria = CRITERIA_COUNT,
): ProjectAggregate[] {
  const wanted = new Set(projectIds);
  const counted = scores.filter((s) => wanted.has(s.projectId));
  const z = expertZScores(counted);
  const rows = projectIds.map((projectId) => {
    const mine = counted.filter((s) => s.projectId === projectId);
    if (mine.length === 0) return { projectId, scoreCount: 0, mean: null, normalised: null };
    const mean = mine.reduce((sum, s) => sum + s.total / criteria, 0) / mine.length;
    const normalised =
      mine.reduce((sum, s) => sum + (z.get(zKey(s.expertId, projectId)) ?? 0), 0) / mine.length;
    return { projectId, scoreCount: mine.length, mean, normalised };
  });
  const meanRanks = competitionRanks(rows.map((r) => r.mean));
  const normalisedRanks = competitionRanks(rows.map((r) => r.normalised));
  return rows.map((r, i) => ({ ...r, meanRank: meanRanks[i], normalisedRank: normalisedRanks[i] }));
}
