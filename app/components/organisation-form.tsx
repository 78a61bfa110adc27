import { Form } from "@remix-run/react";
import { useState, type ReactNode, type SelectHTMLAttributes } from "react";
import type { ItuRegion, StakeholderType } from "../../db/schema";
import { ITU_REGIONS, REGION_LABELS, regionOf } from "../domain/regions";
import { ORGANISATION_FIELDS, STAKEHOLDER_LABELS, STAKEHOLDER_TYPES } from "../schemas/organisation-options";
import { CsrfInput, Field, FieldFrame, type FieldErrors } from "./forms";

interface SelectFieldProps extends SelectHTMLAttributes<HTMLSelectElement> {
  name: string;
  label: string;
  error?: string;
  hint?: ReactNode;
  children: ReactNode;
}

/** A labelled select with its hint and its error message right beside it (the select twin of Field). */
export function SelectField({ name, label, error, hint, id, children, ...select }: SelectFieldProps) {
  return (
    <FieldFrame name={name} id={id} label={label} error={error} hint={hint}>
      {(control) => (
        <select {...control} {...select}>
          {children}
        </select>
      )}
    </FieldFrame>
  );
}

/** The values the organisation form starts with (the saved profile, or what was just posted). */
export interface OrganisationFormValues {
  name: string;
  stakeholderType: StakeholderType | "";
  country: string;
  region: ItuRegion | "";
  website: string;
  contactName: string;
  contactEmail: string;
}

/**
 * The organisation profile form. Without JavaScript the server derives the region from the country; with it,
 * choosing a country also selects its region right away, so what the user sees is what will be saved.
 */
export function OrganisationForm({
  countries,
  values,
  errors,
  submitLabel,
  intent,
}: {
  countries: ReadonlyArray<{ code: string; name: string }>;
  values: OrganisationFormValues;
  errors: FieldErrors;
  submitLabel: string;
  intent?: string;
}) {
  const [country, setCountry] = useState(values.country);
  const [region, setRegion] = useState<string>(values.region);
  // Follow the country unless International was chosen; a region that only came from the previous country
  // is cleared when the new one is ambiguous, so the server asks instead of keeping a wrong guess.
  const onCountry = (code: string) => {
    const before = regionOf(country);
    const after = regionOf(code);
    setCountry(code);
    if (region === "international") return;
    if (after) setRegion(after);
    else if (region === before) setRegion("");
  };
  return (
    <Form method="post" noValidate>
      <CsrfInput />
      {intent ? <input type="hidden" name="intent" value={intent} /> : null}
      {errors.form ? (
        <p className="error" role="alert">
          {errors.form}
        </p>
      ) : null}
      <Field
        name="name"
        label="Name of the organisation"
        defaultValue={values.name}
        {...ORGANISATION_FIELDS.name}
        autoComplete="organization"
        error={errors.name}
      />
      <SelectField
        name="stakeholderType"
        label="Stakeholder type"
        defaultValue={values.stakeholderType}
        {...ORGANISATION_FIELDS.stakeholderType}
        error={errors.stakeholderType}
      >
        <option value="">Choose…</option>
        {STAKEHOLDER_TYPES.map((t) => (
          <option key={t} value={t}>
            {STAKEHOLDER_LABELS[t]}
          </option>
        ))}
      </SelectField>
      <SelectField
        name="country"
        label="Country"
        hint="Where the organisation is based."
        defaultValue={values.country}
        {...ORGANISATION_FIELDS.country}
        error={errors.country}
        onChange={(e) => onCountry(e.currentTarget.value)}
      >
        <option value="">Choose…</option>
        {countries.map((c) => (
          <option key={c.code} value={c.code}>
            {c.name}
          </option>
        ))}
      </SelectField>
      <SelectField
        name="region"
        label="ITU region"
        hint="Set from the country for most countries, whatever is selected here. Choose it yourself when your country belongs to more than one ITU region (Georgia, Israel, Moldova, Ukraine, some territories), or choose International for an international organisation."
        value={region}
        onChange={(e) => setRegion(e.currentTarget.value)}
        error={errors.region}
      >
        <option value="">From the country</option>
        {ITU_REGIONS.map((r) => (
          <option key={r} value={r}>
            {REGION_LABELS[r]}
          </option>
        ))}
      </SelectField>
      <Field
        name="website"
        label="Website (optional)"
        type="url"
        inputMode="url"
        placeholder="https://"
        hint="An address starting with http:// or https://."
        defaultValue={values.website}
        {...ORGANISATION_FIELDS.website}
        error={errors.website}
      />
      <Field
        name="contactName"
        label="Contact person"
        defaultValue={values.contactName}
        {...ORGANISATION_FIELDS.contactName}
        autoComplete="name"
        error={errors.contactName}
      />
      <Field
        name="contactEmail"
        label="Contact person’s email address"
        type="email"
        defaultValue={values.contactEmail}
        {...ORGANISATION_FIELDS.contactEmail}
        autoComplete="email"
        error={errors.contactEmail}
      />
      <button type="submit">{submitLabel}</button>
    </Form>
  );
}

/** The form's starting values from posted form data (after a refused post), as plain strings. */
export function formValuesFrom(posted: Record<string, unknown>): OrganisationFormValues {
  const s = (k: string) => (typeof posted[k] === "string" ? String(posted[k]).slice(0, 20_000) : "");
  const stakeholderType = STAKEHOLDER_TYPES.find((t) => t === posted.stakeholderType) ?? "";
  const region = ITU_REGIONS.find((r) => r === posted.region) ?? "";
  return {
    name: s("name"),
    stakeholderType,
    country: s("country"),
    region,
    website: s("website"),
    contactName: s("contactName"),
    contactEmail: s("contactEmail"),
  };
}
