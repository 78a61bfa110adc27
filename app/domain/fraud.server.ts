/**
 * Fraud flags (DESIGN §5): every minute, the suspicious patterns among the last hour of an edition's votes are
 * found and upserted as flags for organisers. The vote patterns (one IP address or network, fresh accounts,
 * same-second bursts) are counted by GROUP BY in SQL here; the address patterns are in
 * fraud-addresses.server.ts; thresholds, kinds and evidence in fraud-flags.ts.
 */
import { sql, type RawBuilder, type SqlBool } from "kysely";
import { dialectOf, type Db } from "../../db/client";
import { disposableChecker, findByEmail } from "./fraud-addresses.server";
import {
  FRAUD_RULES,
  FRAUD_WINDOW_MS,
  SAMPLE,
  addTo,
  burstThreshold,
  byTime,
  evidenceOf,
  lookalikeKey,
  parseSubject,
  subjectOf,
  type Finding,
  type FraudKind,
  type PatternTag,
  type VoteTime,
} from "./fraud-flags";

/** Flags upserted by one statement (nine bound parameters each). */
const FLAGS_PER_QUERY = 100;

/**
 * The vote `v` was cast less than `freshMinutes` after its voter's account was created. Dates are ISO text
 * on both engines, but the arithmetic is not portable: SQLite shifts the vote's instant as text (same format,
 * so the comparison is exact), PostgreSQL casts to timestamptz. With `since` (no vote considered is older),
 * a plain text comparison first sets aside the older accounts, which spares the arithmetic on most votes.
 */
function castByFreshAccount(database: Db, since: string | null): RawBuilder<SqlBool> {
  const minutes = FRAUD_RULES.freshMinutes;
  const soonAfter =
    dialectOf(database) === "postgres"
      ? sql`u.created_at::timestamptz > v.created_at::timestamptz - make_interval(mins => ${minutes})`
      : sql`u.created_at > strftime('%Y-%m-%dT%H:%M:%fZ', v.created_at, ${`-${minutes} minutes`})`;
  const recent = since
    ? sql`u.created_at > ${new Date(Date.parse(since) - minutes * 60_000).toISOString()} and `
    : sql``;
  return sql<SqlBool>`exists (select 1 from users u where u.id = v.voter_id and ${recent}${soonAfter})`;
}

/** The instants whose ISO text starts with `prefix` ("2031-03-10T12", "2031-03-10T12:05:00"), as a range. */
function instantsOf(prefix: string): [string, string] {
  return [
    prefix + "0000-00-00T00:00:00.000Z".slice(prefix.length),
    prefix + "9999-99-99T99:99:99.999Z".slice(prefix.length),
  ];
}

/** A pattern counted by GROUP BY project and `key` in SQL, with HAVING count >= threshold. */
interface GroupedPattern {
  kind: FraudKind;
  tag: PatternTag;
  threshold: number;
  /** What votes are grouped by besides their project (literals: PostgreSQL matches GROUP BY by its text). */
  key: RawBuilder<string>;
  /** Which votes count at all (fresh accounts only), `since` as in castByFreshAccount. */
  only?: (database: Db, since: string | null) => RawBuilder<SqlBool>;
  /** The instants of a group's votes, given its key (its second, its hour): they are read as a range. */
  instants?: (key: string) => [string, string];
  /** Evidence proper to the pattern; `votes` queries the group's votes. */
  extra: (
    group: { projectId: number; key: string },
    votes: () => VotesQuery,
  ) => Promise<Record<string, unknown>>;
}

const SAME_IP: GroupedPattern = {
  kind: "same_ip",
  tag: "ip",
  threshold: FRAUD_RULES.sameIp,
  key: sql<string>`v.ip`,
  extra: async ({ projectId, key }) => ({ ip: key, key: `${projectId}|${key}` }),
};

const SAME_NETWORK: GroupedPattern = {
  kind: "same_network",
  tag: "net",
  threshold: FRAUD_RULES.sameNetwork,
  key: sql<string>`v.network`,
  extra: async ({ key }, votes) => {
    const ips = await votes()
      .select((eb) => eb.fn.count<number>("v.ip").distinct().as("n"))
      .executeTakeFirstOrThrow();
    return { network: key, distinctIps: Number(ips.n) };
  },
};

