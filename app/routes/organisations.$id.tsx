import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { CsrfInput, Field, Notice, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import {
  OrganisationForm,
  formValuesFrom,
  type OrganisationFormValues,
} from "~/components/organisation-form";
import { countryName, listCountries } from "~/domain/countries";
import { canonicalEmail } from "~/domain/email";
import { currentEdition } from "~/domain/editions.server";
import {
  getOrganisationForMember,
  inviteMember,
  listMembers,
  listPendingInvitations,
  removeMember,
  updateOrganisation,
} from "~/domain/organisations.server";
import { dispatchOutbox } from "~/domain/outbox.server";
import { formatInstant } from "~/domain/phases";
import { REGION_LABELS } from "~/domain/regions";
import { DEFAULT_TIME_ZONE } from "~/schemas/edition-options";
import { STAKEHOLDER_LABELS } from "~/schemas/organisation-options";
import {
  InviteSchema,
  OrganisationIdParam,
  OrganisationSchema,
  RemoveMemberSchema,
} from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { can } from "~/utils/permissions";
import { accountKey, consume } from "~/utils/rate-limit.server";
import { requireUser } from "~/utils/session.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data ? `${data.organisation.name} — My organisations — WSIS Prizes` : "Organisation — WSIS Prizes",
  },
];

const NOT_FOUND = "This organisation does not exist or you are not one of its members.";

/** Signed in, a member of this organisation (404 otherwise, as if it did not exist), and a submitter (403). */
async function guard(request: Request, rawId: string | undefined) {
  const current = await requireUser(request);
  const id = OrganisationIdParam.safeParse(rawId);
  if (!id.success) throw new Response(NOT_FOUND, { status: 404, statusText: "Not Found" });
  const organisation = await getOrganisationForMember(current.user.id, id.data);
  if (!can(current.roles, "organisation:manage:own")) {
    throw new Response("Your submitter role has been withdrawn: ask the organisers if this is a mistake.", {
      status: 403,
      statusText: "Forbidden",
    });
  }
  return { ...current, organisation };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, organisation } = await guard(request, params.id);
  const now = new Date();
  const [members, invitations, edition] = await Promise.all([
    listMembers(organisation.id),
    listPendingInvitations(organisation.id, now),
    currentEdition(now),
  ]);
  const tz = edition?.timezone ?? DEFAULT_TIME_ZONE;
  const flags = new URL(request.url).searchParams;
  const values: OrganisationFormValues = {
    name: organisation.name,
    stakeholderType: organisation.stakeholder_type,
    country: organisation.country,
    region: organisation.region,
    website: organisation.website ?? "",
    contactName: organisation.contact_name,
    contactEmail: organisation.contact_email,
  };
  return json({
    me: user.id,
    organisation: {
      id: organisation.id,
      name: organisation.name,
      stakeholder: STAKEHOLDER_LABELS[organisation.stakeholder_type],
      country: countryName(organisation.country),
      region: REGION_LABELS[organisation.region],
      website: organisation.website,
      contactName: organisation.contact_name,
      contactEmail: organisation.contact_email,
    },
    values,
    countries: listCountries(),
    members: members.map((m) => ({ ...m, since: formatInstant(m.since, tz) })),
    invitations: invitations.map((i) => ({
      id: i.id,
      email: i.email,
      expires: formatInstant(i.expires_at, tz),
    })),
    flash: {
      created: flags.get("created") === "1",
      saved: flags.get("saved") === "1",
      invited: flags.get("invited") === "1",
      joined: flags.get("joined") === "1",
      removed: flags.get("removed") === "1",
    },
  });
}

type Intent = "update" | "invite" | "remove";

function refused(
  intent: Intent | null,
  errors: FieldErrors,
  status: number,
  extra: { values?: OrganisationFormValues; email?: string } = {},
) {
  return json({ intent, errors, values: extra.values ?? null, email: extra.email ?? "" }, { status });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, organisation } = await guard(request, params.id);
  const form = await readForm(request);
  const now = new Date();
  const here = `/organisations/${organisation.id}`;
  const intent = form.get("intent");

  if (intent === "update") {
    const posted = Object.fromEntries(form);
    const values = formValuesFrom(posted);
    const parsed = OrganisationSchema.safeParse(posted);
    if (!parsed.success) return refused("update", fieldErrorsFrom(parsed.error.issues), 400, { values });
    const result = await updateOrganisation({
      userId: user.id,
      organisationId: organisation.id,
      values: parsed.data,
      now,
    });
    if (!result.ok) return refused("update", result.errors, 400, { values });
    return redirect(`${here}?saved=1`);
  }

  if (intent === "invite") {
    const raw = form.get("email");
    const email = typeof raw === "string" ? raw.slice(0, 300) : "";
    const parsed = InviteSchema.safeParse({ email: raw });
    if (!parsed.success) return refused("invite", fieldErrorsFrom(parsed.error.issues), 400, { email });
    // Per recipient (nobody's mailbox gets flooded) and per IP (nobody sends invitations in bulk).
    await consume(
      ["mail:account", accountKey(canonicalEmail(parsed.data.email))],
      ["mail:ip", context.clientIp],
    );
    const result = await inviteMember({
      userId: user.id,
      organisationId: organisation.id,
      email: parsed.data.email,
      now,
    });
    if (!result.ok) return refused("invite", result.errors, 400, { email });
    await dispatchOutbox([result.outboxId]);
    return redirect(`${here}?invited=1`);
  }

  if (intent === "remove") {
    const parsed = RemoveMemberSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success) return refused("remove", fieldErrorsFrom(parsed.error.issues), 400);
    const result = await removeMember({
      userId: user.id,
      organisationId: organisation.id,
      memberUserId: parsed.data.userId,
      now,
    });
    if (!result.ok) return refused("remove", { form: result.error }, result.status);
    return redirect(result.self ? "/organisations?left=1" : `${here}?removed=1`);
  }

  return refused(null, { form: "This request could not be understood." }, 400);
}

