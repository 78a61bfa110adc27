import { Form, Link } from "@remix-run/react";
import type { ReactNode } from "react";
import {
  MAX_QUERY_LENGTH,
  REGION_LABELS,
  REGIONS,
  STAKEHOLDER_LABELS,
  STAKEHOLDER_TYPES,
} from "~/schemas/catalogue-options";

export interface FilterValues {
  q: string;
  region: string | null;
  stakeholder: string | null;
  country: string | null;
  /** Kept as a hidden field so that filtering stays within the edition being viewed. */
  edition: number | null;
}

interface SelectFieldProps {
  name: string;
  label: string;
  value: string | null;
  anyLabel: string;
  options: ReadonlyArray<{ value: string; label: string }>;
}

/** A labelled select whose first option means "no filter". */
export function SelectField({ name, label, value, anyLabel, options }: SelectFieldProps) {
  const id = `filter-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} defaultValue={value ?? ""}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

interface FiltersProps {
  /** Where the form goes (a GET, so the result has a shareable URL). */
  action: string;
  values: FilterValues;
  /** Countries offered in the country filter (those with results), sorted by name. */
  countries: ReadonlyArray<{ code: string; name: string }>;
  /** Link that removes every filter. */
  clearHref: string;
  searchLabel?: string;
  searchHint?: string;
  /** Extra fields placed after the standard ones (for example category and status for organisers). */
  children?: ReactNode;
}

/**
 * Search box plus region, stakeholder type and country filters as a plain GET form: works without
 * JavaScript, and the resulting address can be bookmarked or shared.
 */
export function Filters({
  action,
  values,
  countries,
  clearHref,
  searchLabel = "Search",
  searchHint = "Words from the title, the description or the organisation’s name.",
  children,
}: FiltersProps) {
  const countryOptions = countries.map((c) => ({ value: c.code, label: c.name }));
  if (values.country && !countries.some((c) => c.code === values.country)) {
    countryOptions.unshift({ value: values.country, label: values.country });
  }
  // The key remounts the form when the filters change, so its default values follow the address.
  const key = JSON.stringify(values);
  return (
    <Form method="get" action={action} className="filters" role="search" key={key}>
      {values.edition ? <input type="hidden" name="edition" value={values.edition} /> : null}
      <div className="field">
        <label htmlFor="filter-q">{searchLabel}</label>
        <p id="filter-q-hint" className="hint">
          {searchHint}
        </p>
        <input
          id="filter-q"
          type="search"
          name="q"
          defaultValue={values.q}
          maxLength={MAX_QUERY_LENGTH}
          aria-describedby="filter-q-hint"
        />
      </div>
      <SelectField
        name="region"
        label="Region"
        value={values.region}
        anyLabel="All regions"
        options={REGIONS.map((r) => ({ value: r, label: REGION_LABELS[r] }))}
      />
      <SelectField
        name="stakeholder"
        label="Stakeholder type"
        value={values.stakeholder}
        anyLabel="All stakeholder types"
        options={STAKEHOLDER_TYPES.map((s) => ({ value: s, label: STAKEHOLDER_LABELS[s] }))}
      />
      <SelectField
        name="country"
        label="Country of implementation"
        value={values.country}
        anyLabel="All countries"
        options={countryOptions}
      />
      {children}
      <p>
        <button type="submit">Apply</button> <Link to={clearHref}>Clear filters</Link>
      </p>
    </Form>
  );
}
