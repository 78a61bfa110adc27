import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { AdminNav } from "~/components/admin";
import { EditionFields, type EditionFormValues } from "~/components/edition-form";
import { CsrfInput, Field, Notice, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { createEditionFromForm, describeEditionState } from "~/domain/admin.server";
import { listEditions } from "~/domain/editions.server";
import {
  DEFAULT_TIME_ZONE,
  EDITION_YEAR_MAX,
  EDITION_YEAR_MIN,
  sentEditionValues,
} from "~/schemas/edition-options";
import { EditionCreateSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Editions — Admin — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "edition:manage");
  const now = new Date();
  const editions = await listEditions();
  const latest = editions[0]?.year;
  return json({
    editions: editions.map((e) => ({
      year: e.year,
      name: e.name,
      timezone: e.timezone,
      state: describeEditionState(e, now),
    })),
    nextYear: latest ? latest + 1 : now.getUTCFullYear() + 1,
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "edition:manage");
  const form = await readForm(request);
  const parsed = EditionCreateSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return json(
      { errors: fieldErrorsFrom(parsed.error.issues), values: sentEditionValues(form) },
      { status: 400 },
    );
  }
  const result = await createEditionFromForm(parsed.data, user.id, new Date());
  if (!result.ok) return json({ errors: result.errors, values: sentEditionValues(form) }, { status: 400 });
  return redirect(`/admin/editions?created=${result.edition.year}`);
}

export default function AdminEditions() {
  const { editions, nextYear } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors: FieldErrors = actionData?.errors ?? {};
  const values: EditionFormValues = actionData?.values ?? {
    year: String(nextYear),
    timezone: DEFAULT_TIME_ZONE,
  };
  const [params] = useSearchParams();
  const created = params.get("created");
  return (
    <div className="stack">
      <h1>Editions</h1>
      <AdminNav />
      {created && !actionData && editions.some((e) => String(e.year) === created) ? (
        <Notice kind="success">{`Edition ${created} created.`}</Notice>
      ) : null}
      {editions.length ? (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Year</th>
                <th scope="col">Name</th>
                <th scope="col">Where it stands</th>
              </tr>
            </thead>
            <tbody>
              {editions.map((e) => (
                <tr key={e.year}>
                  <td>
                    <Link to={`/admin/editions/${e.year}`} aria-label={`Edit edition ${e.year}`}>
                      {e.year}
                    </Link>
                  </td>
                  <td>{e.name}</td>
                  <td>{e.state}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>No edition yet. Create the first one below.</p>
      )}

      <h2 id="new-edition">New edition</h2>
      {Object.keys(errors).length ? (
        <Notice kind="error">The edition was not created. Please correct the fields marked below.</Notice>
      ) : null}
      {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
      <Form method="post" aria-labelledby="new-edition">
        <CsrfInput />
        <Field
          name="year"
          label="Year"
          inputMode="numeric"
          required
          pattern="[0-9]{4}"
          maxLength={4}
          defaultValue={values.year ?? ""}
          error={errors.year}
          hint={`A year from ${EDITION_YEAR_MIN} to ${EDITION_YEAR_MAX}; one edition per year.`}
        />
        <EditionFields values={values} errors={errors} />
        <button type="submit">Create edition</button>
      </Form>
    </div>
  );
}
