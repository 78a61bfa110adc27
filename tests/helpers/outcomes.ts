import { explain } from "../../app/http/respond.server";

/**
 * A domain command whose refusals carry their answer (`status`, `message`, `code`, `field`) as the routes give
 * it, so tests assert what a user sees (issue 10 §3: the domain returns codes, respond() words them).
 */
export function explained<A extends unknown[], O extends { ok: boolean }>(
  command: (...args: A) => Promise<O>,
) {
  return async (...args: A) => explain(await command(...args));
}
