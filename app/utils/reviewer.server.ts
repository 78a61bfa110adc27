import { reviewerFrom, type Reviewer } from "../domain/review.server";
import { requirePermission, requireUser } from "./session.server";

/**
 * The signed-in reviewer: an organiser ("nomination:manage", every category) or an expert
 * ("project:review:assigned", assigned categories only). Anonymous → redirect to sign in; anyone else → 403.
 */
export async function requireReviewer(request: Request): Promise<Reviewer & { name: string }> {
  const current = await requireUser(request);
  const reviewer = reviewerFrom(current.user.id, current.roles);
  if (reviewer) return { ...reviewer, name: current.user.name };
  // Neither role: let the shared guard throw its standard 403 page.
  await requirePermission(request, "project:review:assigned");
  throw new Response("You do not have permission to do this.", { status: 403, statusText: "Forbidden" });
}
