/** The edition form's fields, limits and value helpers, without zod (browser-safe). */
import { PHASES, PHASE_LABELS, type Phase, type PhaseInstants } from "../domain/phases";
import { utcToZonedLocal } from "../domain/zoned-time";

export const DEFAULT_TIME_ZONE = "Europe/Zurich";
export const EDITION_NAME_MAX = 120;
export const EDITION_YEAR_MIN = 2000;
export const EDITION_YEAR_MAX = 2100;

/** The ten instant fields, in schedule order. */
export const INSTANT_FIELDS = [
  "submission_opens_at",
  "submission_closes_at",
  "nomination_opens_at",
  "nomination_closes_at",
  "voting_opens_at",
  "voting_closes_at",
  "selection_opens_at",
  "selection_closes_at",
  "announcement_opens_at",
  "announcement_closes_at",
] as const satisfies ReadonlyArray<keyof PhaseInstants>;
export type InstantField = (typeof INSTANT_FIELDS)[number];

/** A readable label for one instant field, e.g. "Public voting opens". */
export function instantLabel(field: InstantField): string {
  const [phase, edge] = splitField(field);
  return `${PHASE_LABELS[phase]} ${edge === "opens" ? "opens" : "closes"}`;
}

function splitField(field: InstantField): [Phase, "opens" | "closes"] {
  const phase = PHASES.find((p) => field === `${p}_opens_at` || field === `${p}_closes_at`) ?? "submission";
  return [phase, field.endsWith("_opens_at") ? "opens" : "closes"];
}

/** Form defaults for an edition's instants: each shown as wall-clock time in the edition's time zone. */
export function instantDefaults(
  edition: PhaseInstants,
  timeZone: string,
): Partial<Record<InstantField, string>> {
  const out: Partial<Record<InstantField, string>> = {};
  for (const f of INSTANT_FIELDS) out[f] = utcToZonedLocal(edition[f], timeZone);
  return out;
}

/** The edition form as sent, each value cut short, to refill the inputs after an error. */
export function sentEditionValues(form: FormData): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  for (const [key, value] of form)
    if (key !== "_csrf" && typeof value === "string") out[key] = value.slice(0, 200);
  return out;
}

/**
 * The HTML constraints of the edition form; tests/unit/form-constraints.test.ts checks them against the
 * schema. The time zone's 64 characters are the form's own bound (the schema checks the name is a zone).
 */
export const EDITION_FIELDS = {
  name: { required: true, maxLength: EDITION_NAME_MAX },
  timezone: { required: true },
  ...(Object.fromEntries(INSTANT_FIELDS.map((f) => [f, { required: true }])) as Record<
    InstantField,
    { readonly required: true }
  >),
} as const;
