import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { isDatabaseBusy } from "../../db/client";
import { castVote } from "../domain/voting.server";
import { id } from "../schemas/primitives";
import { CSRF_FIELD, csrfMatches, isSameOrigin } from "../utils/csrf.server";
import { db } from "../utils/db.server";
import { env } from "../utils/env.server";
import { errorPage } from "../utils/error-page.server";
import { log } from "../utils/log.server";
import { consume } from "../utils/rate-limit.server";
import { clientIp, safeRedirect } from "../utils/request.server";
import { sessionTokenFromHeader, sessionUserFromToken } from "../utils/session.server";

const VoteForm = z.object({
  [CSRF_FIELD]: z.string().max(200),
  project: id(),
  back: z.string().max(500).optional(),
});

/** A vote form is three short fields: anything longer is refused before it is read. */
const MAX_VOTE_BYTES = 2048;

/** The security headers of every page, for the vote endpoint's answers (no scripts, no framing). */
function securityHeaders(https: boolean): Record<string, string> {
  return {
    "Content-Security-Policy":
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
    ...(https ? { "Strict-Transport-Security": "max-age=31536000; includeSubDomains" } : {}),
  };
}

/** True for the requests voteHandler() answers: POST /vote (with or without a query string). */
export function isVoteRequest(req: IncomingMessage): boolean {
  if (req.method !== "POST" || !req.url?.startsWith("/vote")) return false;
  const rest = req.url.slice("/vote".length);
  return rest === "" || rest.startsWith("?");
}

class BodyError extends Error {
  constructor(readonly status: 400 | 413) {
    super(status === 413 ? "too large" : "unreadable");
  }
}

/**
 * The urlencoded body of a vote, or a BodyError (too large, not a form). A body over the limit is not read
 * further (announced by Content-Length, or found while reading a chunked one): the caller answers 413 and
 * closes the connection, so a client cannot make us read megabytes.
 */
function readVoteBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const length = Number(req.headers["content-length"] ?? "0");
    if (!Number.isFinite(length) || length > MAX_VOTE_BYTES) return reject(new BodyError(413));
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_VOTE_BYTES) return void chunks.push(chunk);
      req.off("data", onData);
      req.pause();
      reject(new BodyError(413));
    };
    req.on("data", onData);
    req.on("error", reject);
    req.on("end", () => {
      if (type !== "application/x-www-form-urlencoded") return reject(new BodyError(400));
      resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    });
  });
}

/** A body small enough is read to its end (the connection stays usable); anything else closes it. */
function discardBody(req: IncomingMessage): Record<string, string> {
  const length = req.headers["content-length"];
  if (length !== undefined && Number(length) <= MAX_VOTE_BYTES && !req.headers["transfer-encoding"]) {
    req.resume();
    return {};
  }
  return { Connection: "close" };
}

/**
 * POST /vote — the voting endpoint, answered straight from node:http before express and Remix because it is
 * the hot path (up to two million votes per edition; see the README's benchmark). Same protections as every
 * action: same-origin and CSRF checks, a session from the database, per-IP and per-account rate limits, a
 * size limit and zod validation of the body, and the rules of castVote(). Browsers without JavaScript get a
 * 303 to their votes page; clients asking for JSON get JSON. Every answer carries the security headers.
 */
export function voteHandler(): (req: IncomingMessage, res: ServerResponse) => void {
  const headers = securityHeaders(env().APP_URL.startsWith("https://"));
  const trustedHops = env().TRUST_PROXY;

  return (req, res) => {
    const json = (req.headers.accept ?? "").includes("application/json");
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, {
        ...headers,
        ...extra,
        "Content-Type": `${type}; charset=utf-8`,
        "Content-Length": String(Buffer.byteLength(body)),
      });
      res.end(body);
    };
    const refuse = (status: number, message: string, extra: Record<string, unknown> = {}, more = {}) => {
      if (json) send(status, "application/json", JSON.stringify({ ok: false, message, ...extra }), more);
      else send(status, "text/html", errorPage(status, message), more);
    };
    const redirect = (location: string) => {
      res.writeHead(303, { ...headers, Location: location, "Content-Length": "0" });
      res.end();
    };
    const header = (name: string) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    };

    const answer = async () => {
      if (!isSameOrigin(header)) {
        return refuse(
          403,
          "This vote was sent from another site and has been refused.",
          {},
          discardBody(req),
        );
      }
      let body: URLSearchParams;
      try {
        body = await readVoteBody(req);
      } catch (e) {
        if (!(e instanceof BodyError)) throw e;
        if (e.status === 413)
          return refuse(413, "This vote is too large to be a vote.", {}, { Connection: "close" });
        return refuse(400, "This vote could not be understood. Go back to the project page and try again.");
      }
      const parsed = VoteForm.safeParse(Object.fromEntries(body));
      if (!parsed.success) {
        return refuse(400, "This vote could not be understood. Go back to the project page and try again.");
      }
      const current = await sessionUserFromToken(sessionTokenFromHeader(req.headers.cookie));
      if (!csrfMatches(parsed.data[CSRF_FIELD], req.headers.cookie, current?.sessionId ?? null)) {
        return refuse(
          403,
          "This form has expired or was not sent from this site. Reload the page and try again.",
        );
      }
      if (!current) {
        if (json) return refuse(401, "Please sign in to vote.");
        const back = safeRedirect(parsed.data.back, `/projects/${parsed.data.project}`);
        return redirect(`/login?redirectTo=${encodeURIComponent(back)}`);
      }
      const ip = clientIp(req.socket.remoteAddress, header("X-Forwarded-For"), trustedHops);
      try {
        await consume(["vote:ip", ip], ["vote:account", `user-${current.user.id}`]);
      } catch (e) {
        if (e instanceof globalThis.Response && e.status === 429) {
          return refuse(429, await e.text(), {}, { "Retry-After": e.headers.get("Retry-After") ?? "60" });
        }
        throw e;
      }
      const outcome = await castVote(
        db(),
        { voter: current.user, roles: current.roles, projectId: parsed.data.project, ip },
        new Date(),
      );
      if (!outcome.ok) return refuse(outcome.status, outcome.message, { refusal: outcome.refusal });
      if (!json) return redirect(`/votes?cast=${outcome.voteId}`);
      send(
        200,
        "application/json",
        JSON.stringify({
          ok: true,
          created: outcome.created,
          category: outcome.categoryCode,
          votedCategories: outcome.votedCategories,
        }),
      );
    };

    answer().catch((error: unknown) => {
      // The database was locked by another process past the bounded wait: a deliberate 503 (logged once per
      // episode by the database layer), with Retry-After.
      const busy = isDatabaseBusy(error);
      if (!busy) log.error("vote failed", { error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) {
        refuse(
          503,
          "Your vote could not be recorded just now. Please try again in a moment.",
          {},
          busy ? { "Retry-After": String(error.retryAfterSeconds) } : {},
        );
      } else res.end();
    });
  };
}
