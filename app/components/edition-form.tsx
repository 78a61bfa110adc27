import { Field, type FieldErrors } from "./forms";
import { PHASES, PHASE_LABELS } from "~/domain/phases";
import {
  DEFAULT_TIME_ZONE,
  EDITION_FIELDS,
  instantLabel,
  type InstantField,
} from "~/schemas/edition-options";

/** Values to show in the edition form: what was sent (after an error) or what is stored. */
export type EditionFormValues = Partial<Record<"year" | "name" | "timezone" | InstantField, string>>;

/**
 * The fields shared by the new-edition and edit-edition forms: name, time zone and the ten phase instants,
 * entered as wall-clock time in that time zone. Each error sits beside its field.
 */
export function EditionFields({ values, errors }: { values: EditionFormValues; errors: FieldErrors }) {
  const timeZone = values.timezone || DEFAULT_TIME_ZONE;
  return (
    <>
      <Field
        name="name"
        label="Name"
        {...EDITION_FIELDS.name}
        defaultValue={values.name ?? ""}
        error={errors.name}
        hint="Shown to the public, e.g. “WSIS Prizes 2027”."
      />
      <Field
        name="timezone"
        label="Time zone"
        {...EDITION_FIELDS.timezone}
        maxLength={64}
        autoComplete="off"
        spellCheck={false}
        defaultValue={timeZone}
        error={errors.timezone}
        hint="An IANA name such as Europe/Zurich (Geneva) or America/New_York. The dates below are read in this time zone."
      />
      {PHASES.map((phase) => (
        <fieldset key={phase}>
          <legend>{PHASE_LABELS[phase]}</legend>
          {([`${phase}_opens_at`, `${phase}_closes_at`] as const).map((field) => (
            <Field
              key={field}
              name={field}
              label={instantLabel(field)}
              type="datetime-local"
              {...EDITION_FIELDS[field]}
              defaultValue={values[field] ?? ""}
              error={errors[field]}
            />
          ))}
        </fieldset>
      ))}
    </>
  );
}
