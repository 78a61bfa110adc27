/**
 * Duplicate detection (DESIGN §3), pure: word-shingle Jaccard similarity over normalised text.
 * Exact duplicates are caught by text.ts fingerprint(); this module finds the near ones for reviewers.
 */
import { normaliseText } from "./text";

/** Title + short description at or above this similarity are flagged as near-duplicates. */
export const NEAR_DUPLICATE_THRESHOLD = 0.8;
/** Titles at or above this similarity (word bigrams) are "similar" for the previous-winner check. */
export const SIMILAR_TITLE_THRESHOLD = 0.5;
/** Shingle length in words for project texts. */
export const SHINGLE_SIZE = 3;

/**
 * The set of word n-grams of the normalised text. A text with fewer than `size` words is a single shingle
 * (so two short equal texts still match); an empty text has none.
 */
export function shingles(text: string, size: number = SHINGLE_SIZE): Set<string> {
  const words = normaliseText(text).split(" ").filter(Boolean);
  const out = new Set<string>();
  if (words.length === 0) return out;
  if (words.length < size) {
    out.add(words.join(" "));
    return out;
  }
  for (let i = 0; i + size <= words.length; i++) out.add(words.slice(i, i + size).join(" "));
  return out;
}

/** |A ∩ B| / |A ∪ B|; 0 when both sets are empty (nothing to compare is not a match). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const s of small) if (large.has(s)) common++;
  return common / (a.size + b.size - common);
}

/** The text two projects are compared on: the title and the short description voters see. */
export function projectShingles(title: string, description: string): Set<string> {
  return shingles(`${title}\n${description}`);
}

/** Similarity of two projects' title + description, 0..1. */
export function projectSimilarity(
  a: { title: string; description: string },
  b: { title: string; description: string },
): number {
  return jaccard(projectShingles(a.title, a.description), projectShingles(b.title, b.description));
}

/**
 * Similarity of two titles, 0..1: 1 when their normalised forms are equal (and not empty), otherwise the
 * Jaccard index of their word bigrams ("Digital Villages Kenya" vs "Digital Villages Kenya Phase 2" → 0.5).
 */
export function titleSimilarity(a: string, b: string): number {
  const na = normaliseText(a);
  const nb = normaliseText(b);
  if (!na || !nb) return 0;
  if (na === nb) return 1;
  return jaccard(shingles(na, 2), shingles(nb, 2));
}

/** True when two titles are similar enough to suspect the same project. */
export function isSimilarTitle(a: string, b: string): boolean {
  return titleSimilarity(a, b) >= SIMILAR_TITLE_THRESHOLD;
}

export interface SimilarityCandidate {
  id: number;
  title: string;
  description: string;
}

/**
 * The candidates whose title + description is at least `threshold` similar to the subject's, best first,
 * with their score rounded to three decimals.
 */
export function nearDuplicates<T extends SimilarityCandidate>(
  subject: { title: string; description: string },
  candidates: readonly T[],
  threshold: number = NEAR_DUPLICATE_THRESHOLD,
): Array<{ candidate: T; score: number }> {
  const mine = projectShingles(subject.title, subject.description);
  if (mine.size === 0) return [];
  const out: Array<{ candidate: T; score: number }> = [];
  for (const candidate of candidates) {
    const score = jaccard(mine, projectShingles(candidate.title, candidate.description));
    if (score >= threshold) out.push({ candidate, score: Math.round(score * 1000) / 1000 });
  }
  return out.sort((x, y) => y.score - x.score || x.candidate.id - y.candidate.id);
}
