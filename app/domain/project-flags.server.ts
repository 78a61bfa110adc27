/**
 * Reviewer flags of submitted projects (DESIGN §4): near-duplicates among an edition's submitted projects and
 * earlier editions' winners, and likely previous winners (same organisation, similar title; similarity.ts).
 * They are re-derived whenever a project is submitted or saved while submitted, cleared when it is withdrawn,
 * and shown to reviewers (decisions.server.ts) and in the review queue.
 */
import type { Transaction } from "kysely";
import type { Database, Edition } from "../../db/schema";
import { nearDuplicates, titleSimilarity, SIMILAR_TITLE_THRESHOLD } from "./similarity";

/**
 * Re-derives the reviewer flags of a project being submitted: near-duplicates among the edition's submitted
 * projects (both directions, so the earlier project shows the link too) and earlier editions' winners, and
 * likely previous winners (same organisation, similar title).
 */
export async function recomputeFlags(
  trx: Transaction<Database>,
  p: { id: number; edition: Edition; organisationId: number; title: string; short_description: string },
  now: Date,
): Promise<void> {
  await clearFlags(trx, p.id, p.edition.id);
  const [peers, winners] = await Promise.all([
    trx
      .selectFrom("projects")
      .select(["id", "title", "short_description as description"])
      .where("edition_id", "=", p.edition.id)
      .where("status", "=", "submitted")
      .where("id", "!=", p.id)
      .execute(),
    trx
      .selectFrom("awards as a")
      .innerJoin("projects as w", "w.id", "a.project_id")
      .innerJoin("editions as e", "e.id", "a.edition_id")
      .select(["w.id", "w.title", "w.short_description as description", "w.organisation_id"])
      .where("a.kind", "=", "winner")
      .where("e.year", "<", p.edition.year)
      .execute(),
  ]);
  const subject = { title: p.title, description: p.short_description };
  const createdAt = now.toISOString();
  const rows: Array<{
    project_id: number;
    kind: "near_duplicate" | "previous_winner";
    match_project_id: number;
    score: number;
  }> = [];
  for (const { candidate, score } of nearDuplicates(subject, peers)) {
    rows.push({ project_id: p.id, kind: "near_duplicate", match_project_id: candidate.id, score });
    rows.push({ project_id: candidate.id, kind: "near_duplicate", match_project_id: p.id, score });
  }
  for (const { candidate, score } of nearDuplicates(subject, winners)) {
    rows.push({ project_id: p.id, kind: "near_duplicate", match_project_id: candidate.id, score });
  }
  for (const w of winners) {
    if (w.organisation_id !== p.organisationId) continue;
    const score = titleSimilarity(p.title, w.title);
    if (score >= SIMILAR_TITLE_THRESHOLD) {
      rows.push({
        project_id: p.id,
        kind: "previous_winner",
        match_project_id: w.id,
        score: Math.round(score * 1000) / 1000,
      });
    }
  }
  for (let i = 0; i < rows.length; i += 100) {
    await trx
      .insertInto("project_flags")
      .values(rows.slice(i, i + 100).map((r) => ({ ...r, created_at: createdAt })))
      .onConflict((oc) => oc.columns(["project_id", "kind", "match_project_id"]).doNothing())
      .execute();
  }
}

/** Removes a project's flags and the near-duplicate flags of its edition's projects that point at it. */
export async function clearFlags(
  trx: Transaction<Database>,
  projectId: number,
  editionId: number,
): Promise<void> {
  await trx.deleteFrom("project_flags").where("project_id", "=", projectId).execute();
  await trx
    .deleteFrom("project_flags")
    .where("kind", "=", "near_duplicate")
    .where("match_project_id", "=", projectId)
    .where("project_id", "in", trx.selectFrom("projects").select("id").where("edition_id", "=", editionId))
    .execute();
}
