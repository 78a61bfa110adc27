import { Form, Link } from "@remix-run/react";
import { useEffect, useRef, type ReactNode } from "react";
import { CsrfInput, Field } from "~/components/forms";
import { WordCountTextarea } from "~/components/word-count";
import { GDC_OBJECTIVES, SDGS } from "~/domain/sdgs";
import {
  IMPLEMENTATION_STATUS_LABELS,
  LONG_ANSWER_FIELDS,
  LONG_ANSWER_LABELS,
  PROJECT_LIMITS,
  SHORT_DESCRIPTION_WORDS,
  type ProjectErrors,
  type ProjectFormValues,
} from "~/schemas/project-options";

/** Field labels for the error summary, in form order. */
const FIELD_LABELS: ReadonlyArray<[keyof ProjectFormValues, string]> = [
  ["category_id", "Category"],
  ["title", "Project title"],
  ["website", "Project website"],
  ["country", "Country of implementation"],
  ["start_year", "Start year"],
  ["implementation_status", "Project status"],
  ["short_description", "Short description"],
  ["sdgs", "Sustainable Development Goals"],
  ["gdc_objectives", "Global Digital Compact objectives"],
  ...LONG_ANSWER_FIELDS.map((f): [keyof ProjectFormValues, string] => [f, LONG_ANSWER_LABELS[f].label]),
];

export interface CategoryChoice {
  id: number;
  code: string;
  name: string;
  /** The organisation's project already in this category, if any. */
  taken: { id: number; title: string } | null;
}

export interface ProjectFormProps {
  /** Where the form posts. */
  action: string;
  values: ProjectFormValues;
  errors: ProjectErrors;
  categories: CategoryChoice[];
  countries: Array<{ code: string; name: string }>;
  minLongAnswerWords: number;
  currentYear: number;
  /** The project being edited (null for a new one) and its status. */
  projectId: number | null;
  submitted: boolean;
  /** After the deadline: shown, not editable. */
  locked: boolean;
  /** Extra content after the error summary (e.g. a link to the project that blocks this one). */
  notice?: ReactNode;
}

function Choices({
  legend,
  name,
  error,
  hint,
  children,
}: {
  legend: string;
  name: string;
  error?: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <fieldset
      className={error ? "choices has-error" : "choices"}
      id={`f-${name}`}
      aria-invalid={error ? true : undefined}
    >
      <legend>{legend}</legend>
      {hint ? <p className="hint">{hint}</p> : null}
      {error ? (
        <p id={`f-${name}-error`} className="error" role="alert">
          {error}
        </p>
      ) : null}
      <ul>{children}</ul>
    </fieldset>
  );
}

