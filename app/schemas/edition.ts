import { z } from "zod";
import { PHASES, validatePhaseOrder, type PhaseInstants } from "../domain/phases";
import { LOCAL_DATETIME, canonicalTimeZone, zonedLocalToUtc } from "../domain/zoned-time";
import {
  EDITION_NAME_MAX,
  EDITION_YEAR_MAX,
  EDITION_YEAR_MIN,
  INSTANT_FIELDS,
  type InstantField,
} from "./edition-options";

export * from "./edition-options";

const localInstant = z
  .string({ error: "Enter a date and time." })
  .trim()
  .min(1, "Enter a date and time.")
  .max(19, "Enter a date and time.")
  .regex(LOCAL_DATETIME, "Enter a date and time as YYYY-MM-DDTHH:MM.")
  // Calendar check only (30 February); the edition's time zone is applied once every field is valid.
  .refine((v) => zonedLocalToUtc(v, "UTC") !== null, "This date does not exist.");

const timeZone = z
  .string({ error: "Enter a time zone." })
  .trim()
  .min(1, "Enter a time zone.")
  .transform((v, ctx) => {
    const canonical = canonicalTimeZone(v);
    if (canonical) return canonical;
    ctx.issues.push({
      code: "custom",
      input: v,
      message: "Enter an IANA time zone name such as Europe/Zurich or America/New_York.",
    });
    return z.NEVER;
  });

const name = z
  .string({ error: "Enter a name." })
  .trim()
  .min(1, "Enter a name.")
  .max(EDITION_NAME_MAX, `Keep the name to ${EDITION_NAME_MAX} characters or fewer.`);

const year = z
  .string({ error: "Enter a year." })
  .trim()
  .regex(/^\d{4}$/, "Enter a four-digit year such as 2027.")
  .transform(Number)
  .pipe(
    z
      .number()
      .int()
      .min(EDITION_YEAR_MIN, `Enter a year from ${EDITION_YEAR_MIN} to ${EDITION_YEAR_MAX}.`)
      .max(EDITION_YEAR_MAX, `Enter a year from ${EDITION_YEAR_MIN} to ${EDITION_YEAR_MAX}.`),
  );

const instantShape = {
  submission_opens_at: localInstant,
  submission_closes_at: localInstant,
  nomination_opens_at: localInstant,
  nomination_closes_at: localInstant,
  voting_opens_at: localInstant,
  voting_closes_at: localInstant,
  selection_opens_at: localInstant,
  selection_closes_at: localInstant,
  announcement_opens_at: localInstant,
  announcement_closes_at: localInstant,
} satisfies Record<InstantField, typeof localInstant>;

type LocalFields = { timezone: string } & Record<InstantField, string>;

function isComplete(instants: Partial<PhaseInstants>): instants is PhaseInstants {
  return INSTANT_FIELDS.every((f) => typeof instants[f] === "string");
}

/**
 * Reads the ten datetime-local values as wall-clock time in the form's time zone, then checks the phases are
 * in order (validatePhaseOrder). Issues are keyed by field, so each message sits beside its input.
 */
function toInstants<T extends LocalFields>(value: T, ctx: z.core.$RefinementCtx<T>) {
  const instants: Partial<PhaseInstants> = {};
  for (const field of INSTANT_FIELDS) {
    const at = zonedLocalToUtc(value[field], value.timezone);
    if (at) instants[field] = at.toISOString();
    else
      ctx.issues.push({
        code: "custom",
        input: value[field],
        path: [field],
        message: "This date does not exist.",
      });
  }
  if (!isComplete(instants)) return z.NEVER;
  const order = validatePhaseOrder(instants);
  for (const field of INSTANT_FIELDS) {
    const message = order[field];
    if (message) ctx.issues.push({ code: "custom", input: value[field], path: [field], message });
  }
  if (ctx.issues.length) return z.NEVER;
  return { ...value, ...instants };
}

/** The edition edit form (name, time zone, ten instants in that zone) → name, timezone and UTC ISO instants. */
export const EditionUpdateSchema = z
  .object({ name, timezone: timeZone, ...instantShape })
  .transform((value, ctx) => toInstants(value, ctx));

/** The new-edition form: the edit form plus the year. */
export const EditionCreateSchema = z
  .object({ year, name, timezone: timeZone, ...instantShape })
  .transform((value, ctx) => toInstants(value, ctx));

export type EditionUpdateInput = z.output<typeof EditionUpdateSchema>;
export type EditionCreateInput = z.output<typeof EditionCreateSchema>;

/** The "open <phase> now" demo button. */
export const OpenPhaseSchema = z.object({
  phase: z.enum(PHASES, { error: "Choose one of the five phases." }),
});
