import type { Edition } from "../../db/schema";
import { currentEdition, findEditionByYear } from "../domain/editions.server";

/** A database id from a URL or form (positive, at most nine digits), or null when it cannot be one. */
export function parseId(raw: string | undefined): number | null {
  return raw && /^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : null;
}

/** The id in route parameter `raw`; when it cannot be one, throws a 404 response with `message`. */
export function idParam(raw: string | undefined, message: string): number {
  const id = parseId(raw);
  if (id === null) throw new Response(message, { status: 404, statusText: "Not Found" });
  return id;
}

/**
 * The edition a page's `?edition=YYYY` names, or the current one when it names none (null when there is no
 * edition at all); throws a 404 response when the page asked for an edition and there is none to show.
 */
export async function editionParam(request: Request, now: Date): Promise<Edition | null> {
  const raw = new URL(request.url).searchParams.get("edition");
  const year = raw && /^\d{4}$/.test(raw) ? Number(raw) : null;
  const edition = year !== null ? await findEditionByYear(year) : await currentEdition(now);
  if (raw && !edition)
    throw new Response("There is no such edition.", { status: 404, statusText: "Not Found" });
  return edition ?? null;
}
