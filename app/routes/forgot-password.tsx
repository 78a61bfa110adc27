import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { CsrfInput, Field, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { requestPasswordReset } from "~/domain/accounts.server";
import { canonicalEmail } from "~/domain/email";
import { dispatchOutbox } from "~/domain/outbox.server";
import { FORGOT_PASSWORD_FIELDS } from "~/schemas/auth-options";
import { ForgotPasswordSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { accountKey, consume } from "~/utils/rate-limit.server";

export const meta: MetaFunction = () => [{ title: "Forgot your password? — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  return json({ sent: new URL(request.url).searchParams.get("sent") === "1" });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  await consume(["reset:ip", context.clientIp]);
  const parsed = ForgotPasswordSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const raw = form.get("email");
    const errors: FieldErrors = fieldErrorsFrom(parsed.error.issues);
    return json({ errors, email: typeof raw === "string" ? raw.slice(0, 300) : "" }, { status: 400 });
  }
  await consume(["reset:account", accountKey(canonicalEmail(parsed.data.email))]);
  // The same answer whether or not the address has an account.
  const { outbox } = await requestPasswordReset({ email: parsed.data.email, now: new Date() });
  await dispatchOutbox(outbox);
  return redirect("/forgot-password?sent=1");
}

export default function ForgotPassword() {
  const { sent } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  if (sent) {
    return (
      <div className="stack">
        <h1>Check your email</h1>
        <p>
          If an account uses this address, we have sent it a link to choose a new password. The link works for
          60 minutes.
        </p>
        <p className="muted">
          Nothing arrived after a few minutes? Look in your spam folder, check the address, or{" "}
          <Link to="/forgot-password">try again</Link>.
        </p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>Forgot your password?</h1>
      <p>Enter the email address of your account and we will send you a link to choose a new password.</p>
      <Form method="post" noValidate>
        <CsrfInput />
        <Field
          name="email"
          label="Email address"
          type="email"
          autoComplete="email"
          {...FORGOT_PASSWORD_FIELDS.email}
          defaultValue={data?.email}
          error={data?.errors.email}
        />
        <button type="submit">Send reset link</button>
      </Form>
      <p>
        Remembered it? <Link to="/login">Sign in</Link>.
      </p>
    </div>
  );
}
