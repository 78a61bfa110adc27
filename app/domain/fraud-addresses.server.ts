/**
 * The address patterns of DESIGN §5: votes for one project from disposable or look-alike email addresses.
 * They are properties of voters, not of votes, so they are computed once per distinct voter of the window.
 */
import type { Db } from "../../db/client";
import { isDisposableEmail } from "./disposable.server";
import {
  FRAUD_RULES,
  addTo,
  byTime,
  evidenceOf,
  lookalikeKey,
  subjectOf,
  type Finding,
  type FraudKind,
  type VoteTime,
} from "./fraud-flags";

/** isDisposableEmail once per domain: it scans the list's wildcards, and voters share few domains. */
export function disposableChecker(): (email: string) => boolean {
  const byDomain = new Map<string, boolean>();
  return (email) => {
    const domain = email.slice(email.lastIndexOf("@") + 1);
    let disposable = byDomain.get(domain);
    if (disposable === undefined) byDomain.set(domain, (disposable = isDisposableEmail(email)));
    return disposable;
  };
}

/** Voters grouped by a property of their address (disposable, one look-alike stem), as key → voter ids. */
type VoterGroups = Map<string, number[]>;

/** Voters sent to the database per query (bound parameters). */
const VOTERS_PER_QUERY = 1000;

/**
 * Counts, per project, the votes since `since` of each group of voters that could reach `threshold` (a voter
 * gives at most one vote per project, so a group of fewer voters never can). Groups are read a batch of
 * about VOTERS_PER_QUERY voters at a time and finished before the next batch: memory stays one batch's votes.
 */
async function findByVoters(
  database: Db,
  editionId: number,
  since: string,
  groups: VoterGroups,
  threshold: number,
  kind: FraudKind,
  flag: (
    key: string,
    projectId: number,
    voterIds: number[],
  ) => { subject: string; extra: Record<string, unknown> },
): Promise<Finding[]> {
  const findings: Finding[] = [];
  let batch: [string, number[]][] = [];
  const flush = async () => {
    const keyOf = new Map<number, string>();
    for (const [key, voters] of batch) for (const id of voters) keyOf.set(id, key);
    const ids = [...keyOf.keys()];
    const tally = new Map<string, (VoteTime & { voter_id: number })[]>();
    for (let i = 0; i < ids.length; i += VOTERS_PER_QUERY) {
      // By voter only, so that the engine reads (voter_id, …) whatever its statistics say: the edition is
      // checked here (a voter has a few votes per edition, and other editions have none in the window).
      const rows = await database
        .selectFrom("votes as v")
        .select(["v.id", "v.edition_id", "v.project_id", "v.voter_id", "v.created_at"])
        .where("v.voter_id", "in", ids.slice(i, i + VOTERS_PER_QUERY))
        .where("v.created_at", ">=", since)
        .execute();
      for (const r of rows)
        if (r.edition_id === editionId) addTo(tally, `${r.project_id}|${keyOf.get(r.voter_id)}`, r);
    }
    for (const [k, rows] of tally) {
      if (rows.length < threshold) continue;
      rows.sort(byTime);
      const cut = k.indexOf("|");
      const projectId = Number(k.slice(0, cut));
      const { subject, extra } = flag(
        k.slice(cut + 1),
        projectId,
        rows.map((r) => r.voter_id),
      );
      const evidence = evidenceOf(rows.length, rows, rows[rows.length - 1].created_at, extra);
      findings.push({ kind, subject, projectId, votes: rows.length, evidence });
    }
    batch = [];
  };
  let size = 0;
  for (const [key, voters] of groups) {
    if (voters.length < threshold) continue;
    batch.push([key, voters]);
    size += voters.length;
    if (size >= VOTERS_PER_QUERY) {
      await flush();
      size = 0;
    }
  }
  await flush();
  return findings;
}

/**
 * Disposable and look-alike addresses are properties of voters, not of votes: they are computed once per
 * distinct voter of the window (far fewer than votes), and only the votes of voters that could form a flag
 * are read.
 */
export async function findByEmail(database: Db, editionId: number, since: string): Promise<Finding[]> {
  const voters = await database
    .selectFrom("users as u")
    .select(["u.id", "u.email_canonical"])
    .where("u.id", "in", (eb) =>
      eb
        .selectFrom("votes as v")
        .select("v.voter_id")
        .where("v.edition_id", "=", editionId)
        .where("v.created_at", ">=", since),
    )
    .execute();
  const disposable: number[] = [];
  const domainOf = new Map<number, string>();
  const lookalike: VoterGroups = new Map();
  const isDisposable = disposableChecker();
  for (const { id, email_canonical: email } of voters) {
    if (isDisposable(email)) {
      disposable.push(id);
      domainOf.set(id, email.slice(email.lastIndexOf("@") + 1));
    }
    const key = lookalikeKey(email);
    if (key) addTo(lookalike, key, id);
  }
  return [
    ...(await findByVoters(
      database,
      editionId,
      since,
      new Map([["disposable", disposable]]),
      FRAUD_RULES.disposable,
      "disposable_email",
      (_key, projectId, voterIds) => ({
        subject: subjectOf(projectId, "disposable", null),
        extra: { domains: [...new Set(voterIds.map((id) => domainOf.get(id)))].sort().slice(0, 10) },
      }),
    )),
    ...(await findByVoters(
      database,
      editionId,
      since,
      lookalike,
      FRAUD_RULES.lookalike,
      "lookalike_email",
      (key, projectId) => {
        const at = key.lastIndexOf("@");
        return {
          subject: subjectOf(projectId, "like", key),
          extra: { pattern: `${key.slice(0, at)}…${key.slice(at)}` },
        };
      },
    )),
  ];
}
