import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { CsrfInput, Field, Notice, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { changePassword, requestEmailChange, resendVerification } from "~/domain/accounts.server";
import { dispatchOutbox } from "~/domain/outbox.server";
import { CHANGE_EMAIL_FIELDS, CHANGE_PASSWORD_FIELDS, PASSWORD_MIN_LENGTH } from "~/schemas/auth-options";
import { AccountActionSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { accountKey, consume } from "~/utils/rate-limit.server";
import { requireUser } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "My account — WSIS Prizes" }];

const ROLE_LABELS: Record<string, string> = {
  voter: "Voter",
  submitter: "Submitter",
  expert: "Expert",
  organiser: "Organiser",
};

const DONE: Record<string, string> = {
  "verification-sent": "We have sent a new confirmation link to your email address. It works for 48 hours.",
  "email-change-sent":
    "We have sent a confirmation link to the new address. Your address changes once you follow it; until then the current one stays in use.",
  "password-changed": "Your password has been changed. You have been signed out on your other devices.",
};

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, roles } = await requireUser(request);
  const done = new URL(request.url).searchParams.get("done") ?? "";
  return json({
    name: user.name,
    email: user.email,
    verified: user.email_verified_at !== null,
    pendingEmail: user.pending_email,
    roles: roles.map((r) => ROLE_LABELS[r] ?? r),
    done: DONE[done] ?? null,
  });
}

type Intent = "resend-verification" | "change-email" | "change-password";

function refused(intent: Intent | null, errors: FieldErrors) {
  return json({ intent, errors }, { status: 400 });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, sessionId } = await requireUser(request);
  const form = await readForm(request);
  const parsed = AccountActionSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const intent = form.get("intent");
    const known =
      intent === "change-email" || intent === "change-password" || intent === "resend-verification";
    return refused(known ? intent : null, fieldErrorsFrom(parsed.error.issues));
  }
  const now = new Date();
  const input = parsed.data;
  if (input.intent === "change-password") {
    // The current password is guessable from a stolen session: limited like sign-in.
    await consume(["login:ip", context.clientIp], ["login:account", accountKey(user.email_canonical)]);
    const result = await changePassword({
      userId: user.id,
      currentPassword: input.currentPassword,
      newPassword: input.newPassword,
      keepSessionId: sessionId,
      now,
    });
    if (!result.ok) return refused(input.intent, result.errors);
    return redirect("/account?done=password-changed");
  }
  await consume(["mail:account", accountKey(String(user.id))], ["mail:ip", context.clientIp]);
  if (input.intent === "change-email") {
    const result = await requestEmailChange({
      userId: user.id,
      currentPassword: input.currentPassword,
      newEmail: input.email,
      now,
    });
    if (!result.ok) return refused(input.intent, result.errors);
    await dispatchOutbox(result.outbox);
    return redirect("/account?done=email-change-sent");
  }
  const result = await resendVerification({ userId: user.id, now });
  if (result.ok) {
    await dispatchOutbox(result.outbox);
    return redirect("/account?done=verification-sent");
  }
  return redirect("/account");
}

export default function Account() {
  const data = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const errorsFor = (intent: Intent): FieldErrors => (acted?.intent === intent ? acted.errors : {});
  const emailErrors = errorsFor("change-email");
  const passwordErrors = errorsFor("change-password");
  return (
    <div className="stack">
      <h1>My account</h1>
      {data.done ? <Notice kind="success">{data.done}</Notice> : null}
      {acted && acted.intent === null ? (
        <Notice kind="error">This form could not be understood. Reload the page and try again.</Notice>
      ) : null}
      {!data.verified ? (
        <Notice kind="info">
          Your email address is not confirmed yet. Follow the link we sent you to confirm it: you need a
          confirmed address to vote.
        </Notice>
      ) : null}
      <dl className="account-details">
        <dt>Name</dt>
        <dd>{data.name}</dd>
        <dt>Email address</dt>
        <dd>
          {data.email} ({data.verified ? "confirmed" : "not confirmed"})
        </dd>
        <dt>Roles</dt>
        <dd>{data.roles.length ? data.roles.join(", ") : "None"}</dd>
      </dl>

      {!data.verified ? (
        <section aria-labelledby="resend-title">
          <h2 id="resend-title">Confirmation email</h2>
          <p>Did not receive the confirmation email, or the link expired? We can send you a new one.</p>
          <Form method="post">
            <CsrfInput />
            <button type="submit" name="intent" value="resend-verification">
              Send a new confirmation email
            </button>
          </Form>
        </section>
      ) : null}

      <section aria-labelledby="email-title">
        <h2 id="email-title">Change email address</h2>
        {data.pendingEmail ? (
          <Notice kind="info">
            You asked to change your address to {data.pendingEmail}. Follow the link we sent there to complete
            the change.
          </Notice>
        ) : null}
        <p>
          We will send a confirmation link to the new address; the change takes effect once you follow it.
        </p>
        <Form method="post" noValidate>
          <CsrfInput />
          <Field
            id="change-email-email"
            name="email"
            label="New email address"
            type="email"
            autoComplete="email"
            {...CHANGE_EMAIL_FIELDS.email}
            error={emailErrors.email}
          />
          <Field
            id="change-email-password"
            name="currentPassword"
            label="Current password"
            type="password"
            autoComplete="current-password"
            {...CHANGE_EMAIL_FIELDS.currentPassword}
            error={emailErrors.currentPassword}
          />
          <button type="submit" name="intent" value="change-email">
            Change email address
          </button>
        </Form>
      </section>

      <section aria-labelledby="password-title">
        <h2 id="password-title">Change password</h2>
        <p>You will stay signed in here and be signed out everywhere else.</p>
        <Form method="post" noValidate>
          <CsrfInput />
          <Field
            id="change-password-current"
            name="currentPassword"
            label="Current password"
            type="password"
            autoComplete="current-password"
            {...CHANGE_PASSWORD_FIELDS.currentPassword}
            error={passwordErrors.currentPassword}
          />
          <Field
            id="change-password-new"
            name="newPassword"
            label="New password"
            type="password"
            autoComplete="new-password"
            {...CHANGE_PASSWORD_FIELDS.newPassword}
            hint={`At least ${PASSWORD_MIN_LENGTH} characters. Common passwords are refused.`}
            error={passwordErrors.newPassword}
          />
          <button type="submit" name="intent" value="change-password">
            Change password
          </button>
        </Form>
      </section>
    </div>
  );
}
