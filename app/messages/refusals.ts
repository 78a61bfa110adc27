/**
 * Every sentence a refusal (and a phase window's note) shows, keyed by its stable code (issue 10 §3). The
 * domain returns codes with the values a sentence needs (app/domain/outcome.ts); this is the one place the
 * English wording lives, and the base the languages issue translates. Dates arrive already formatted in the
 * edition's time zone.
 */
import type { RefusalValues } from "../domain/outcome";

type Words = (v: RefusalValues) => string;

const s = (v: RefusalValues, key: string): string => String(v[key] ?? "");
const n = (v: RefusalValues, key: string): number => Number(v[key] ?? 0);

export const REFUSALS = {
  // Not found
  edition_not_found: () => "This edition does not exist.",
  user_not_found: () => "This user does not exist.",
  project_not_in_edition: () => "This project does not exist in this edition.",
  winner_not_found: () => "This project is not a confirmed winner.",
  score_project_not_found: () => "This project does not exist or is not one you score.",
  score_category_not_found: () => "This category does not exist or is not one you score.",
  review_project_not_found: () => "This project does not exist or is not in your review queue.",
  category_unknown: () => "Unknown category.",

  // Voting (DESIGN §5)
  not_verified: () =>
    "Please confirm your email address before voting: use the link we sent you, or ask for a new one on your account page.",
  not_voter: () =>
    "Your account cannot vote. Voting needs a registered account with a confirmed email address.",
  not_nominee: () => "This project is not a nominee you can vote for.",
  window_closed: (v) =>
    v.opens
      ? `Voting opens on ${s(v, "opens")}.`
      : v.closed
        ? `Voting closed on ${s(v, "closed")}.`
        : "Voting is not open for this edition.",
  already_voted: () => "You have already voted in this category. A vote is final.",

  // Phase windows (app/domain/windows.ts): refusals when closed, notes when open
  submission_open: (v) => `Submissions are open until ${s(v, "closes")}.`,
  submission_not_yet: (v) => `Submissions for the ${s(v, "edition")} open on ${s(v, "opens")}.`,
  submission_closed: (v) =>
    `The submission deadline of the ${s(v, "edition")} passed on ${s(v, "closes")}: projects can no longer be created, changed, submitted or withdrawn.`,
  decisions_published: (v) =>
    `The nominee list was published on ${s(v, "published")}: decisions can no longer change.`,
  decisions_not_yet: (v) => `Projects can be decided once submission closes, on ${s(v, "opens")}.`,
  decisions_nomination_closed: (v) =>
    `The nomination phase closed on ${s(v, "closed")}. Ask an organiser to record any remaining decision.`,
  decisions_open_organiser: () =>
    "Decisions can be recorded and changed until the nominee list is published.",
  decisions_open_expert: (v) =>
    `Decisions can be recorded and changed until the nomination phase closes on ${s(v, "closes")}, or the nominee list is published if earlier.`,
  scoring_published: (v) => `The results were published on ${s(v, "published")}: scores are final.`,
  scoring_not_yet: (v) => `Scoring opens with the selection phase on ${s(v, "opens")}.`,
  scoring_closed: (v) => `The selection phase closed on ${s(v, "closed")}: scores are final.`,
  scoring_open: (v) =>
    `Scores can be saved and changed until you submit a category, or until the selection phase closes on ${s(v, "closes")}.`,
  winners_published: (v) =>
    `The results were published on ${s(v, "published")}: winners can no longer change.`,
  winners_not_yet: (v) => `Winners can be confirmed once the selection phase opens, on ${s(v, "opens")}.`,
  winners_open: () => "Winners can be confirmed and unconfirmed until the results are published.",

  // Nomination decisions (DESIGN §3)
  review_conflict: () =>
    "You are a member of this project’s organisation, so you cannot decide it: another organiser or an assigned expert must.",
  decision_reason_missing: () => "Explain the reason in a few words.",

  // Expert assignments
  not_an_expert: (v) => `${s(v, "name")} does not hold the expert role: grant it first.`,

  // Nominee publication (DESIGN §3)
  nominees_already_published: (v) =>
    v.published
      ? `The nominee list of ${s(v, "edition")} was already published on ${s(v, "published")}. Nothing was sent again.`
      : "The nominee list was already published. Nothing was sent again.",
  nominees_submission_open: (v) =>
    `Submission is open until ${s(v, "closes")}: the nominee list can be published after that.`,
  nominees_undecided: (v) => {
    const one = n(v, "undecided") === 1;
    return `${n(v, "undecided")} submitted ${one ? "project has" : "projects have"} no decision yet. Wait for the experts, or tick “publish anyway” to count ${one ? "it" : "them"} as not nominated.`;
  },

  // Jury scoring (DESIGN §6)
  scores_invalid: () => "Some scores need your attention.",
  scores_submitted: (v) =>
    `You submitted your scores for this category on ${s(v, "submitted")}: they are final.`,
  conflict_reason_missing: () => "Give the reason for the conflict.",
  nothing_to_score: () =>
    "There is no champion for you to score in this category, so there is nothing to submit.",
  scores_incomplete: (v) =>
    `Score every project completely (nine criteria and a comment) before submitting: ${n(v, "missing")} of ${n(v, "total")} ${n(v, "missing") === 1 ? "is" : "are"} not complete yet.`,

  // Winners (DESIGN §6)
  not_a_champion: (v) => `“${s(v, "title")}” is not a champion of its category: only champions can win.`,
  already_a_winner: (v) => `“${s(v, "title")}” is already a winner.`,
  category_has_winner: (v) =>
    `This category already has a winner (“${s(v, "winners")}”). Tick “override” and give a reason to confirm another one.`,
  winner_reason_missing: () => "Give the reason for a further winner in this category.",
  winner_reason_too_long: (v) => `Keep the reason under ${n(v, "max")} characters.`,

  // Results publication (DESIGN §7)
  results_already_published: (v) =>
    v.published
      ? `The results of the ${s(v, "edition")} were already published on ${s(v, "published")}. Nothing was sent again.`
      : "The results were already published. Nothing was sent again.",
  results_voting_open: (v) =>
    `Public voting is open until ${s(v, "closes")}: the results can be published after the official tally.`,
  results_not_ready: () => "The results cannot be published yet:",
} satisfies Record<string, Words>;

export type RefusalCode = keyof typeof REFUSALS;

/** The sentence for a code, worded with its values. */
export function refusalMessage(code: string, values: RefusalValues = {}): string {
  const words = (REFUSALS as Record<string, Words>)[code];
  if (!words) throw new Error(`No message for refusal code "${code}"`);
  return words(values);
}
