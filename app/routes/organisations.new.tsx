import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { OrganisationForm, formValuesFrom } from "~/components/organisation-form";
import { Notice, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { listCountries } from "~/domain/countries";
import { ROLE_REVOKED_MESSAGE, ROLE_REVOKED_STATUS, createOrganisation } from "~/domain/organisations.server";
import { isRoleRevoked } from "~/domain/users.server";
import { OrganisationSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { requireUser } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Create an organisation — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requireUser(request);
  const revoked = await isRoleRevoked(user.id, "submitter");
  return json({
    verified: user.email_verified_at !== null,
    refusal: revoked ? ROLE_REVOKED_MESSAGE : null,
    countries: listCountries(),
    contact: { name: user.name, email: user.email },
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requireUser(request);
  if (user.email_verified_at === null) {
    throw new Response(
      "Confirm your email address before creating an organisation: use the link we sent you.",
      {
        status: 403,
        statusText: "Forbidden",
      },
    );
  }
  const form = await readForm(request);
  const posted = Object.fromEntries(form);
  const parsed = OrganisationSchema.safeParse(posted);
  if (!parsed.success) {
    const errors: FieldErrors = fieldErrorsFrom(parsed.error.issues);
    return json({ errors, values: formValuesFrom(posted) }, { status: 400 });
  }
  const result = await createOrganisation({ userId: user.id, values: parsed.data, now: new Date() });
  if (!result.ok && result.refusal) {
    const errors: FieldErrors = { form: ROLE_REVOKED_MESSAGE };
    return json({ errors, values: formValuesFrom(posted) }, { status: ROLE_REVOKED_STATUS });
  }
  if (!result.ok) return json({ errors: result.errors, values: formValuesFrom(posted) }, { status: 400 });
  return redirect(`/organisations/${result.organisation.id}?created=1`);
}

export default function NewOrganisation() {
  const { verified, refusal, countries, contact } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  if (refusal) {
    return (
      <div className="stack">
        <h1>Create an organisation</h1>
        <Notice kind="error">{refusal}</Notice>
        <p>
          <Link to="/organisations">My organisations</Link>
        </p>
      </div>
    );
  }
  if (!verified) {
    return (
      <div className="stack">
        <h1>Create an organisation</h1>
        <Notice kind="info">
          Confirm your email address first: use the link we sent you, or ask for a new one on{" "}
          <Link to="/account">your account page</Link>.
        </Notice>
      </div>
    );
  }
  const values = data?.values ?? {
    name: "",
    stakeholderType: "",
    country: "",
    region: "",
    website: "",
    contactName: contact.name,
    contactEmail: contact.email,
  };
  return (
    <div className="stack">
      <h1>Create an organisation</h1>
      <p>
        You become its first member and can then invite colleagues to co-manage it. Only members see and edit
        the organisation and its drafts.
      </p>
      {data?.errors?.form ? (
        <Notice kind="error">{data.errors.form}</Notice>
      ) : data?.errors ? (
        <Notice kind="error">Please correct the fields marked below.</Notice>
      ) : null}
      <OrganisationForm
        key={JSON.stringify(values)}
        countries={countries}
        values={values}
        errors={data?.errors ?? {}}
        submitLabel="Create the organisation"
      />
    </div>
  );
}
