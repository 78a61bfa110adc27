import type { Db } from "../../db/client";
import { isDisposableEmail } from "./disposable.server";

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

interface Finding {
  kind: FraudKind;
  subject: string;
  projectId: number;
  voteIds: number[];
  evidence: Record<string, unknown>;
}

/**
 * How far back each run looks. The patterns are bursts (same second, fresh accounts, one address or network
 * hammering a project), so the job, which runs every minute, reads only the last hour of votes — a bounded
 * range scan on (edition_id, created_at) — instead of the whole edition (two million votes at the peak).
 * A flag keeps the evidence of the window in which it was largest.
 */
export const FRAUD_WINDOW_MS = 60 * 60 * 1000;

/** Votes of an edition (since `since`, when given) with what the patterns need. */
async function voteFacts(database: Db, editionId: number, since?: Date) {
  let query = database
    .selectFrom("votes as v")
    .innerJoin("users as u", "u.id", "v.voter_id")
    .select([
      "v.id",
      "v.project_id",
      "v.ip",
      "v.network",
      "v.created_at",
      "u.created_at as account_created_at",
      "u.email_canonical",
    ])
    .where("v.edition_id", "=", editionId);
  if (since) query = query.where("v.created_at", ">=", since.toISOString());
  return query.execute();
}

type Fact = Awaited<ReturnType<typeof voteFacts>>[number];

function groupBy(facts: readonly Fact[], key: (f: Fact) => string | null): Map<string, Fact[]> {
  const out = new Map<string, Fact[]>();
  for (const f of facts) {
    const k = key(f);
    if (k === null) continue;
    const list = out.get(k) ?? [];
    list.push(f);
    out.set(k, list);
  }
  return out;
}

function span(list: readonly Fact[]): { first: string; last: string } {
  const times = list.map((f) => f.created_at).sort();
  return { first: times[0], last: times[times.length - 1] };
}

/** Finds the suspicious patterns of DESIGN §5 among an edition's votes. Pure over the facts; no writes. */
export function findPatterns(facts: readonly Fact[]): Finding[] {
  const findings: Finding[] = [];
  const add = (kind: FraudKind, subject: string, list: Fact[], extra: Record<string, unknown>) =>
    findings.push({
      kind,
      subject,
      projectId: list[0].project_id,
      voteIds: list.map((f) => f.id),
      evidence: {
        votes: list.length,
        ...span(list),
        ...extra,
        sampleVoteIds: list.slice(0, 20).map((f) => f.id),
      },
    });

  for (const [k, list] of groupBy(facts, (f) => `${f.project_id}|${f.ip}`)) {
    if (list.length >= FRAUD_RULES.sameIp)
      add("same_ip", `project:${list[0].project_id}|ip:${list[0].ip}`, list, { ip: list[0].ip, key: k });
  }
  for (const [, list] of groupBy(facts, (f) => `${f.project_id}|${f.network}`)) {
    if (list.length >= FRAUD_RULES.sameNetwork) {
      add("same_network", `project:${list[0].project_id}|net:${list[0].network}`, list, {
        network: list[0].network,
        distinctIps: new Set(list.map((f) => f.ip)).size,
      });
    }
  }
  const freshMs = FRAUD_RULES.freshMinutes * 60_000;
  const fresh = facts.filter((f) => Date.parse(f.created_at) - Date.parse(f.account_created_at) < freshMs);
  for (const [, list] of groupBy(fresh, (f) => `${f.project_id}|${f.created_at.slice(0, 13)}`)) {
    if (list.length >= FRAUD_RULES.freshBurst) {
      add("fresh_accounts", `project:${list[0].project_id}|hour:${list[0].created_at.slice(0, 13)}`, list, {
        hour: `${list[0].created_at.slice(0, 13)}:00Z`,
        freshMinutes: FRAUD_RULES.freshMinutes,
      });
    }
  }
  for (const [, list] of groupBy(facts, (f) => `${f.project_id}|${f.created_at.slice(0, 19)}`)) {
    if (list.length >= FRAUD_RULES.sameSecond) {
      add("same_second", `project:${list[0].project_id}|second:${list[0].created_at.slice(0, 19)}`, list, {
        second: `${list[0].created_at.slice(0, 19)}Z`,
      });
    }
  }
  for (const [, list] of groupBy(facts, (f) =>
    isDisposableEmail(f.email_canonical) ? String(f.project_id) : null,
  )) {
    if (list.length >= FRAUD_RULES.disposable) {
      add("disposable_email", `project:${list[0].project_id}|disposable`, list, {
        domains: [...new Set(list.map((f) => f.email_canonical.split("@")[1]))].slice(0, 10),
      });
    }
  }
  for (const [, list] of groupBy(facts, (f) => {
    const [local, domain] = f.email_canonical.split("@");
    const stem = local.replace(/[0-9._-]+/g, "");
    return stem.length >= 3 && stem !== local ? `${f.project_id}|${stem}@${domain}` : null;
  })) {
    if (list.length >= FRAUD_RULES.lookalike) {
      const [local, domain] = list[0].email_canonical.split("@");
      add(
        "lookalike_email",
        `project:${list[0].project_id}|like:${local.replace(/[0-9._-]+/g, "")}@${domain}`,
        list,
        {
          pattern: `${local.replace(/[0-9._-]+/g, "")}…@${domain}`,
        },
      );
    }
  }
  return findings;
}

/**
 * Recomputes an edition's fraud flags and upserts them (one per kind and subject). A flag keeps its status
 * (open / invalidated / dismissed) while its evidence is refreshed; the vote ids of a cluster are derived
 * again at invalidation time from the same rule.
 */
export async function refreshFraudFlags(database: Db, editionId: number, now: Date): Promise<number> {
  const findings = findPatterns(
    await voteFacts(database, editionId, new Date(now.getTime() - FRAUD_WINDOW_MS)),
  );
  for (const f of findings) {
    const evidence = JSON.stringify(f.evidence);
    await database
      .insertInto("fraud_flags")
      .values({
        edition_id: editionId,
        kind: f.kind,
        subject: f.subject,
        project_id: f.projectId,
        vote_count: f.voteIds.length,
        evidence_json: evidence,
        status: "open",
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      })
      .onConflict((oc) =>
        oc
          .columns(["edition_id", "kind", "subject"])
          .doUpdateSet({
            vote_count: f.voteIds.length,
            evidence_json: evidence,
            updated_at: now.toISOString(),
          })
          .where("fraud_flags.vote_count", "<=", f.voteIds.length),
      )
      .execute();
  }
  return findings.length;
}

/** The vote ids a flag currently covers (the rule applied again to the edition's votes). */
export async function votesOfFlag(database: Db, flagId: number): Promise<number[]> {
  const flag = await database
    .selectFrom("fraud_flags")
    .selectAll()
    .where("id", "=", flagId)
    .executeTakeFirst();
  if (!flag) return [];
  const found = findPatterns(await voteFacts(database, flag.edition_id)).find(
    (f) => f.kind === flag.kind && f.subject === flag.subject,
  );
  return found?.voteIds ?? [];
}
