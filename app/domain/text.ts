/** Text rules shared by forms and server: word counts and duplicate detection. */

/** Words separated by white space (DESIGN §3). */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed ? trimmed.split(/\s+/u).length : 0;
}

/** Lower-case letters and digits only, single-spaced: the basis of duplicate checks. */
export function normaliseText(text: string): string {
  return text
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** The normalised title and description joined: equal fingerprints mean an exact duplicate. */
export function fingerprint(title: string, description: string): string {
  return `${normaliseText(title)}|${normaliseText(description)}`;
}
