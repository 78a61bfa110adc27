import type { Db } from "../../db/client";
import { audit } from "./audit.server";
import { votesOfFlag } from "./fraud.server";
import { hasPhaseStarted } from "./phases";

export type InvalidationResult = { ok: true; invalidated: number } | { ok: false; message: string };

async function editionOpenForInvalidation(
  database: Db,
  editionId: number,
  now: Date,
): Promise<string | null> {
  const edition = await database
    .selectFrom("editions")
    .selectAll()
    .where("id", "=", editionId)
    .executeTakeFirst();
  if (!edition) return "This edition does not exist.";
  if (hasPhaseStarted(edition, "selection", now))
    return "Selection has started: votes can no longer be invalidated.";
  return null;
}

/**
 * Appends invalidation events for the given votes of one edition (votes already invalid are skipped; nothing
 * is ever deleted) and audit-logs it, in one transaction. Tallies count only votes without an invalidation.
 */
export async function invalidateVotes(
  database: Db,
  input: {
    editionId: number;
    voteIds: readonly number[];
    reason: string;
    actorUserId: number;
    flagId?: number | null;
  },
  now: Date,
): Promise<InvalidationResult> {
  const refusal = await editionOpenForInvalidation(database, input.editionId, now);
  if (refusal) return { ok: false, message: refusal };
  if (input.voteIds.length === 0) return { ok: false, message: "No votes match." };
  return database.transaction().execute(async (trx) => {
    let invalidated = 0;
    for (let i = 0; i < input.voteIds.length; i += 500) {
      const chunk = input.voteIds.slice(i, i + 500);
      const targets = await trx
        .selectFrom("votes as v")
        .select("v.id")
        .where("v.id", "in", chunk)
        .where("v.edition_id", "=", input.editionId)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(selectFrom("vote_invalidations as i").select("i.id").whereRef("i.vote_id", "=", "v.id")),
          ),
        )
        .execute();
      if (targets.length === 0) continue;
      await trx
        .insertInto("vote_invalidations")
        .values(
          targets.map((t) => ({
            vote_id: t.id,
            reason: input.reason,
            flag_id: input.flagId ?? null,
            created_by: input.actorUserId,
            created_at: now.toISOString(),
          })),
        )
        .execute();
      invalidated += targets.length;
    }
    await audit(trx, {
      actorUserId: input.actorUserId,
      action: "votes.invalidate",
      entity: "edition",
      entityId: input.editionId,
      after: {
        reason: input.reason,
        flagId: input.flagId ?? null,
        requested: input.voteIds.length,
        invalidated,
      },
      now,
    });
    if (input.flagId) {
      await trx
        .updateTable("fraud_flags")
        .set({ status: "invalidated", updated_at: now.toISOString() })
        .where("id", "=", input.flagId)
        .execute();
    }
    return { ok: true as const, invalidated };
  });
}

/** Invalidates every vote of one voter in an edition. */
export async function invalidateVoter(
  database: Db,
  input: { editionId: number; voterId: number; reason: string; actorUserId: number },
  now: Date,
): Promise<InvalidationResult> {
  const votes = await database
    .selectFrom("votes")
    .select("id")
    .where("edition_id", "=", input.editionId)
    .where("voter_id", "=", input.voterId)
    .execute();
  return invalidateVotes(database, { ...input, voteIds: votes.map((v) => v.id) }, now);
}

/** Invalidates the cluster of votes a fraud flag covers and marks the flag as handled. */
export async function invalidateFlag(
  database: Db,
  input: { flagId: number; reason: string; actorUserId: number },
  now: Date,
): Promise<InvalidationResult> {
  const flag = await database
    .selectFrom("fraud_flags")
    .selectAll()
    .where("id", "=", input.flagId)
    .executeTakeFirst();
  if (!flag) return { ok: false, message: "This flag does not exist." };
  const voteIds = await votesOfFlag(database, flag.id);
  return invalidateVotes(
    database,
    {
      editionId: flag.edition_id,
      voteIds,
      reason: input.reason,
      actorUserId: input.actorUserId,
      flagId: flag.id,
    },
    now,
  );
}

/** Dismisses a flag (evidence judged harmless); audit-logged. */
export async function dismissFlag(
  database: Db,
  input: { flagId: number; actorUserId: number },
  now: Date,
): Promise<void> {
  await database.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable("fraud_flags")
      .set({ status: "dismissed", updated_at: now.toISOString() })
      .where("id", "=", input.flagId)
      .where("status", "=", "open")
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) {
      await audit(trx, {
        actorUserId: input.actorUserId,
        action: "fraud_flag.dismiss",
        entity: "fraud_flag",
        entityId: input.flagId,
        now,
      });
    }
  });
}

/** Cast vs valid votes of a project, with the invalidation reasons and their counts. */
export async function projectVoteValidity(database: Db, projectId: number) {
  const [cast, reasons] = await Promise.all([
    database
      .selectFrom("votes")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("project_id", "=", projectId)
      .executeTakeFirstOrThrow(),
    database
      .selectFrom("vote_invalidations as i")
      .innerJoin("votes as v", "v.id", "i.vote_id")
      .select(["i.reason", (eb) => eb.fn.count<number>("i.vote_id").distinct().as("n")])
      .where("v.project_id", "=", projectId)
      .groupBy("i.reason")
      .execute(),
  ]);
  const invalid = reasons.reduce((s, r) => s + Number(r.n), 0);
  return {
    cast: Number(cast.n),
    valid: Number(cast.n) - invalid,
    reasons: reasons.map((r) => ({ reason: r.reason, votes: Number(r.n) })),
  };
}
