import type { Insertable } from "kysely";
import { isDatabaseBusy, type Db } from "../../db/client";
import { prepared } from "../../db/prepared";
import type { Database, Role, User } from "../../db/schema";
import { formatInstant, isPhaseOpen } from "./phases";
import { networkOf } from "./network";
import { can } from "../utils/permissions";

export type VoteRefusal = "not_verified" | "not_voter" | "not_nominee" | "window_closed" | "already_voted";

export type VoteOutcome =
  | {
      ok: true;
      /** False when this exact vote was already recorded (a repeated submit): nothing new was written. */
      created: boolean;
      voteId: number;
      editionId: number;
      categoryCode: string;
      projectTitle: string;
      votedCategories: number;
    }
  | { ok: false; status: 403 | 404 | 409; refusal: VoteRefusal; message: string; categoryCode?: string };

const MESSAGES: Record<VoteRefusal, string> = {
  not_verified:
    "Please confirm your email address before voting: use the link we sent you, or ask for a new one on your account page.",
  not_voter: "Your account cannot vote. Voting needs a registered account with a confirmed email address.",
  not_nominee: "This project is not a nominee you can vote for.",
  window_closed: "Voting is not open for this edition.",
  already_voted: "You have already voted in this category. A vote is final.",
};

/** Why voting is not open, with the date in the edition's time zone (DESIGN §1): when it opens, or closed. */
function windowMessage(
  edition: { voting_opens_at: string; voting_closes_at: string; timezone: string },
  now: Date,
): string {
  return now.getTime() < new Date(edition.voting_opens_at).getTime()
    ? `Voting opens on ${formatInstant(edition.voting_opens_at, edition.timezone)}.`
    : `Voting closed on ${formatInstant(edition.voting_closes_at, edition.timezone)}.`;
}

function refuse(status: 403 | 404 | 409, refusal: VoteRefusal, categoryCode?: string): VoteOutcome {
  return { ok: false, status, refusal, message: MESSAGES[refusal], categoryCode };
}

/** The nominee a vote would go to, with what the rules need. */
const nominee = prepared((database: Db, projectId: number) =>
  database
    .selectFrom("projects as p")
    .innerJoin("editions as e", "e.id", "p.edition_id")
    .innerJoin("categories as c", "c.id", "p.category_id")
    .innerJoin("nomination_decisions as d", "d.project_id", "p.id")
    .select([
      "p.id",
      "p.title",
      "p.status",
      "p.edition_id",
      "p.category_id",
      "c.code as category_code",
      "d.decision",
      "e.nominees_published_at",
      "e.timezone",
      "e.submission_opens_at",
      "e.submission_closes_at",
      "e.nomination_opens_at",
      "e.nomination_closes_at",
      "e.voting_opens_at",
      "e.voting_closes_at",
      "e.selection_opens_at",
      "e.selection_closes_at",
      "e.announcement_opens_at",
      "e.announcement_closes_at",
    ])
    .where("p.id", "=", projectId),
);

/** The vote a voter already holds in a category. */
const existingVote = prepared((database: Db, editionId: number, categoryId: number, voterId: number) =>
  database
    .selectFrom("votes")
    .select(["id", "project_id"])
    .where("edition_id", "=", editionId)
    .where("category_id", "=", categoryId)
    .where("voter_id", "=", voterId),
);

/** How many categories a voter has voted in (votes_voter_edition_idx answers it from the index alone). */
const votedCategories = prepared((database: Db, voterId: number, editionId: number) =>
  database
    .selectFrom("votes")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("voter_id", "=", voterId)
    .where("edition_id", "=", editionId),
);

type NewVote = Insertable<Database["votes"]>;
interface PendingVote {
  row: NewVote;
  done: (id: number | undefined) => void;
  failed: (error: unknown) => void;
}

/** Votes waiting for the next group insert, per database. */
const pendingVotes = new WeakMap<Db, PendingVote[]>();

/** Most rows in one INSERT (7 parameters each, far below either engine's limit). */
const GROUP_LIMIT = 500;

/**
 * Inserts a vote unless the voter already holds one in that category; resolves to the new row's id, or
 * undefined when the unique constraint kept an earlier vote. Votes arriving in the same turn of the event
 * loop are written together by one multi-row INSERT … ON CONFLICT DO NOTHING (group commit): one statement
 * and one commit for many votes instead of one each, which is most of a vote's cost. Each caller is answered
 * only after the statement holding its row has committed. Should a group fail (a project deleted meanwhile),
 * its rows are retried one by one so that one bad row fails alone — except when the database stayed locked
 * by another process past the bounded wait: then this group and the rest fail at once (503), without
 * waiting again row by row.
 */
function insertVote(database: Db, row: NewVote): Promise<number | undefined> {
  return new Promise((done, failed) => {
    let queue = pendingVotes.get(database);
    if (!queue) {
      queue = [];
      pendingVotes.set(database, queue);
      setImmediate(() => {
        pendingVotes.delete(database);
        void flushVotes(database, queue ?? []);
      });
    }
    queue.push({ row, done, failed });
  });
}

async function flushVotes(database: Db, queue: PendingVote[]): Promise<void> {
  for (let start = 0; start < queue.length; start += GROUP_LIMIT) {
    const group = queue.slice(start, start + GROUP_LIMIT);
    try {
      await insertGroup(database, group);
    } catch (error) {
      if (isDatabaseBusy(error)) {
        for (const pending of queue.slice(start)) pending.failed(error);
        return;
      }
      for (const pending of group) {
        await insertGroup(database, [pending]).catch(pending.failed);
      }
    }
  }
}

