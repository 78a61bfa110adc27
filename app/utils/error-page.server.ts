import { escapeHtml } from "../../emails/layout";

/** A minimal standalone error page for responses sent before Remix renders (body limits, 5xx fallbacks). */
export function errorPage(status: number, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${status} — WSIS Prizes</title></head><body><main><h1>${status}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to the WSIS Prizes home page</a></p></main></body></html>`;
}
