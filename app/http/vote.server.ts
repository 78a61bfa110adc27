import express, { type Request, type Response, type RequestHandler } from "express";
import { z } from "zod";
import { castVote } from "../domain/voting.server";
import { CSRF_FIELD, csrfMatches, isSameOrigin } from "../utils/csrf.server";
import { db } from "../utils/db.server";
import { errorPage } from "../utils/error-page.server";
import { log } from "../utils/log.server";
import { consume } from "../utils/rate-limit.server";
import { sessionTokenFromHeader, sessionUserFromToken } from "../utils/session.server";
import { safeRedirect } from "../utils/request.server";

const VoteForm = z.object({
  [CSRF_FIELD]: z.string().max(200),
  project: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 31 - 1),
  back: z.string().max(500).optional(),
});

/** The security headers of every page, set at once for the vote endpoint (no scripts, no framing). */
export function voteSecurityHeaders(https: boolean): RequestHandler {
  const headers: Record<string, string> = {
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
  return (_req, res, next) => {
    res.set(headers);
    next();
  };
}

function wantsJson(req: Request): boolean {
  return (req.headers.accept ?? "").includes("application/json");
}

function answer(
  req: Request,
  res: Response,
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  if (wantsJson(req)) res.status(status).json({ ok: false, message, ...extra });
  else res.status(status).type("html").send(errorPage(status, message));
}

/**
 * POST /vote — the voting endpoint, kept outside the Remix pipeline because it is the hot path (up to two
 * million votes per edition). Same protections as every action: same-origin and CSRF checks, a session from
 * the database, per-IP and per-account rate limits, zod validation, and the rules of castVote(). Browsers
 * without JavaScript get a 303 to their votes page; clients asking for JSON get JSON.
 */
export function voteEndpoint(): RequestHandler[] {
  const body = express.urlencoded({ extended: false, limit: "2kb", parameterLimit: 10 });
  const handler: RequestHandler = async (req, res) => {
    try {
      if (!isSameOrigin((name) => req.get(name))) {
        return answer(req, res, 403, "This vote was sent from another site and has been refused.");
      }
      const parsed = VoteForm.safeParse(req.body);
      if (!parsed.success || !csrfMatches(parsed.data[CSRF_FIELD], req.headers.cookie)) {
        return answer(
          req,
          res,
          parsed.success ? 403 : 400,
          parsed.success
            ? "This form has expired or was not sent from this site. Reload the page and try again."
            : "This vote could not be understood. Go back to the project page and try again.",
        );
      }
      const current = await sessionUserFromToken(sessionTokenFromHeader(req.headers.cookie));
      if (!current) {
        if (wantsJson(req)) return answer(req, res, 401, "Please sign in to vote.");
        const back = safeRedirect(parsed.data.back, `/projects/${parsed.data.project}`);
        return void res.redirect(303, `/login?redirectTo=${encodeURIComponent(back)}`);
      }
      const ip = req.ip ?? "unknown";
      try {
        await consume(["vote:ip", ip], ["vote:account", `user-${current.user.id}`]);
      } catch (e) {
        if (e instanceof globalThis.Response && e.status === 429) {
          res.set("Retry-After", e.headers.get("Retry-After") ?? "60");
          return answer(req, res, 429, await e.text());
        }
        throw e;
      }
      const outcome = await castVote(
        db(),
        { voter: current.user, roles: current.roles, projectId: parsed.data.project, ip },
        new Date(),
      );
      if (!outcome.ok) return answer(req, res, outcome.status, outcome.message, { refusal: outcome.refusal });
      if (wantsJson(req)) {
        return void res.json({
          ok: true,
          created: outcome.created,
          category: outcome.categoryCode,
          votedCategories: outcome.votedCategories,
        });
      }
      res.redirect(303, `/votes?cast=${outcome.voteId}`);
    } catch (error) {
      log.error("vote failed", { error: error instanceof Error ? error.message : String(error) });
      answer(req, res, 503, "Your vote could not be recorded just now. Please try again in a moment.");
    }
  };
  return [body, handler];
}
