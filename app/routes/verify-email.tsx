import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import { CsrfInput } from "~/components/forms";
import { confirmEmailLink, inspectToken } from "~/domain/accounts.server";
import { dispatchOutbox } from "~/domain/outbox.server";
import type { loader as rootLoader } from "~/root";
import { TokenSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";

export const meta: MetaFunction = () => [{ title: "Confirm your email address — WSIS Prizes" }];

type View =
  | { state: "confirm"; token: string; newEmail: string | null }
  | { state: "confirmed" }
  | { state: "invalid" }
  | { state: "taken" };

function view(value: View, status = 200) {
  return json(value, { status });
}

/**
 * GET only shows a button: the link is used by the POST, so mail scanners that fetch links do not spend it.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  if (url.searchParams.get("confirmed") === "1") return view({ state: "confirmed" });
  const parsed = TokenSchema.safeParse({ token: url.searchParams.get("token") });
  if (!parsed.success) return view({ state: "invalid" }, 400);
  const found = await inspectToken({
    token: parsed.data.token,
    kinds: ["verify_email", "change_email"],
    now: new Date(),
  });
  if (!found) return view({ state: "invalid" }, 400);
  return view({ state: "confirm", token: parsed.data.token, newEmail: found.newEmail });
}

export async function action({ request }: ActionFunctionArgs) {
  const form = await readForm(request);
  const parsed = TokenSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return view({ state: "invalid" }, 400);
  const result = await confirmEmailLink({ token: parsed.data.token, now: new Date() });
  if (!result.ok) return view({ state: result.reason }, result.reason === "taken" ? 409 : 400);
  await dispatchOutbox(result.outbox);
  return redirect("/verify-email?confirmed=1");
}

export default function VerifyEmail() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const signedIn = Boolean(useRouteLoaderData<typeof rootLoader>("root")?.user);
  const current = acted ?? loaded;
  if (current.state === "confirmed") {
    return (
      <div className="stack">
        <h1>Email address confirmed</h1>
        <p>Thank you. Your email address is confirmed: you can vote once public voting is open.</p>
        <p>{signedIn ? <Link to="/account">Go to your account</Link> : <Link to="/login">Sign in</Link>}</p>
      </div>
    );
  }
  if (current.state === "confirm") {
    return (
      <div className="stack">
        <h1>Confirm your email address</h1>
        <p>
          {current.newEmail
            ? `Confirm ${current.newEmail} as the new email address of your WSIS Prizes account.`
            : "Confirm that this email address belongs to you to complete your registration."}
        </p>
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="token" value={current.token} />
          <button type="submit">Confirm my email address</button>
        </Form>
      </div>
    );
  }
  if (current.state === "taken") {
    return (
      <div className="stack">
        <h1>This address is already in use</h1>
        <p>
          Another account now uses this email address, so your address was not changed. You can choose another
          one on <Link to="/account">your account page</Link>.
        </p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>This link cannot be used</h1>
      <p>
        This link is invalid or has expired, or it has already been used. Links in our emails work once and
        only for a limited time.
      </p>
      <p>
        To get a new one, <Link to="/login?redirectTo=%2Faccount">sign in</Link> and ask for a new
        confirmation email on your account page. If your address is already confirmed, there is nothing more
        to do.
      </p>
    </div>
  );
}
