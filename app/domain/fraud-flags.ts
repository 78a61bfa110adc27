/**
 * What a fraud flag is (DESIGN §5): the thresholds of the suspicious patterns, their kinds and labels, how a
 * flag names its subject and what evidence it keeps. Pure. Finding the patterns: fraud.server.ts (votes
 * counted in SQL) and fraud-addresses.server.ts (voters' addresses).
 */

/** Thresholds of the suspicious patterns of DESIGN §5; a flag is evidence for organisers, never a verdict. */
export const FRAUD_RULES = {
  /** Votes for one project from one IP address. */
  sameIp: 20,
  /** Votes for one project from one /24 (IPv4) or /48 (IPv6) network. */
  sameNetwork: 50,
  /** Votes for one project, within one hour, from accounts created less than `freshMinutes` before voting. */
  freshBurst: 20,
  freshMinutes: 10,
  /** Votes for one project within the same second from different voters. */
  sameSecond: 10,
  /** Votes for one project from disposable-email addresses. */
  disposable: 5,
  /** Votes for one project from look-alike addresses (same domain, same local part once digits are removed). */
  lookalike: 5,
} as const;

export type FraudKind =
  "same_ip" | "same_network" | "fresh_accounts" | "same_second" | "disposable_email" | "lookalike_email";

export const FRAUD_LABELS: Record<FraudKind, string> = {
  same_ip: "Many votes for one project from one IP address",
  same_network: "Many votes for one project from one network",
  fresh_accounts: "Burst of votes from accounts created minutes before voting",
  same_second: "Many votes for one project in the same second",
  disposable_email: "Votes from disposable email addresses",
  lookalike_email: "Votes from look-alike email addresses",
};

/**
 * How far back each run looks. The patterns are bursts (same second, fresh accounts, one address or network
 * hammering a project), so the job, which runs every minute, reads only the last hour of votes — a bounded
 * range scan on (edition_id, created_at) — instead of the whole edition (two million votes at the peak).
 * A flag keeps the evidence of the window in which it was largest.
 */
export const FRAUD_WINDOW_MS = 60 * 60 * 1000;

/** Vote ids shown as evidence with each flag. */
export const SAMPLE = 20;

/** A group of votes for one project that reached its pattern's threshold: a flag to upsert. */
export interface Finding {
  kind: FraudKind;
  subject: string;
  projectId: number;
  votes: number;
  evidence: Record<string, unknown>;
}

/** What the votes of a group have in common, besides its project: a value of a column, a second, an hour… */
export type PatternTag = "ip" | "net" | "hour" | "second" | "disposable" | "like";

/** "project:12|ip:203.0.113.7", "project:12|disposable": a flag's identity within its edition and kind. */
export function subjectOf(projectId: number, tag: PatternTag, key: string | null): string {
  return `project:${projectId}|${tag}${key === null ? "" : `:${key}`}`;
}

/** The project and the key of a flag's subject (see subjectOf), or null when it is not one. */
export function parseSubject(subject: string): { projectId: number; key: string | null } | null {
  const match = /^project:(\d+)\|[a-z]+(?::(.*))?$/.exec(subject);
  return match ? { projectId: Number(match[1]), key: match[2] ?? null } : null;
}

/** A vote as the evidence of a flag shows it. */
export interface VoteTime {
  id: number;
  created_at: string;
}

/** Time, then id, order: the evidence shows the first votes of a group. */
export function byTime(a: VoteTime, b: VoteTime): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id - b.id;
}

/** Appends `value` to the list of `key`. */
export function addTo<K, V>(lists: Map<K, V[]>, key: K, value: V): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

/** A flag's evidence: its votes, from when to when, what its pattern adds, its first votes (sorted). */
export function evidenceOf(
  votes: number,
  first: VoteTime[],
  last: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const sampleVoteIds = first.slice(0, SAMPLE).map((v) => v.id);
  return { votes, first: first[0].created_at, last, ...extra, sampleVoteIds };
}

/**
 * The least count of a burst when `expected` votes were to be expected from the project's own pace: six
 * standard deviations of a Poisson count above it (a chance of about one in a billion), and never below the
 * pattern's fixed threshold. A quiet project keeps the fixed threshold; a popular one needs a real spike.
 */
export function burstThreshold(floor: number, expected: number): number {
  return Math.max(floor, Math.ceil(expected + 6 * Math.sqrt(expected) + 6));
}

/** Look-alike key: the local part without digits, dots, dashes and underscores, then "@" and the domain. */
export function lookalikeKey(email: string): string | null {
  const [local, domain] = email.split("@");
  const stem = local.replace(/[0-9._-]+/g, "");
  return stem.length >= 3 && stem !== local ? `${stem}@${domain}` : null;
}
