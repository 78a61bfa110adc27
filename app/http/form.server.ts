/**
 * One way to read a posted form (issue 10 §3): readForm's checks (same origin, size, CSRF), then the schema.
 * Answers the data, or the field errors with the values that were submitted, for the page to show again.
 */
import type { z } from "zod";
import { fieldErrorsFrom, type FieldErrors } from "../components/forms";
import { CSRF_FIELD, readForm } from "../utils/csrf.server";

export type ParsedForm<T> =
  | { ok: true; data: T; form: FormData }
  | { ok: false; errors: FieldErrors; values: Record<string, string>; form: FormData };

/** The submitted text fields (not the CSRF token, not files): the first value of each name. */
export function submittedValues(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of form.entries()) {
    if (name === CSRF_FIELD || typeof value !== "string" || name in values) continue;
    values[name] = value;
  }
  return values;
}

/**
 * Reads and validates a posted form. `input` shapes what the schema reads (default: one value per name, as
 * `Object.fromEntries`); use it for repeated fields (`form.getAll`) or optional checkboxes.
 */
export async function parseForm<S extends z.ZodType>(
  request: Request,
  schema: S,
  input: (form: FormData) => unknown = (form) => Object.fromEntries(form),
): Promise<ParsedForm<z.output<S>>> {
  const form = await readForm(request);
  const parsed = schema.safeParse(input(form));
  if (parsed.success) return { ok: true, data: parsed.data, form };
  return { ok: false, errors: fieldErrorsFrom(parsed.error.issues), values: submittedValues(form), form };
}