const FRESH_ACCOUNTS: GroupedPattern = {
  kind: "fresh_accounts",
  tag: "hour",
  threshold: FRAUD_RULES.freshBurst,
  key: sql<string>`substr(v.created_at, 1, ${sql.lit(13)})`,
  only: castByFreshAccount,
  instants: instantsOf,
  extra: async ({ key }) => ({ hour: `${key}:00Z`, freshMinutes: FRAUD_RULES.freshMinutes }),
};

const SAME_SECOND: GroupedPattern = {
  kind: "same_second",
  tag: "second",
  threshold: FRAUD_RULES.sameSecond,
  key: sql<string>`substr(v.created_at, 1, ${sql.lit(19)})`,
  instants: instantsOf,
  extra: async ({ key }) => ({ second: `${key}Z` }),
};

const GROUPED = [SAME_IP, SAME_NETWORK, FRESH_ACCOUNTS, SAME_SECOND];

/**
 * The votes of an edition, or of one project. A project's votes are read without naming the edition (the
 * project implies it): with edition_id in the query SQLite may pick the (edition_id, created_at) index and
 * scan the whole window instead of the project's part of (project_id, created_at).
 */
type Scope = { editionId: number } | { projectId: number };

/** Votes of `scope` (since `since`, when given) that satisfy `conditions`. */
function votesWhere(database: Db, scope: Scope, since: string | null, conditions: RawBuilder<SqlBool>[]) {
  let query =
    "projectId" in scope
      ? database.selectFrom("votes as v").where("v.project_id", "=", scope.projectId)
      : database.selectFrom("votes as v").where("v.edition_id", "=", scope.editionId);
  if (since) query = query.where("v.created_at", ">=", since);
  for (const condition of conditions) query = query.where(condition);
  return query;
}

interface Group {
  project_id: number;
  key: string;
  votes: number;
}

/** The groups of `pattern` among the votes of `scope` since `since` that have at least `atLeast` votes. */
async function countGroups(
  database: Db,
  scope: Scope,
  since: string,
  pattern: GroupedPattern,
  conditions: RawBuilder<SqlBool>[],
  atLeast: number,
): Promise<Group[]> {
  const only = pattern.only ? [pattern.only(database, since)] : [];
  const rows = await votesWhere(database, scope, since, [...only, ...conditions])
    .select((eb) => ["v.project_id", pattern.key.as("key"), eb.fn.countAll<number>().as("votes")])
    .groupBy(["v.project_id", pattern.key])
    .having((eb) => eb.fn.countAll(), ">=", atLeast)
    .execute();
  return rows.map((r) => ({ ...r, votes: Number(r.votes) }));
}

/**
 * The votes of one group of `pattern`, since `since` (null: all), besides `only`: a range of
 * (project_id, created_at) — its second or its hour for the time patterns — and the group's key.
 */
function groupTerm(
  pattern: GroupedPattern,
  since: string | null,
  projectId: number,
  key: string,
): RawBuilder<SqlBool> {
  const conditions = [sql`v.project_id = ${projectId}`];
  const [from, to] = pattern.instants?.(key) ?? [null, null];
  const start = from && since ? (from > since ? from : since) : (from ?? since);
  if (start) conditions.push(sql`v.created_at >= ${start}`);
  if (to) conditions.push(sql`v.created_at <= ${to}`);
  conditions.push(sql`${pattern.key} = ${key}`);
  return sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}

/** The votes of one group of `pattern`, since `since` (null: all of them). */
function votesOfGroup(database: Db, since: string | null, pattern: GroupedPattern, group: Group) {
  let query = database.selectFrom("votes as v").where(groupTerm(pattern, since, group.project_id, group.key));
  if (pattern.only) query = query.where(pattern.only(database, since));
  return query;
}

type VotesQuery = ReturnType<typeof votesOfGroup>;

/** Groups whose evidence one query reads (two members of a UNION ALL each; SQLite allows 500). */
const GROUPS_PER_QUERY = 100;

/**
 * The findings of `groups` with their evidence: the first SAMPLE votes of each group and its last one, in the
 * order of (project_id, created_at), so that reading them stops there. At the peak a pattern may flag
 * thousands of groups (ten votes for one project in one second is then ordinary): GROUPS_PER_QUERY groups
 * are read by one UNION ALL.
 */
