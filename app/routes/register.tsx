import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { CsrfInput, Field, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { register } from "~/domain/accounts.server";
import { dispatchOutbox } from "~/domain/outbox.server";
import { HONEYPOT_FIELD, PASSWORD_MIN_LENGTH, REGISTER_FIELDS } from "~/schemas/auth-options";
import { RegisterSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { consume } from "~/utils/rate-limit.server";

export const meta: MetaFunction = () => [{ title: "Create an account — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  return json({ sent: new URL(request.url).searchParams.get("sent") === "1" });
}

/** What the form shows again after a refusal (never the password). */
function echo(form: FormData): { name: string; email: string } {
  const text = (key: string) => {
    const value = form.get(key);
    return typeof value === "string" ? value.slice(0, 300) : "";
  };
  return { name: text("name"), email: text("email") };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  await consume(["register:ip", context.clientIp]);
  // A filled honeypot is a bot: it gets the usual answer and nothing is written.
  if (form.get(HONEYPOT_FIELD)) return redirect("/register?sent=1");
  const parsed = RegisterSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const errors: FieldErrors = fieldErrorsFrom(parsed.error.issues);
    return json({ errors, values: echo(form) }, { status: 400 });
  }
  const result = await register({ ...parsed.data, now: new Date() });
  if (!result.ok) {
    const errors: FieldErrors = result.errors;
    return json({ errors, values: echo(form) }, { status: 400 });
  }
  await dispatchOutbox(result.outbox);
  return redirect("/register?sent=1");
}

export default function Register() {
  const { sent } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  if (sent) {
    return (
      <div className="stack">
        <h1>Check your email</h1>
        <p>
          We have sent a message to the address you gave. Follow the link in it to confirm your email address;
          the link works for 48 hours.
        </p>
        <p>
          You can already <Link to="/login">sign in</Link>. You need a confirmed address to vote.
        </p>
        <p className="muted">
          Nothing arrived after a few minutes? Look in your spam folder, or sign in and ask for a new link on
          your account page.
        </p>
      </div>
    );
  }
  const errors = data?.errors ?? {};
  return (
    <div className="stack">
      <h1>Create an account</h1>
      <p>
        With an account you can vote for projects once public voting opens, after confirming your email
        address.
      </p>
      <Form method="post" noValidate>
        <CsrfInput />
        <Field
          name="name"
          label="Full name"
          autoComplete="name"
          {...REGISTER_FIELDS.name}
          defaultValue={data?.values.name}
          error={errors.name}
        />
        <Field
          name="email"
          label="Email address"
          type="email"
          autoComplete="email"
          {...REGISTER_FIELDS.email}
          defaultValue={data?.values.email}
          error={errors.email}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          {...REGISTER_FIELDS.password}
          hint={`At least ${PASSWORD_MIN_LENGTH} characters. A few unrelated words make a good password; common passwords are refused.`}
          error={errors.password}
        />
        <div className="hp" aria-hidden="true">
          <label htmlFor="f-hp">Leave this field empty</label>
          <input id="f-hp" name={HONEYPOT_FIELD} type="text" tabIndex={-1} autoComplete="off" />
        </div>
        <button type="submit">Create account</button>
      </Form>
      <p>
        Already registered? <Link to="/login">Sign in</Link>.
      </p>
    </div>
  );
}
