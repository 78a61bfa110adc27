import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { AdminNav } from "~/components/admin";
import { EditionFields, type EditionFormValues } from "~/components/edition-form";
import { CsrfInput, Notice, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { describeEditionState } from "~/domain/admin.server";
import { findEditionByYear, openPhaseNow, updateEdition } from "~/domain/editions.server";
import { PHASES, PHASE_LABELS, formatInstant, isPhaseOpen } from "~/domain/phases";
import { instantDefaults, sentEditionValues } from "~/schemas/edition-options";
import { EditionUpdateSchema, OpenPhaseSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.edition.name ?? "Edition"} — Admin — WSIS Prizes` },
];

const notFound = () =>
  new Response("There is no edition for this year.", { status: 404, statusText: "Not Found" });

async function editionFromParams(params: LoaderFunctionArgs["params"]) {
  const year = params.year ?? "";
  if (!/^\d{4}$/.test(year)) throw notFound();
  const edition = await findEditionByYear(Number(year));
  if (!edition) throw notFound();
  return edition;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "edition:manage");
  const edition = await editionFromParams(params);
  const now = new Date();
  const tz = edition.timezone;
  return json({
    edition: {
      id: edition.id,
      year: edition.year,
      name: edition.name,
      timezone: tz,
      state: describeEditionState(edition, now),
      created: formatInstant(edition.created_at, tz),
    },
    phases: PHASES.map((p) => ({
      phase: p,
      label: PHASE_LABELS[p],
      opens: formatInstant(edition[`${p}_opens_at`], tz),
      closes: formatInstant(edition[`${p}_closes_at`], tz),
      open: isPhaseOpen(edition, p, now),
    })),
    values: { name: edition.name, timezone: tz, ...instantDefaults(edition, tz) } satisfies EditionFormValues,
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "edition:manage");
  const form = await readForm(request);
  const edition = await editionFromParams(params);
  const now = new Date();
  const intent = form.get("intent");
  if (intent === "open-phase") {
    const parsed = OpenPhaseSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success)
      return json({ errors: { form: parsed.error.issues[0]?.message }, values: null }, { status: 400 });
    if (!(await openPhaseNow(edition.year, parsed.data.phase, user.id, now))) throw notFound();
    return redirect(`/admin/editions/${edition.year}?opened=${parsed.data.phase}`);
  }
  if (intent !== null && intent !== "update") {
    return json({ errors: { form: "This request could not be understood." }, values: null }, { status: 400 });
  }
  const parsed = EditionUpdateSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return json(
      { errors: fieldErrorsFrom(parsed.error.issues), values: sentEditionValues(form) },
      { status: 400 },
    );
  }
  const result = await updateEdition(edition.id, parsed.data, user.id, now);
  if (!result.ok) return json({ errors: result.errors, values: sentEditionValues(form) }, { status: 400 });
  return redirect(`/admin/editions/${edition.year}?saved=1`);
}

export default function AdminEdition() {
  const { edition, phases, values: stored } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FieldErrors = actionData?.errors ?? {};
  const values: EditionFormValues = actionData?.values ?? stored;
  const [params] = useSearchParams();
  const opened = phases.find((p) => p.phase === params.get("opened"));
  return (
    <div className="stack">
      <h1>
        {edition.name} <span className="muted">({edition.year})</span>
      </h1>
      <AdminNav />
      {!actionData && params.get("saved") ? <Notice kind="success">The edition was saved.</Notice> : null}
      {!actionData && opened ? <Notice kind="success">{`${opened.label} is now open.`}</Notice> : null}
      {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
      <div className="phase">
        <p>
          <strong>{edition.state}</strong>
        </p>
        <ol className="timeline">
          {phases.map((p) => (
            <li key={p.phase} className={p.open ? "current" : undefined}>
              {`${p.label}: ${p.opens} – ${p.closes}${p.open ? " (open now)" : ""}`}
            </li>
          ))}
        </ol>
        <p className="muted">
          Created {edition.created}.{" "}
          <Link to={`/admin/audit?entity=edition&id=${edition.id}`}>History of changes</Link>
        </p>
      </div>

      <h2 id="edit-edition">Name, time zone and phases</h2>
      {Object.keys(errors).some((k) => k !== "form") ? (
        <Notice kind="error">Nothing was saved. Please correct the fields marked below.</Notice>
      ) : null}
      <Form method="post" aria-labelledby="edit-edition">
        <CsrfInput />
        <EditionFields values={values} errors={errors} />
        <button type="submit" name="intent" value="update">
          Save edition
        </button>
      </Form>

      <h2 id="demo-tools">Open a phase now (demos)</h2>
      <p>
        Moves <strong>all ten instants</strong> so that the chosen phase opened an hour ago and every phase
        lasts fourteen days, back to back. Meant for demonstrations and tests; the change is recorded in the
        audit log.
      </p>
      <div className="actions">
        {PHASES.map((phase) => (
          <Form method="post" key={phase}>
            <CsrfInput />
            <input type="hidden" name="phase" value={phase} />
            <button type="submit" name="intent" value="open-phase" className="secondary">
              Open {PHASE_LABELS[phase].toLowerCase()} now
            </button>
          </Form>
        ))}
      </div>
    </div>
  );
}
