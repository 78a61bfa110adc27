/**
 * HTML constraints read from a zod object schema: `required`, `minLength`/`maxLength` of text fields and
 * `min`/`max` of number fields, per field. Server-side (it reads zod); the forms render the zod-free field
 * constraints of the *-options modules, and tests/unit/form-constraints.test.ts checks each of those against
 * constraintsOf(the schema the form posts to), so a limit is written once and the form cannot drift from it.
 */
import type { z } from "zod";

export interface FieldConstraint {
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
}

interface Def {
  type: string;
  checks?: Array<{ _zod: { def: { check: string; minimum?: number; maximum?: number; value?: number } } }>;
  in?: { _zod: { def: Def } };
  out?: { _zod: { def: Def } };
  innerType?: { _zod: { def: Def } };
  shape?: Record<string, { _zod: { def: Def } }>;
}

const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** Adds the checks of one schema (and of the schemas it wraps) to `out`. */
function collect(def: Def, out: FieldConstraint): void {
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "catch":
      out.required = false;
      if (def.innerType) collect(def.innerType._zod.def, out);
      return;
    case "pipe":
      // A preprocess is a pipe from a transform: its checks are on the output side.
      if (def.in && def.in._zod.def.type !== "transform") collect(def.in._zod.def, out);
      if (def.out && def.out._zod.def.type !== "transform") collect(def.out._zod.def, out);
      return;
  }
  // A choice from a list cannot be left empty.
  if (def.type === "enum" && out.required !== false) out.required = true;
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    const text = def.type === "string";
    if (c.check === "min_length" && c.minimum !== undefined) {
      if (c.minimum >= 1 && out.required !== false) out.required = true;
      if (c.minimum > 1) out.minLength = Math.max(out.minLength ?? 0, c.minimum);
    } else if (c.check === "max_length" && c.maximum !== undefined) {
      out.maxLength = Math.min(out.maxLength ?? Infinity, c.maximum);
    } else if (!text && c.check === "greater_than" && c.value !== undefined) {
      out.min = c.value;
    } else if (!text && c.check === "less_than" && c.value !== undefined) {
      out.max = c.value;
    }
  }
}

/** The HTML constraints of each field of an object schema (wrapped in transforms or not). */
export function constraintsOf(schema: z.ZodType): Record<string, FieldConstraint> {
  let def = defOf(schema);
  while (def.type === "pipe" && def.in) def = def.in._zod.def;
  const out: Record<string, FieldConstraint> = {};
  for (const [name, field] of Object.entries(def.shape ?? {})) {
    const constraint: FieldConstraint = {};
    collect(field._zod.def, constraint);
    if (constraint.required === false) delete constraint.required;
    out[name] = constraint;
  }
  return out;
}
