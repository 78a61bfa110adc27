/**
 * The one shape of a domain command's answer (issue 10 §3): its result, or a refusal with a stable `code`,
 * the form `field` it concerns (if any) and the `values` its message needs. No HTTP status and no English
 * sentence here: app/messages/refusals.ts words a code, app/http/respond.server.ts answers with it.
 */

/** What a message needs to be worded: names, dates already formatted in the edition's time zone, counts. */
export type RefusalValues = Record<string, string | number>;

export interface Refusal<C extends string = string> {
  code: C;
  field?: string;
  values?: RefusalValues;
}

/** A refused command; `errors` carries per-field schema messages when the refusal is about a whole form. */
export interface Refused<C extends string = string> {
  ok: false;
  refusal: Refusal<C>;
  errors?: Partial<Record<string, string>>;
}

export type Outcome<T extends object = object, C extends string = string> = ({ ok: true } & T) | Refused<C>;

/** A refusal with its code, the values its message needs and, optionally, the field it concerns. */
export function refuse<C extends string>(
  code: C,
  values?: RefusalValues,
  field?: string,
): { ok: false; refusal: Refusal<C> } {
  const refusal: Refusal<C> = { code };
  if (field !== undefined) refusal.field = field;
  if (values !== undefined) refusal.values = values;
  return { ok: false, refusal };
}
