import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { readForm } from "~/utils/csrf.server";
import { signOut } from "~/utils/session.server";

/** Signing out changes state, so it is a POST; a GET (typed address, prefetch) just goes home. */
export async function loader() {
  return redirect("/");
}

export async function action({ request }: ActionFunctionArgs) {
  await readForm(request);
  const cookie = await signOut(request);
  return redirect("/", { headers: { "Set-Cookie": cookie } });
}