export default function OrganisationPage() {
  const { me, organisation, values, countries, members, invitations, flash } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const updateErrors = data?.intent === "update" ? data.errors : {};
  const inviteErrors = data?.intent === "invite" ? data.errors : {};
  const formValues = data?.intent === "update" && data.values ? data.values : values;
  const lastMember = members.length <= 1;
  return (
    <div className="stack">
      <p>
        <Link to="/organisations">My organisations</Link>
      </p>
      <h1>{organisation.name}</h1>
      {flash.created ? (
        <Notice kind="success">
          The organisation has been created. You can now invite colleagues and start a submission.
        </Notice>
      ) : null}
      {flash.joined ? (
        <Notice kind="success">Welcome: you are now a member of this organisation.</Notice>
      ) : null}
      {flash.saved ? <Notice kind="success">The profile has been saved.</Notice> : null}
      {flash.invited ? <Notice kind="success">The invitation has been sent.</Notice> : null}
      {flash.removed ? <Notice kind="success">The member has been removed.</Notice> : null}
      {data?.intent === "remove" || data?.intent === null ? (
        <Notice kind="error">
          {data.errors.form ?? data.errors.userId ?? "This request could not be completed."}
        </Notice>
      ) : null}

      <dl>
        <dt>Stakeholder type</dt>
        <dd>{organisation.stakeholder}</dd>
        <dt>Country</dt>
        <dd>{organisation.country}</dd>
        <dt>ITU region</dt>
        <dd>{organisation.region}</dd>
        <dt>Website</dt>
        <dd>
          {organisation.website ? (
            <a href={organisation.website} rel="noopener noreferrer nofollow">
              {organisation.website}
            </a>
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        <dt>Contact person</dt>
        <dd>
          {organisation.contactName} ({organisation.contactEmail})
        </dd>
      </dl>
      <p>
        <Link to={`/submissions/new?organisation=${organisation.id}`} className="button">
          Start a submission
        </Link>{" "}
        <Link to="/submissions">See this organisation’s projects</Link>
      </p>

      <h2 id="members">Members</h2>
      <p className="muted">
        Every member can edit the profile and the organisation’s drafts, and invite or remove members.
      </p>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Member since</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.userId}>
                <td>
                  {m.name}
                  {m.userId === me ? <span className="muted"> (you)</span> : null}
                </td>
                <td>{m.email}</td>
                <td>{m.since}</td>
                <td>
                  {lastMember ? (
                    <span className="muted">Last member</span>
                  ) : (
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="remove" />
                      <input type="hidden" name="userId" value={m.userId} />
                      <button
                        type="submit"
                        className="secondary"
                        aria-label={
                          m.userId === me ? "Leave the organisation" : `Remove ${m.name} (${m.email})`
                        }
                      >
                        {m.userId === me ? "Leave" : "Remove"}
                      </button>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2 id="invite">Invite a colleague</h2>
      <p>
        We email them a link valid for 7 days. They sign in (or register) with that address and accept; then
        they can co-manage the organisation.
      </p>
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="invite" />
        <Field
          name="email"
          id="invite-email"
          label="Colleague’s email address"
          type="email"
          autoComplete="off"
          maxLength={254}
          required
          defaultValue={data?.intent === "invite" ? data.email : ""}
          error={inviteErrors.email}
        />
        <button type="submit">Send the invitation</button>
      </Form>
      {invitations.length ? (
        <>
          <h3>Invitations not yet accepted</h3>
          <ul>
            {invitations.map((i) => (
              <li key={i.id}>
                {i.email} <span className="muted">— valid until {i.expires}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}

      <h2 id="profile">Edit the profile</h2>
      {data?.intent === "update" ? (
        <Notice kind="error">Please correct the fields marked below.</Notice>
      ) : null}
      <OrganisationForm
        key={JSON.stringify(formValues)}
        countries={countries}
        values={formValues}
        errors={updateErrors}
        submitLabel="Save the profile"
        intent="update"
      />
    </div>
  );
}