/** The questionnaire of DESIGN §3: every field, with its error beside it and live word counters. */
export function ProjectForm(props: ProjectFormProps) {
  const { values, errors, locked } = props;
  const failed = FIELD_LABELS.filter(([field]) => errors[field]);
  const sdgs = new Set(values.sdgs);
  const gdc = new Set(values.gdc_objectives);
  const summary = useRef<HTMLDivElement>(null);
  // After a refused post (with JavaScript), bring the user to the list of problems.
  useEffect(() => {
    if (failed.length) summary.current?.focus();
  }, [errors, failed.length]);
  const fields = (
    <>
      <Choices
        legend="Category (WSIS Action Line)"
        name="category_id"
        error={errors.category_id}
        hint="Choose the one Action Line your project contributes to most. Each organisation may enter one project per category."
      >
        {props.categories.map((c) => (
          <li key={c.id}>
            <label>
              <input
                type="radio"
                name="category_id"
                value={String(c.id)}
                defaultChecked={values.category_id === String(c.id)}
              />
              <span>
                <span className="code">{c.code}</span>
                {c.name}
                {c.taken && c.taken.id !== props.projectId ? (
                  <span className="hint">
                    {" "}
                    — your organisation already has{" "}
                    <Link to={`/submissions/${c.taken.id}`}>{c.taken.title || "an untitled draft"}</Link> here
                  </span>
                ) : null}
              </span>
            </label>
          </li>
        ))}
      </Choices>

      <Field
        name="title"
        label="Project title"
        hint={`In English, at most ${PROJECT_LIMITS.title} characters.`}
        defaultValue={values.title}
        maxLength={PROJECT_LIMITS.title}
        error={errors.title}
      />
      <Field
        name="website"
        label="Project website (optional)"
        hint="A full address, such as https://example.org/project"
        type="url"
        inputMode="url"
        defaultValue={values.website}
        maxLength={PROJECT_LIMITS.website}
        error={errors.website}
      />
      <div className={errors.country ? "field has-error" : "field"}>
        <label htmlFor="f-country">Country of implementation</label>
        {errors.country ? (
          <p id="f-country-error" className="error" role="alert">
            {errors.country}
          </p>
        ) : null}
        <select
          id="f-country"
          name="country"
          defaultValue={values.country}
          aria-invalid={errors.country ? true : undefined}
          aria-describedby={errors.country ? "f-country-error" : undefined}
        >
          <option value="">Choose a country…</option>
          {props.countries.map((c) => (
            <option key={c.code} value={c.code}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <Field
        name="start_year"
        label="Start year"
        hint={`The year the project started (1950–${props.currentYear}).`}
        inputMode="numeric"
        defaultValue={values.start_year}
        maxLength={4}
        error={errors.start_year}
      />
      <Choices legend="Project status" name="implementation_status" error={errors.implementation_status}>
        {Object.entries(IMPLEMENTATION_STATUS_LABELS).map(([value, label]) => (
          <li key={value}>
            <label>
              <input
                type="radio"
                name="implementation_status"
                value={value}
                defaultChecked={values.implementation_status === value}
              />
              <span>{label}</span>
            </label>
          </li>
        ))}
      </Choices>

      <WordCountTextarea
        name="short_description"
        label="Short description"
        hint={`Shown to voters. ${SHORT_DESCRIPTION_WORDS.min} to ${SHORT_DESCRIPTION_WORDS.max} words, in English.`}
        defaultValue={values.short_description}
        min={SHORT_DESCRIPTION_WORDS.min}
        max={SHORT_DESCRIPTION_WORDS.max}
        maxLength={PROJECT_LIMITS.shortDescriptionChars}
        rows={10}
        error={errors.short_description}
      />

      <Choices
        legend="Sustainable Development Goals"
        name="sdgs"
        error={errors.sdgs}
        hint="Tick every goal the project contributes to (at least one)."
      >
        {SDGS.map((g) => (
          <li key={g.number}>
            <label>
              <input
                type="checkbox"
                name="sdgs"
                value={String(g.number)}
                defaultChecked={sdgs.has(String(g.number))}
              />
              <span>{`${g.number}. ${g.name}`}</span>
            </label>
          </li>
        ))}
      </Choices>

      <Choices
        legend="Global Digital Compact objectives"
        name="gdc_objectives"
        error={errors.gdc_objectives}
        hint="Tick every objective the project serves (at least one)."
      >
        {GDC_OBJECTIVES.map((g) => (
          <li key={g.number}>
            <label>
              <input
                type="checkbox"
                name="gdc_objectives"
                value={String(g.number)}
                defaultChecked={gdc.has(String(g.number))}
              />
              <span>{`${g.number}. ${g.name}`}</span>
            </label>
          </li>
        ))}
      </Choices>

      {LONG_ANSWER_FIELDS.map((field) => (
        <WordCountTextarea
          key={field}
          name={field}
          label={LONG_ANSWER_LABELS[field].label}
          hint={`${LONG_ANSWER_LABELS[field].hint} At least ${props.minLongAnswerWords} words.`}
          defaultValue={values[field]}
          min={props.minLongAnswerWords}
          maxLength={PROJECT_LIMITS.longAnswerChars}
          rows={8}
          error={errors[field]}
        />
      ))}
    </>
  );
  return (
    <Form method="post" action={props.action} noValidate className="project-form">
      <CsrfInput />
      {failed.length > 0 ? (
        <div className="notice notice-error" role="alert" tabIndex={-1} ref={summary}>
          <p>
            {failed.length === 1 ? "One answer needs attention:" : `${failed.length} answers need attention:`}
          </p>
          <ul>
            {failed.map(([field, label]) => (
              <li key={field}>
                <a href={`#f-${field}`}>{label}</a>: {errors[field]}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {props.notice}
      {locked ? (
        // Shown after the deadline, not editable; the server refuses changes anyway.
        <fieldset disabled className="plain">
          {fields}
        </fieldset>
      ) : (
        fields
      )}

      {locked ? null : (
        <div className="form-actions">
          {props.submitted ? (
            <button type="submit" name="intent" value="save">
              Save changes
            </button>
          ) : (
            <>
              <button type="submit" name="intent" value="save" className="secondary">
                Save draft
              </button>
              <button type="submit" name="intent" value="submit">
                Submit project
              </button>
            </>
          )}
        </div>
      )}
      {locked ? null : (
        <p className="hint">
          {props.submitted
            ? "Changes to a submitted project are checked like a new submission; it stays submitted."
            : "A draft may be incomplete. Submitting checks every answer."}
        </p>
      )}
    </Form>
  );
}
