/**
 * The stored official tally (DESIGN §5): its runs and the champions they name. The LATEST run is the official
 * result — the close run, or a later re-run by an organiser — so every reader (the jury, the selection report,
 * winner confirmation, results readiness, the voting admin page) asks this module for it.
 */
import type { Db } from "../../db/client";

/** The latest tally run of an edition (the official result: close run or a later re-run), or undefined. */
export async function latestTallyRun(database: Db, editionId: number) {
  return database
    .selectFrom("tally_runs")
    .selectAll()
    .where("edition_id", "=", editionId)
    .orderBy("id", "desc")
    .executeTakeFirst();
}

export interface ChampionRow {
  projectId: number;
  categoryId: number;
  title: string;
  organisationId: number;
  organisation: string;
  validVotes: number;
  rank: number;
  tied: boolean;
}

/** Champions of an edition (latest tally run), optionally of some categories only, by category then rank. */
export async function championsOf(
  database: Db,
  editionId: number,
  categoryIds?: readonly number[],
): Promise<ChampionRow[]> {
  if (categoryIds && categoryIds.length === 0) return [];
  const run = await latestTallyRun(database, editionId);
  if (!run) return [];
  const rows = await database
    .selectFrom("tally_results as r")
    .innerJoin("projects as p", "p.id", "r.project_id")
    .innerJoin("organisations as o", "o.id", "p.organisation_id")
    .select([
      "r.project_id",
      "r.category_id",
      "r.valid_votes",
      "r.rank",
      "r.tied_at_cutoff",
      "p.title",
      "p.organisation_id",
      "o.name as organisation",
    ])
    .where("r.run_id", "=", run.id)
    .where("r.champion", "=", 1)
    .where("p.edition_id", "=", editionId)
    .$if(categoryIds !== undefined, (qb) => qb.where("r.category_id", "in", categoryIds ?? []))
    .orderBy("r.category_id")
    .orderBy("r.rank")
    .orderBy("r.project_id")
    .execute();
  return rows.map((r) => ({
    projectId: r.project_id,
    categoryId: r.category_id,
    title: r.title,
    organisationId: r.organisation_id,
    organisation: r.organisation,
    validVotes: Number(r.valid_votes),
    rank: Number(r.rank),
    tied: Number(r.tied_at_cutoff) === 1,
  }));
}
