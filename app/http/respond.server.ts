/**
 * One way to answer a refused command (issue 10 §3): a code's HTTP status and its sentence from the message
 * catalogue. Routes use `respond()`, the POST /vote endpoint and tests use `answer()` / `explain()`.
 */
import { json, type TypedResponse } from "@remix-run/node";
import type { Refusal, RefusalValues } from "../domain/outcome";
import { refusalMessage, type RefusalCode } from "../messages/refusals";

/** The status of every refusal code; a code not listed answers 409 (the state does not allow it now). */
const STATUS: Partial<Record<RefusalCode, 400 | 403 | 404 | 409>> = {
  edition_not_found: 404,
  user_not_found: 404,
  project_not_in_edition: 404,
  winner_not_found: 404,
  score_project_not_found: 404,
  score_category_not_found: 404,
  review_project_not_found: 404,
  not_nominee: 404,
  category_unknown: 400,
  not_an_expert: 400,
  decision_reason_missing: 400,
  scores_invalid: 400,
  conflict_reason_missing: 400,
  winner_reason_missing: 400,
  winner_reason_too_long: 400,
  not_verified: 403,
  not_voter: 403,
  window_closed: 403,
  review_conflict: 403,
};

export interface Answer {
  code: string;
  status: 400 | 403 | 404 | 409;
  message: string;
  field: string | null;
  values: RefusalValues;
}

/** The status, sentence and field of a refusal. */
export function answer(refusal: Refusal): Answer {
  return {
    code: refusal.code,
    status: STATUS[refusal.code as RefusalCode] ?? 409,
    message: refusalMessage(refusal.code, refusal.values),
    field: refusal.field ?? null,
    values: refusal.values ?? {},
  };
}

/** An outcome with its answer spread on a refusal: `{ ok: false, code, status, message, field, … }`. */
export function explain<O extends { ok: boolean }>(
  outcome: O,
): O extends { ok: false; refusal: Refusal } ? O & Answer : O {
  if (outcome.ok || !("refusal" in outcome)) return outcome as never;
  return { ...outcome, ...answer((outcome as unknown as { refusal: Refusal }).refusal) } as never;
}

/**
 * Answers a refusal from a route: a not-found refusal is thrown as the 404 page; any other returns `body` (built
 * from the answer) as JSON with the code's status, for the page to show beside the form.
 */
export function respond<D>(refusal: Refusal, body: (a: Answer) => D): TypedResponse<D> {
  const a = answer(refusal);
  if (a.status === 404) throw new Response(a.message, { status: 404, statusText: "Not Found" });
  return json(body(a), { status: a.status });
}