async function withEvidence(
  database: Db,
  since: string,
  pattern: GroupedPattern,
  groups: Group[],
): Promise<Finding[]> {
  const ends = (group: Group, part: number, direction: "asc" | "desc", limit: number) =>
    database
      .selectFrom(
        votesOfGroup(database, since, pattern, group)
          .select([sql.lit(part).as("part"), "v.id", "v.created_at"])
          .orderBy("v.created_at", direction)
          .orderBy("v.id", direction)
          .limit(limit)
          .as("s"),
      )
      .selectAll("s");
  const findings: Finding[] = [];
  for (let i = 0; i < groups.length; i += GROUPS_PER_QUERY) {
    const chunk = groups.slice(i, i + GROUPS_PER_QUERY);
    const ofChunk = chunk.flatMap((g, k) => [ends(g, 2 * k, "asc", SAMPLE), ends(g, 2 * k + 1, "desc", 1)]);
    const query = ofChunk.slice(1).reduce((union, part) => union.unionAll(part), ofChunk[0]);
    const parts = new Map<number, VoteTime[]>();
    for (const r of await query.execute()) addTo(parts, Number(r.part), r);
    for (const [k, g] of chunk.entries()) {
      // UNION ALL keeps no order: the first votes are sorted again.
      const first = (parts.get(2 * k) ?? []).sort(byTime);
      const last = parts.get(2 * k + 1)?.[0];
      if (!last) continue; // its votes were deleted (with their voter or project) since they were counted
      const extra = await pattern.extra({ projectId: g.project_id, key: g.key }, () =>
        votesOfGroup(database, since, pattern, g),
      );
      findings.push({
        kind: pattern.kind,
        subject: subjectOf(g.project_id, pattern.tag, g.key),
        projectId: g.project_id,
        votes: g.votes,
        evidence: evidenceOf(g.votes, first, last.created_at, extra),
      });
    }
  }
  return findings;
}

/**
 * The SQL-counted patterns. Addresses are counted only inside the networks that reach the smaller of the two
 * thresholds (an address lies in its network): one GROUP BY over the window serves both patterns, and the
 * addresses are counted per project, among the votes of its networks counted above.
 */
async function findGrouped(database: Db, editionId: number, since: string): Promise<Finding[]> {
  const edition = { editionId };
  const atLeast = Math.min(SAME_IP.threshold, SAME_NETWORK.threshold);
  const networks = await countGroups(database, edition, since, SAME_NETWORK, [], atLeast);
  const networksOf = new Map<number, string[]>();
  for (const n of networks) addTo(networksOf, n.project_id, n.key);
  const addresses: Group[] = [];
  for (const [projectId, keys] of networksOf) {
    const inNetworks = [sql<SqlBool>`v.network in (${sql.join(keys)})`];
    const scope = { projectId };
    addresses.push(...(await countGroups(database, scope, since, SAME_IP, inNetworks, SAME_IP.threshold)));
  }
  const flagged: [GroupedPattern, Group[]][] = [
    [SAME_NETWORK, networks.filter((n) => n.votes >= SAME_NETWORK.threshold)],
    [SAME_IP, addresses],
  ];
  // Same-second bursts are measured against each project's own pace: a popular project at the peak of voting
  // gets several votes every second without anything being wrong.
  const bursts = await countGroups(database, edition, since, SAME_SECOND, [], SAME_SECOND.threshold);
  const pace = await paceOf(database, since, [...new Set(bursts.map((g) => g.project_id))]);
  flagged.push([
    SAME_SECOND,
    bursts.filter((g) => g.votes >= burstThreshold(SAME_SECOND.threshold, pace.perSecond(g.project_id))),
  ]);
  flagged.push([
    FRESH_ACCOUNTS,
    await countGroups(database, edition, since, FRESH_ACCOUNTS, [], FRESH_ACCOUNTS.threshold),
  ]);
  const findings: Finding[] = [];
  for (const [pattern, groups] of flagged)
    findings.push(...(await withEvidence(database, since, pattern, groups)));
  return findings;
}

/**
 * The pace of each of `projectIds` in the window: its votes per second since its first vote in the window (counted over
 * at least a minute, so that a project's first votes do not set a pace of their own).
 */
async function paceOf(database: Db, since: string, projectIds: number[]) {
  const now = Date.parse(since) + FRAUD_WINDOW_MS;
  // Only the projects that have a candidate burst: usually none, so usually no query at all.
  const rows = projectIds.length
    ? await database
        .selectFrom("votes as v")
        .select((eb) => [
          "v.project_id",
          eb.fn.countAll<number>().as("votes"),
          eb.fn.min("v.created_at").as("first"),
        ])
        .where("v.project_id", "in", projectIds)
        .where("v.created_at", ">=", since)
        .groupBy("v.project_id")
        .execute()
    : [];
  const perSecond = new Map(
    rows.map((r) => [
      r.project_id,
      Number(r.votes) / Math.max(60, (now - Date.parse(String(r.first))) / 1000),
    ]),
  );
  return { perSecond: (projectId: number) => perSecond.get(projectId) ?? 0 };
}

