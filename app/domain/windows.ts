/**
 * When each stage's work may be done (DESIGN §3, §4, §6): the windows built on the phase instants of phases.ts.
 * Pure: every function takes the edition and the instant to judge at, and says why in one sentence either way.
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
import { formatInstant, hasPhaseStarted, isPhaseOpen } from "./phases";

/** Whether a window is open, with the sentence to show either way. */
export interface WindowState {
  open: boolean;
  message: string;
}

/** Whether submissions are open for an edition at `now`, with the sentence to show either way. */
export function submissionWindow(edition: Edition, now: Date): WindowState & { closes: string } {
  const opens = formatInstant(edition.submission_opens_at, edition.timezone);
  const closes = formatInstant(edition.submission_closes_at, edition.timezone);
  if (isPhaseOpen(edition, "submission", now)) {
    return { open: true, message: `Submissions are open until ${closes}.`, closes };
  }
  if (now.getTime() < new Date(edition.submission_opens_at).getTime()) {
    return { open: false, message: `Submissions for the ${edition.name} open on ${opens}.`, closes };
  }
  return {
    open: false,
    message: `The submission deadline of the ${edition.name} passed on ${closes}: projects can no longer be created, changed, submitted or withdrawn.`,
    closes,
  };
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
  if (edition.nominees_published_at !== null) {
    return {
      open: false,
      message: `The nominee list was published on ${formatInstant(edition.nominees_published_at, edition.timezone)}: decisions can no longer change.`,
    };
  }
  if (t < new Date(edition.submission_closes_at).getTime()) {
    return {
      open: false,
      message: `Projects can be decided once submission closes, on ${formatInstant(edition.submission_closes_at, edition.timezone)}.`,
    };
  }
  if (!reviewer.organiser && t >= new Date(edition.nomination_closes_at).getTime()) {
    return {
      open: false,
      message: `The nomination phase closed on ${formatInstant(edition.nomination_closes_at, edition.timezone)}. Ask an organiser to record any remaining decision.`,
    };
  }
  return {
    open: true,
    message: reviewer.organiser
      ? "Decisions can be recorded and changed until the nominee list is published."
      : `Decisions can be recorded and changed until the nomination phase closes on ${formatInstant(edition.nomination_closes_at, edition.timezone)}, or the nominee list is published if earlier.`,
  };
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
    return {
      open: false,
      message: `The results were published on ${formatInstant(edition.results_published_at, tz)}: scores are final.`,
    };
  }
  if (!hasPhaseStarted(edition, "selection", now)) {
    return {
      open: false,
      message: `Scoring opens with the selection phase on ${formatInstant(edition.selection_opens_at, tz)}.`,
    };
  }
  if (!isPhaseOpen(edition, "selection", now)) {
    return {
      open: false,
      message: `The selection phase closed on ${formatInstant(edition.selection_closes_at, tz)}: scores are final.`,
    };
  }
  return {
    open: true,
    message: `Scores can be saved and changed until you submit a category, or until the selection phase closes on ${formatInstant(edition.selection_closes_at, tz)}.`,
  };
}

/** Whether organisers may confirm or unconfirm winners at `now`. */
export function winnerWindow(edition: SelectionTimes, now: Date): WindowState {
  const tz = edition.timezone;
  if (edition.results_published_at !== null) {
    return {
      open: false,
      message: `The results were published on ${formatInstant(edition.results_published_at, tz)}: winners can no longer change.`,
    };
  }
  if (!hasPhaseStarted(edition, "selection", now)) {
    return {
      open: false,
      message: `Winners can be confirmed once the selection phase opens, on ${formatInstant(edition.selection_opens_at, tz)}.`,
    };
  }
  return { open: true, message: "Winners can be confirmed and unconfirmed until the results are published." };
}

/** Whether experts' complete drafts have become final because the phase is over. */
export function selectionPhaseOver(edition: SelectionTimes, now: Date): boolean {
  return (
    edition.results_published_at !== null ||
    (!isPhaseOpen(edition, "selection", now) && hasPhaseStarted(edition, "selection", now))
  );
}
