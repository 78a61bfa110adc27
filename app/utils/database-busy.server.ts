import type { ServerBuild } from "@remix-run/node";
import { isDatabaseBusy } from "../../db/client";
import { errorPage } from "./error-page.server";

/** What people read when the database stayed locked past the bounded wait (the root error page shows it). */
export const BUSY_MESSAGE =
  "The site is very busy just now and could not complete this request: nothing was changed. Please try again in a few seconds.";

/**
 * The 503 a loader or action throws instead of a DatabaseBusyError, with Retry-After. A page route's root
 * error page shows the text; a resource route (no page of its own: /logout, CSV exports) answers it as it
 * is, so it gets a small HTML page.
 */
export function busyResponse(retryAfterSeconds: number, page: boolean): Response {
  return new Response(page ? BUSY_MESSAGE : errorPage(503, BUSY_MESSAGE), {
    status: 503,
    statusText: "Service Unavailable",
    headers: {
      "Retry-After": String(retryAfterSeconds),
      "Content-Type": `${page ? "text/plain" : "text/html"}; charset=utf-8`,
    },
  });
}

type Handler = (...args: never[]) => unknown;

function answerBusy<F extends Handler>(handler: F | undefined, page: boolean): F | undefined {
  if (!handler) return handler;
  return (async (...args: Parameters<F>) => {
    try {
      return await handler(...args);
    } catch (error) {
      if (isDatabaseBusy(error)) throw busyResponse(error.retryAfterSeconds, page);
      throw error;
    }
  }) as F;
}

/**
 * The server build with every loader and action answering a DatabaseBusyError (SQLite locked by another
 * process past SQLITE_WAIT_MS) as a thrown 503 Response: Remix renders the root error page with that
 * status, and the root `headers` passes Retry-After on; data requests get the 503 as it is.
 */
export function answerDatabaseBusy(build: ServerBuild): ServerBuild {
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => [
      id,
      route && {
        ...route,
        module: {
          ...route.module,
          loader: answerBusy(route.module.loader, Boolean(route.module.default)),
          action: answerBusy(route.module.action, Boolean(route.module.default)),
        },
      },
    ]),
  );
  return { ...build, routes } as ServerBuild;
}
