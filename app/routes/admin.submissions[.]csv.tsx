import type { LoaderFunctionArgs } from "@remix-run/node";
import { exportSubmissionsCsv, resolveSubmissionsQuery } from "~/domain/submissions-report.server";
import { requirePermission } from "~/utils/session.server";

/** GET /admin/submissions.csv?edition=YEAR[&filters]: every submission of an edition, for organisers only. */
export async function loader({ request }: LoaderFunctionArgs) {
  const current = await requirePermission(request, "contest:read:all");
  const now = new Date();
  const { edition, filters, notices } = await resolveSubmissionsQuery({
    params: new URL(request.url).searchParams,
    now,
  });
  // A download must contain what was asked for: a bad filter is refused rather than silently dropped.
  if (notices.length) throw new Response(notices.join(" "), { status: 400, statusText: "Bad Request" });
  if (!edition) throw new Response("There is no such edition.", { status: 404, statusText: "Not Found" });
  const { csv, year } = await exportSubmissionsCsv({
    editionId: edition.id,
    filters,
    actorUserId: current.user.id,
    now,
  });
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="wsis-prizes-${year}-submissions.csv"`,
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
