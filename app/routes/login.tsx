import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { CsrfInput, Field, Notice, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { authenticate } from "~/domain/accounts.server";
import { canonicalEmail } from "~/domain/email";
import { LOGIN_FIELDS } from "~/schemas/auth-options";
import { LoginSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { accountKey, consume } from "~/utils/rate-limit.server";
import { safeRedirect } from "~/utils/request.server";
import { getSessionUser, signIn } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Sign in — WSIS Prizes" }];

/** The one answer for an unknown address and a wrong password alike. */
const INCORRECT = "Email address or password is incorrect.";

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const redirectTo = safeRedirect(url.searchParams.get("redirectTo"), "/account");
  if (await getSessionUser(request)) return redirect(redirectTo);
  return json({ redirectTo, reset: url.searchParams.get("reset") === "1" });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  await consume(["login:ip", context.clientIp]);
  const raw = form.get("email");
  const email = typeof raw === "string" ? raw.slice(0, 300) : "";
  const parsed = LoginSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const errors: FieldErrors = fieldErrorsFrom(parsed.error.issues);
    return json({ errors, email }, { status: 400 });
  }
  await consume(["login:account", accountKey(canonicalEmail(parsed.data.email))]);
  const user = await authenticate(parsed.data);
  if (!user) {
    const errors: FieldErrors = { form: INCORRECT };
    return json({ errors, email }, { status: 400 });
  }
  const cookie = await signIn(request, context, user.id);
  return redirect(safeRedirect(parsed.data.redirectTo, "/account"), { headers: { "Set-Cookie": cookie } });
}

export default function Login() {
  const { redirectTo, reset } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const errors = data?.errors ?? {};
  return (
    <div className="stack">
      <h1>Sign in</h1>
      {reset ? (
        <Notice kind="success">Your password has been changed. Sign in with your new password.</Notice>
      ) : null}
      {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field
          name="email"
          label="Email address"
          type="email"
          autoComplete="username"
          {...LOGIN_FIELDS.email}
          defaultValue={data?.email}
          error={errors.email}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          {...LOGIN_FIELDS.password}
          error={errors.password}
        />
        <button type="submit">Sign in</button>
      </Form>
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        No account yet? <Link to="/register">Create an account</Link>.
      </p>
    </div>
  );
}
