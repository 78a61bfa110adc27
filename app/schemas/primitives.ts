/**
 * The zod building blocks the form schemas share: one definition each (an id from a form or a URL, a reason,
 * a checkbox, an email address, a page number). Server-side with the schemas: the browser bundle gets the
 * limits from the *-options modules, never zod.
 */
import { z } from "zod";
import { EMAIL_MAX_LENGTH } from "./auth-options";

/** Largest id a row can have (INTEGER / int4 columns). */
export const MAX_ID = 2 ** 31 - 1;

/** A row id from a form field or a URL segment: a positive whole number; `message` for any bad value. */
export function id(message?: string) {
  return z.coerce
    .number(message === undefined ? undefined : { error: message })
    .int(message)
    .positive(message)
    .max(MAX_ID, message);
}

/** A checkbox: ticked when posted as "on" (or "true", "1"), unticked when absent. */
export const checkbox = z.preprocess((v) => v === "on" || v === "true" || v === "1", z.boolean());

/** Form text, trimmed; a missing field reads as "". */
export function formText(opts: { max: number; maxMessage: string; min?: number; minMessage?: string }) {
  const text = z.string().trim();
  const bounded = opts.min === undefined ? text : text.min(opts.min, opts.minMessage);
  return z.preprocess((v) => (typeof v === "string" ? v : ""), bounded.max(opts.max, opts.maxMessage));
}

/** A reason given for an organiser's or expert's action: at least `min` characters when required. */
export function reason(max: number, opts: { min?: number; minMessage?: string } = {}) {
  return formText({ max, maxMessage: `Keep the reason under ${max} characters.`, ...opts });
}

/** An email address typed into a form; `what` completes "Enter …" ("your email address"). */
export function email(what: string) {
  return z
    .string({ error: `Enter ${what}.` })
    .trim()
    .min(1, `Enter ${what}.`)
    .max(EMAIL_MAX_LENGTH, `An email address has at most ${EMAIL_MAX_LENGTH} characters.`)
    .pipe(z.email({ error: "Enter an email address such as name@example.org." }));
}

/** ?page= on lists: a whole number from 1 to `max`; anything else reads as page 1. */
export function pageParam(max: number) {
  return z.coerce.number().int().min(1).max(max).catch(1);
}