/** Finds the suspicious patterns of DESIGN §5 among an edition's votes since `since`. No writes. */
async function findPatterns(database: Db, editionId: number, since: Date): Promise<Finding[]> {
  const from = since.toISOString();
  return [
    ...(await findGrouped(database, editionId, from)),
    ...(await findByEmail(database, editionId, from)),
  ];
}

/**
 * Recomputes an edition's fraud flags over the last FRAUD_WINDOW_MS and upserts them (one per kind and
 * subject). A flag keeps its status (open / invalidated / dismissed) while its evidence is refreshed; the
 * vote ids of a cluster are read again at invalidation time from its subject (votesOfFlag).
 */
export async function refreshFraudFlags(database: Db, editionId: number, now: Date): Promise<number> {
  const findings = await findPatterns(database, editionId, new Date(now.getTime() - FRAUD_WINDOW_MS));
  for (let i = 0; i < findings.length; i += FLAGS_PER_QUERY) {
    await database
      .insertInto("fraud_flags")
      .values(
        findings.slice(i, i + FLAGS_PER_QUERY).map((f) => ({
          edition_id: editionId,
          kind: f.kind,
          subject: f.subject,
          project_id: f.projectId,
          vote_count: f.votes,
          evidence_json: JSON.stringify(f.evidence),
          status: "open" as const,
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(["edition_id", "kind", "subject"])
          .doUpdateSet((eb) => ({
            vote_count: eb.ref("excluded.vote_count"),
            evidence_json: eb.ref("excluded.evidence_json"),
            updated_at: eb.ref("excluded.updated_at"),
          }))
          .where((eb) => eb("fraud_flags.vote_count", "<=", eb.ref("excluded.vote_count"))),
      )
      .execute();
  }
  return findings.length;
}

/**
 * The vote ids a flag covers: every vote of the edition in its subject (the project and the IP, network,
 * second or hour of fresh accounts, or the voters with a disposable or look-alike address), read by one
 * query on the project's votes.
 */
export async function votesOfFlag(database: Db, flagId: number): Promise<number[]> {
  const flag = await database
    .selectFrom("fraud_flags")
    .select(["kind", "subject"])
    .where("id", "=", flagId)
    .executeTakeFirst();
  const subject = flag ? parseSubject(flag.subject) : null;
  if (!flag || !subject) return [];
  const grouped = GROUPED.find((p) => p.kind === flag.kind);
  if (grouped && subject.key !== null) {
    const group = { project_id: subject.projectId, key: subject.key, votes: 0 };
    const rows = await votesOfGroup(database, null, grouped, group).select("v.id").orderBy("v.id").execute();
    return rows.map((r) => r.id);
  }
  const voters = votesWhere(database, { projectId: subject.projectId }, null, [])
    .innerJoin("users as u", "u.id", "v.voter_id")
    .select(["v.id", "u.email_canonical"])
    .orderBy("v.id");
  if (flag.kind === "disposable_email") {
    const isDisposable = disposableChecker();
    const rows = await voters.execute();
    return rows.filter((r) => isDisposable(r.email_canonical)).map((r) => r.id);
  }
  const key = subject.key;
  if (flag.kind === "lookalike_email" && key !== null) {
    // The domain narrows the project's votes in SQL; the stem is checked here, as when the flag was found.
    const rows = await voters
      .where("u.email_canonical", "like", `%${key.slice(key.lastIndexOf("@"))}`)
      .execute();
    return rows.filter((r) => lookalikeKey(r.email_canonical) === key).map((r) => r.id);
  }
  return [];
}

/** The detect-fraud job, every minute: refreshes the flags of editions whose voting is open (or closed < 1 day). */
export async function detectFraud(deps: { db: Db; now: () => Date }): Promise<number> {
  const now = deps.now();
  const dayAgo = new Date(now.getTime() - 24 * 3600 * 1000).toISOString();
  const editions = await deps.db
    .selectFrom("editions")
    .select("id")
    .where("voting_opens_at", "<=", now.toISOString())
    .where("voting_closes_at", ">", dayAgo)
    .execute();
  let flags = 0;
  for (const e of editions) flags += await refreshFraudFlags(deps.db, e.id, now);
  return flags;
}
