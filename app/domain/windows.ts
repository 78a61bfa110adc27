/**
 * When each stage's work may be done (DESIGN §3, §4, §6): the windows built on the phase instants of phases.ts.
 * Pure: every function takes the edition and the instant to judge at, and says why with a code (worded in
 * app/messages/refusals.ts) either way.
 *
 * - Submission: organisations create, change, submit and withdraw projects while the submission phase is open.
 * - Decisions (documented choice): a project can be decided from the instant submission closes (before that
 *   it may still change) until the nominee list is published (publication freezes every decision). On top of
 *   that, experts decide only until the nomination phase closes — phase 2 is their working time — while
 *   organisers may still record or correct decisions after it closes, up to publication, so that a late
 *   category never blocks the vote.
 * - Scoring: experts save and revise their scores while the selection phase is open, until they submit the
 *   category (scoring.server.ts); once the phase closes, or the results are published, scores are final.
 * - Winners: organisers confirm and unconfirm winners from the moment selection opens until the results are
 *   published.
 */
import type { Edition } from "../../db/schema";
import { refusalMessage, type RefusalCode } from "../messages/refusals";
import { refuse, type RefusalValues } from "./outcome";
import { formatInstant, hasPhaseStarted, isPhaseOpen } from "./phases";

/** Whether a window is open, with the code and values that say why, and the sentence they make. */
export interface WindowState {
  open: boolean;
  code: RefusalCode;
  values: RefusalValues;
  message: string;
}

function state(open: boolean, code: RefusalCode, values: RefusalValues = {}): WindowState {
  return { open, code, values, message: refusalMessage(code, values) };
}

/** The refusal a closed window gives a command. */
export function windowRefusal(window: WindowState) {
  return refuse(window.code, window.values);
}

/** Whether submissions are open for an edition at `now`, with the sentence to show either way. */
export function submissionWindow(edition: Edition, now: Date): WindowState & { closes: string } {
  const opens = formatInstant(edition.submission_opens_at, edition.timezone);
  const closes = formatInstant(edition.submission_closes_at, edition.timezone);
  if (isPhaseOpen(edition, "submission", now)) {
    return { ...state(true, "submission_open", { closes }), closes };
  }
  if (now.getTime() < new Date(edition.submission_opens_at).getTime()) {
    return { ...state(false, "submission_not_yet", { edition: edition.name, opens }), closes };
  }
  return { ...state(false, "submission_closed", { edition: edition.name, closes }), closes };
}

/** The editions' instants a decision window reads. */
type DecisionTimes = Pick<
  Edition,
  "submission_closes_at" | "nomination_closes_at" | "nominees_published_at" | "timezone"
>;

/** Whether a reviewer (an organiser or an expert) may record a decision in this edition at `now`. */
export function decisionWindow(
  edition: DecisionTimes,
  reviewer: { organiser: boolean },
  now: Date,
): WindowState {
  const t = now.getTime();
  const tz = edition.timezone;
  if (edition.nominees_published_at !== null) {
    return state(false, "decisions_published", {
      published: formatInstant(edition.nominees_published_at, tz),
    });
  }
  if (t < new Date(edition.submission_closes_at).getTime()) {
    return state(false, "decisions_not_yet", { opens: formatInstant(edition.submission_closes_at, tz) });
  }
  if (!reviewer.organiser && t >= new Date(edition.nomination_closes_at).getTime()) {
    return state(false, "decisions_nomination_closed", {
      closed: formatInstant(edition.nomination_closes_at, tz),
    });
  }
  return reviewer.organiser
    ? state(true, "decisions_open_organiser")
    : state(true, "decisions_open_expert", { closes: formatInstant(edition.nomination_closes_at, tz) });
}

/** The editions' instants the selection windows read. */
type SelectionTimes = Pick<
  Edition,
  "selection_opens_at" | "selection_closes_at" | "results_published_at" | "timezone"
> &
  Parameters<typeof isPhaseOpen>[0];

/** Whether experts may save, declare conflicts and submit at `now`. */
export function scoringWindow(edition: SelectionTimes, now: Date): WindowState {
  const tz = edition.timezone;
  if (edition.results_published_at !== null) {
    return state(false, "scoring_published", { published: formatInstant(edition.results_published_at, tz) });
  }
  if (!hasPhaseStarted(edition, "selection", now)) {
    return state(false, "scoring_not_yet", { opens: formatInstant(edition.selection_opens_at, tz) });
  }
  if (!isPhaseOpen(edition, "selection", now)) {
    return state(false, "scoring_closed", { closed: formatInstant(edition.selection_closes_at, tz) });
  }
  return state(true, "scoring_open", { closes: formatInstant(edition.selection_closes_at, tz) });
}

/** Whether organisers may confirm or unconfirm winners at `now`. */
export function winnerWindow(edition: SelectionTimes, now: Date): WindowState {
  const tz = edition.timezone;
  if (edition.results_published_at !== null) {
    return state(false, "winners_published", { published: formatInstant(edition.results_published_at, tz) });
  }
  if (!hasPhaseStarted(edition, "selection", now)) {
    return state(false, "winners_not_yet", { opens: formatInstant(edition.selection_opens_at, tz) });
  }
  return state(true, "winners_open");
}

/** Whether experts' complete drafts have become final because the phase is over. */
export function selectionPhaseOver(edition: SelectionTimes, now: Date): boolean {
  return (
    edition.results_published_at !== null ||
    (!isPhaseOpen(edition, "selection", now) && hasPhaseStarted(edition, "selection", now))
  );
}
