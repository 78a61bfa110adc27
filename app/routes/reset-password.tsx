import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { CsrfInput, Field, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { inspectToken, resetPassword } from "~/domain/accounts.server";
import { PASSWORD_MIN_LENGTH, RESET_PASSWORD_FIELDS } from "~/schemas/auth-options";
import { ResetPasswordSchema, TokenSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { consume } from "~/utils/rate-limit.server";
import { signOut } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Choose a new password — WSIS Prizes" }];

type View = { state: "form"; token: string; errors: FieldErrors } | { state: "invalid" };

function view(value: View, status = 200) {
  return json(value, { status });
}

export async function loader({ request }: LoaderFunctionArgs) {
  const parsed = TokenSchema.safeParse({ token: new URL(request.url).searchParams.get("token") });
  if (!parsed.success) return view({ state: "invalid" }, 400);
  const found = await inspectToken({ token: parsed.data.token, kinds: ["reset_password"], now: new Date() });
  if (!found) return view({ state: "invalid" }, 400);
  return view({ state: "form", token: parsed.data.token, errors: {} });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  await consume(["reset:ip", context.clientIp]);
  const token = TokenSchema.safeParse(Object.fromEntries(form));
  if (!token.success) return view({ state: "invalid" }, 400);
  const parsed = ResetPasswordSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success)
    return view(
      { state: "form", token: token.data.token, errors: fieldErrorsFrom(parsed.error.issues) },
      400,
    );
  const result = await resetPassword({ ...parsed.data, now: new Date() });
  if (!result.ok) {
    if (result.reason === "weak") {
      return view({ state: "form", token: token.data.token, errors: { password: result.message } }, 400);
    }
    return view({ state: "invalid" }, 400);
  }
  // Every session of the user is gone (resetPassword revoked them); clear this browser's cookie too.
  return redirect("/login?reset=1", { headers: { "Set-Cookie": await signOut(request) } });
}

export default function ResetPassword() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const current = acted ?? loaded;
  if (current.state === "invalid") {
    return (
      <div className="stack">
        <h1>This link cannot be used</h1>
        <p>
          This link is invalid or has expired, or it has already been used. Password reset links work once,
          for 60 minutes.
        </p>
        <p>
          <Link to="/forgot-password">Ask for a new link</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>Choose a new password</h1>
      <p>Once it is set, you are signed out everywhere and can sign in with the new password.</p>
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="token" value={current.token} />
        <Field
          name="password"
          label="New password"
          type="password"
          autoComplete="new-password"
          {...RESET_PASSWORD_FIELDS.password}
          hint={`At least ${PASSWORD_MIN_LENGTH} characters. Common passwords are refused.`}
          error={current.errors.password}
        />
        <button type="submit">Set new password</button>
      </Form>
    </div>
  );
}
