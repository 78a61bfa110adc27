/** The tally jobs: the every-second live count (which also asks for close tallies) and the official recount. */
import { instanceId } from "../../db/instance";
import { tallyCloseJobId, type JobDeps, type JobPayloads } from "../jobs/contract";
import { processJobs } from "../jobs/port.server";
import { log } from "../utils/log.server";
import { jobToAdd } from "./job-successors.server";
import { advanceLiveCounts, recordTally, type TallyHooks } from "./tally.server";

/**
 * Every second: advances the live counts of every edition whose voting has opened and whose selection has not
 * started, and enqueues the official tally of every edition whose voting has closed without one — also when
 * selection opened at the very instant voting closed ("Open selection now", back-to-back dates) or the workers
 * were down over the gap, as long as the results are not published.
 */
export async function liveTally(deps: JobDeps): Promise<number> {
  const now = deps.now().toISOString();
  const live = await deps.db
    .selectFrom("editions")
    .select("id")
    .where("voting_opens_at", "<=", now)
    .where("selection_opens_at", ">", now)
    .execute();
  for (const e of live) await advanceLiveCounts(deps.db, e.id, deps.now());

  const untallied = await deps.db
    .selectFrom("editions")
    .select("id")
    .where("voting_closes_at", "<=", now)
    .where("results_published_at", "is", null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("tally_runs")
            .select("tally_runs.id")
            .whereRef("tally_runs.edition_id", "=", "editions.id")
            .where("tally_runs.trigger", "=", "close"),
        ),
      ),
    )
    .execute();
  if (untallied.length) {
    const instance = await instanceId(deps.db);
    for (const e of untallied) {
      // A kept tally-close job of a restored database (which lost its run) gets a successor.
      const jobId = await jobToAdd(deps, "official-tally", tallyCloseJobId(instance, e.id), Date.parse(now));
      if (jobId === null) continue;
      await (deps.jobs ?? processJobs()).enqueue(
        "official-tally",
        { editionId: e.id, trigger: "close", requestedBy: null },
        jobId,
      );
    }
  }
  return live.length;
}

/**
 * TEST-ONLY fault injection: with WSIS_TEST_TALLY_PAUSE_MS set (milliseconds; ignored when NODE_ENV is
 * production), the official tally waits that long inside its transaction, after writing every row and before
 * committing, and logs "tally paused before commit" — so a test can SIGKILL the worker mid-tally.
 */
export const TALLY_PAUSE_ENV = "WSIS_TEST_TALLY_PAUSE_MS";

function testPauseHooks(editionId: number): TallyHooks {
  const ms = Number(process.env[TALLY_PAUSE_ENV] ?? 0);
  if (!(ms > 0) || process.env.NODE_ENV === "production") return {};
  return {
    async beforeCommit() {
      log.warn("tally paused before commit", { editionId, pauseMs: ms });
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
  };
}

/** The official recount (at close, or re-run by an organiser): one transaction, same result on retry. */
export async function officialTally(data: JobPayloads["official-tally"], deps: JobDeps) {
  await advanceLiveCounts(deps.db, data.editionId, deps.now());
  return recordTally(deps.db, data, deps.now(), testPauseHooks(data.editionId));
}
