import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { CsrfInput, Notice } from "~/components/forms";
import { currentEdition } from "~/domain/editions.server";
import {
  INVITATION_MESSAGES,
  INVITATION_STATUS,
  acceptInvitation,
  viewInvitation,
} from "~/domain/organisations.server";
import { formatInstant } from "~/domain/phases";
import { DEFAULT_TIME_ZONE } from "~/schemas/edition-options";
import { InvitationTokenParam } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { requireUser } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Invitation — WSIS Prizes" }];

const UNKNOWN = "This invitation link is not valid. Check that you copied the whole address from the email.";

function notFound(): Response {
  return new Response(UNKNOWN, { status: 404, statusText: "Not Found" });
}

/** Signed in (or sent to sign in, coming back here) with a well-formed token. */
async function guard(request: Request, rawToken: string | undefined) {
  const current = await requireUser(request);
  const token = InvitationTokenParam.safeParse(rawToken);
  if (!token.success) throw notFound();
  return { ...current, token: token.data };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, token } = await guard(request, params.token);
  const now = new Date();
  const view = await viewInvitation({ token, userId: user.id, now });
  if (!view) throw notFound();
  const tz = (await currentEdition(now))?.timezone ?? DEFAULT_TIME_ZONE;
  const body = {
    organisationName: view.organisationName,
    invitedEmail: view.invitedEmail,
    signedInAs: user.email,
    expires: formatInstant(view.expiresAt, tz),
    refusal: view.state === "valid" ? null : INVITATION_MESSAGES[view.state],
  };
  return json(body, { status: view.state === "valid" ? 200 : INVITATION_STATUS[view.state] });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, token } = await guard(request, params.token);
  await readForm(request);
  const result = await acceptInvitation({ token, userId: user.id, now: new Date() });
  if (result.ok) return redirect(`/organisations/${result.organisationId}?joined=1`);
  if (result.state === "not_found") throw notFound();
  return json({ error: INVITATION_MESSAGES[result.state] }, { status: INVITATION_STATUS[result.state] });
}

export default function Invitation() {
  const { organisationName, invitedEmail, signedInAs, expires, refusal } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const error = data?.error ?? refusal;
  return (
    <div className="stack">
      <h1>Invitation to co-manage “{organisationName}”</h1>
      <p>
        This invitation was sent to <strong>{invitedEmail}</strong>. You are signed in as{" "}
        <strong>{signedInAs}</strong>.
      </p>
      {error ? (
        <>
          <Notice kind="error">{error}</Notice>
          <p>
            <Link to="/organisations">My organisations</Link>
          </p>
        </>
      ) : (
        <>
          <p>
            As a member you can edit the organisation’s profile, prepare and submit its projects, and invite
            or remove members. The invitation is valid until {expires}.
          </p>
          <Form method="post">
            <CsrfInput />
            <button type="submit">Accept the invitation</button>
          </Form>
        </>
      )}
    </div>
  );
}
