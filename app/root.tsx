import type { HeadersFunction, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import {
  Form,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { CsrfInput } from "./components/forms";
import { useNonce } from "./components/nonce";
import styles from "./styles/app.css";
import { csrfToken } from "./utils/csrf.server";
import { env } from "./utils/env.server";
import { can } from "./utils/permissions";
import { getSessionUser } from "./utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "icon", href: "data:," },
];

export const meta: MetaFunction = () => [
  { title: "WSIS Prizes" },
  {
    name: "description",
    content: "The WSIS Prizes: ICT-for-development projects, public voting and winners.",
  },
];

/** Passes Retry-After (and nothing else) from a thrown 429 or 503 to the document response. */
export const headers: HeadersFunction = ({ errorHeaders }) => {
  const out = new Headers();
  const retry = errorHeaders?.get("Retry-After");
  if (retry) out.set("Retry-After", retry);
  return out;
};

export async function loader({ request }: LoaderFunctionArgs) {
  const current = await getSessionUser(request);
  const { token, setCookie } = csrfToken(request, current?.sessionId ?? null);
  return json(
    {
      csrf: token,
      user: current
        ? {
            id: current.user.id,
            name: current.user.name,
            email: current.user.email,
            verified: current.user.email_verified_at !== null,
            roles: current.roles,
          }
        : null,
      devMail: env().NODE_ENV !== "production",
    },
    setCookie ? { headers: { "Set-Cookie": setCookie } } : undefined,
  );
}

export type RootData = ReturnType<typeof useRootData>;

/** The root loader's data (signed-in user, CSRF token), from any route. */
export function useRootData() {
  return useRouteLoaderData<typeof loader>("root");
}

function Header() {
  const data = useRootData();
  const user = data?.user;
  const roles = user?.roles ?? [];
  return (
    <header className="site-header">
      <div className="wrap">
        <Link to="/" className="brand">
          WSIS Prizes
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link to="/categories">Projects</Link>
            </li>
            {can(roles, "vote:read:own") ? (
              <li>
                <Link to="/votes">My votes</Link>
              </li>
            ) : null}
            {user ? (
              <li>
                <Link to="/organisations">My organisations</Link>
              </li>
            ) : null}
            {can(roles, "project:manage:own") ? (
              <li>
                <Link to="/submissions">My submissions</Link>
              </li>
            ) : null}
            {can(roles, "project:review:assigned") || can(roles, "nomination:manage") ? (
              <li>
                <Link to="/review">Review</Link>
              </li>
            ) : null}
            {can(roles, "project:score:assigned") ? (
              <li>
                <Link to="/jury">Jury</Link>
              </li>
            ) : null}
            <li>
              <Link to="/results">Results</Link>
            </li>
            {can(roles, "contest:read:all") ? (
              <li>
                <Link to="/admin">Admin</Link>
              </li>
            ) : null}
            {user ? (
              <>
                <li>
                  <Link to="/account">My account</Link>
                </li>
                <li>
                  <Form method="post" action="/logout" className="inline">
                    <CsrfInput />
                    <button type="submit" className="link-button">
                      Sign out
                    </button>
                  </Form>
                </li>
              </>
            ) : (
              <>
                <li>
                  <Link to="/login">Sign in</Link>
                </li>
                <li>
                  <Link to="/register">Register</Link>
                </li>
              </>
            )}
          </ul>
        </nav>
      </div>
    </header>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <Header />
        <main id="main" className="wrap">
          {children}
        </main>
        <footer className="site-footer">
          <div className="wrap">
            World Summit on the Information Society — WSIS Prizes. Times are shown in the organisers’ time
            zone.
          </div>
        </footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

const TITLES: Record<number, string> = {
  400: "This request could not be understood",
  403: "You cannot do this",
  404: "Page not found",
  405: "Not allowed",
  411: "Please send the form again",
  413: "Too large",
  422: "Please check your input",
  429: "Too many attempts",
  503: "Temporarily unavailable",
};

export function ErrorBoundary() {
  const error = useRouteError();
  let status = 500;
  let message = "Something went wrong on our side. Please try again in a moment.";
  if (isRouteErrorResponse(error)) {
    status = error.status;
    // Remix's own 404/405 texts ("Error: No route matches URL…") are for developers; ours are for people.
    const internal = typeof error.data === "string" && /^(Error: |You made a )/.test(error.data);
    if (status === 404 && internal)
      message = "We could not find this page. Check the address, or start again from the home page.";
    else if (status === 405 && internal) message = "This page does not accept that kind of request.";
    else if (typeof error.data === "string" && error.data) message = error.data;
    else message = status === 404 ? "We could not find this page." : error.statusText || message;
  }
  const title = TITLES[status] ?? (status >= 500 ? "Something went wrong" : "Request refused");
  return (
    <section className="error-page" aria-labelledby="error-title">
      <title>{`${title} — WSIS Prizes`}</title>
      <h1 id="error-title">{title}</h1>
      <p className="status">Error {status}</p>
      <p>{message}</p>
      <p>
        <Link to="/">Back to the home page</Link>
      </p>
    </section>
  );
}