async function insertGroup(database: Db, group: PendingVote[]): Promise<void> {
  const rows = await database
    .insertInto("votes")
    .values(group.map((p) => p.row))
    .onConflict((oc) => oc.columns(["edition_id", "category_id", "voter_id"]).doNothing())
    .returning(["id", "edition_id", "category_id", "voter_id", "project_id"])
    .execute();
  const created = new Map(rows.map((r) => [`${r.edition_id}:${r.category_id}:${r.voter_id}`, r]));
  for (const { row, done } of group) {
    const key = `${row.edition_id}:${row.category_id}:${row.voter_id}`;
    const found = created.get(key);
    // The first of several identical rows in a group is the one that was written.
    if (found && found.project_id === row.project_id) {
      created.delete(key);
      done(found.id);
    } else done(undefined);
  }
}

/**
 * Casts a vote (DESIGN §5): a verified voter, a published nominee, the voting window open at `now`, one vote
 * per voter per category — the unique constraint decides under concurrency. Repeating the very same vote is
 * answered as success without writing anything; a different project in a voted category is refused.
 */
export async function castVote(
  database: Db,
  input: {
    voter: Pick<User, "id" | "email_verified_at">;
    roles: readonly Role[];
    projectId: number;
    ip: string;
  },
  now: Date,
): Promise<VoteOutcome> {
  if (!can(input.roles, "vote:cast")) return refuse(403, "not_voter");
  if (input.voter.email_verified_at === null) return refuse(403, "not_verified");
  const [project] = await nominee(database, input.projectId);
  if (
    !project ||
    project.status !== "submitted" ||
    project.decision !== "nominate" ||
    project.nominees_published_at === null
  ) {
    return refuse(404, "not_nominee");
  }
  if (!isPhaseOpen(project, "voting", now)) {
    return {
      ok: false,
      status: 403,
      refusal: "window_closed",
      message: windowMessage(project, now),
      categoryCode: project.category_code,
    };
  }

  const insertedId = await insertVote(database, {
    edition_id: project.edition_id,
    category_id: project.category_id,
    project_id: project.id,
    voter_id: input.voter.id,
    ip: input.ip,
    network: networkOf(input.ip),
    created_at: now.toISOString(),
  });

  let voteId = insertedId;
  if (voteId === undefined) {
    const [existing] = await existingVote(database, project.edition_id, project.category_id, input.voter.id);
    if (!existing || existing.project_id !== project.id)
      return refuse(409, "already_voted", project.category_code);
    voteId = existing.id;
  }
  const [progress] = await votedCategories(database, input.voter.id, project.edition_id);
  return {
    ok: true,
    created: insertedId !== undefined,
    voteId,
    editionId: project.edition_id,
    categoryCode: project.category_code,
    projectTitle: project.title,
    votedCategories: Number(progress?.count ?? 0),
  };
}

/** A voter's votes in an edition, with project and category, in category order. */
export async function votesOf(database: Db, voterId: number, editionId: number) {
  return database
    .selectFrom("votes as v")
    .innerJoin("projects as p", "p.id", "v.project_id")
    .innerJoin("categories as c", "c.id", "v.category_id")
    .select([
      "v.id",
      "v.created_at",
      "p.id as project_id",
      "p.title",
      "c.code",
      "c.name as category_name",
      "c.position",
    ])
    .where("v.voter_id", "=", voterId)
    .where("v.edition_id", "=", editionId)
    .orderBy("c.position")
    .execute();
}

/** What a visitor may do about voting in an edition, for the vote buttons of catalogue pages. */
export type Ballot =
  /** Voting not open: `message` says when it opens or when it closed. */
  | { state: "closed"; message: string }
  | { state: "anonymous" }
  | { state: "cannot-vote"; message: string }
  | { state: "open"; votedByCategory: Record<number, { projectId: number; title: string }> };

/**
 * The ballot of `user` (or an anonymous visitor) in an edition at `now`: whether voting is open, whether this
 * account may vote, and its votes per category. Counts are never part of it (hidden until results).
 */
export async function ballotFor(
  database: Db,
  input: { editionId: number; user: Pick<User, "id" | "email_verified_at"> | null; roles: readonly Role[] },
  now: Date,
): Promise<Ballot> {
  const edition = await database
    .selectFrom("editions")
    .selectAll()
    .where("id", "=", input.editionId)
    .executeTakeFirst();
  if (!edition) return { state: "closed", message: MESSAGES.window_closed };
  if (!isPhaseOpen(edition, "voting", now)) return { state: "closed", message: windowMessage(edition, now) };
  if (!input.user) return { state: "anonymous" };
  if (!can(input.roles, "vote:cast")) return { state: "cannot-vote", message: MESSAGES.not_voter };
  if (input.user.email_verified_at === null) return { state: "cannot-vote", message: MESSAGES.not_verified };
  const votes = await database
    .selectFrom("votes as v")
    .innerJoin("projects as p", "p.id", "v.project_id")
    .select(["v.category_id", "p.id", "p.title"])
    .where("v.voter_id", "=", input.user.id)
    .where("v.edition_id", "=", input.editionId)
    .execute();
  return {
    state: "open",
    votedByCategory: Object.fromEntries(
      votes.map((v) => [v.category_id, { projectId: v.id, title: v.title }]),
    ),
  };
}
