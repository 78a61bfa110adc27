import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Notice } from "~/components/forms";
import { countryName } from "~/domain/countries";
import { listOrganisationsOf } from "~/domain/organisations.server";
import { REGION_LABELS } from "~/domain/regions";
import { STAKEHOLDER_LABELS } from "~/schemas/organisation-options";
import { requireUser } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "My organisations — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requireUser(request);
  const organisations = await listOrganisationsOf(user.id);
  return json({
    verified: user.email_verified_at !== null,
    left: new URL(request.url).searchParams.get("left") === "1",
    organisations: organisations.map((o) => ({
      id: o.id,
      name: o.name,
      stakeholder: STAKEHOLDER_LABELS[o.stakeholder_type],
      country: countryName(o.country),
      region: REGION_LABELS[o.region],
    })),
  });
}

export default function MyOrganisations() {
  const { verified, left, organisations } = useLoaderData<typeof loader>();
  return (
    <div className="stack">
      <h1>My organisations</h1>
      {left ? <Notice kind="success">You have left the organisation.</Notice> : null}
      <p>
        Projects are submitted by organisations. Create your organisation’s profile, or ask one of its members
        to invite you by email.
      </p>
      {organisations.length ? (
        <ul>
          {organisations.map((o) => (
            <li key={o.id}>
              <Link to={`/organisations/${o.id}`}>{o.name}</Link>{" "}
              <span className="muted">
                — {o.stakeholder}, {o.country}, {o.region}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">You are not a member of any organisation yet.</p>
      )}
      {verified ? (
        <p>
          <Link to="/organisations/new" className="button">
            Create an organisation
          </Link>
        </p>
      ) : (
        <Notice kind="info">
          Confirm your email address to create an organisation: use the link we sent you, or ask for a new one
          on <Link to="/account">your account page</Link>.
        </Notice>
      )}
    </div>
  );
}
