import { useRouteLoaderData } from "@remix-run/react";
import type { InputHTMLAttributes, ReactNode } from "react";

type RootLoaderData = { csrf: string };

/** The hidden CSRF field every state-changing form carries. */
export function CsrfInput() {
  const data = useRouteLoaderData<RootLoaderData>("root");
  return <input type="hidden" name="_csrf" value={data?.csrf ?? ""} />;
}

/** Field errors as returned by actions: field name → message. */
export type FieldErrors = Partial<Record<string, string>>;

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  name: string;
  label: string;
  error?: string;
  hint?: ReactNode;
}

/** The props that tie a control to its FieldFrame's label, hint and error message. */
export interface FieldControlProps {
  id: string;
  name: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
}

/**
 * A labelled form field with its hint and its error message right beside the control, which `children` renders
 * from the props that tie it to them. `describedBy` adds the ids of other notes about the control (a word count).
 */
export function FieldFrame({
  name,
  id,
  label,
  error,
  hint,
  describedBy = [],
  children,
}: {
  name: string;
  id?: string;
  label: string;
  error?: string;
  hint?: ReactNode;
  describedBy?: string[];
  children: (control: FieldControlProps) => ReactNode;
}) {
  const fieldId = id ?? `f-${name}`;
  const described = [hint ? `${fieldId}-hint` : null, ...describedBy, error ? `${fieldId}-error` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className={error ? "field has-error" : "field"}>
      <label htmlFor={fieldId}>{label}</label>
      {hint ? (
        <p id={`${fieldId}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${fieldId}-error`} className="error" role="alert">
          {error}
        </p>
      ) : null}
      {children({
        id: fieldId,
        name,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": described || undefined,
      })}
    </div>
  );
}

/** A labelled input with its hint and its error message right beside it. */
export function Field({ name, label, error, hint, id, ...input }: FieldProps) {
  return (
    <FieldFrame name={name} id={id} label={label} error={error} hint={hint}>
      {(control) => <input {...control} {...input} />}
    </FieldFrame>
  );
}

/** A banner for a form-level message (success or failure). */
export function Notice({ kind, children }: { kind: "success" | "error" | "info"; children: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/** Turns zod issues into one message per field (the first issue of each field wins). */
export function fieldErrorsFrom(
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
}
