import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Notice } from "~/components/forms";
import { submissionOverview, type ProjectOutcome } from "~/domain/submitter.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "My submissions — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requirePermission(request, "project:manage:own");
  const overview = await submissionOverview(user.id, new Date());
  return json({
    edition: overview.edition ? { name: overview.edition.name } : null,
    window: overview.window,
    organisations: overview.organisations.map((o) => ({ id: o.id, name: o.name })),
    projects: overview.projects,
  });
}

const STATUS_TEXT = {
  draft: "Draft (not submitted)",
  submitted: "Submitted",
  withdrawn: "Withdrawn",
} as const;

function statusText(status: keyof typeof STATUS_TEXT, outcome: ProjectOutcome): string {
  if (outcome === "nominated") return "Submitted — nominated";
  if (outcome === "not_nominated") return "Submitted — not nominated";
  return STATUS_TEXT[status];
}

export default function Submissions() {
  const { edition, window, organisations, projects } = useLoaderData<typeof loader>();
  if (!edition || !window) {
    return (
      <div className="stack">
        <h1>My submissions</h1>
        <p>No edition of the WSIS Prizes has been scheduled yet. Come back when submissions open.</p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>My submissions — {edition.name}</h1>
      <Notice kind={window.open ? "info" : "error"}>{window.message}</Notice>
      {organisations.length === 0 ? (
        <>
          <p>Projects are submitted by organisations. You are not a member of an organisation yet.</p>
          <p>
            <Link to="/organisations/new" className="button">
              Create an organisation
            </Link>{" "}
            or ask a colleague to invite you to theirs.
          </p>
        </>
      ) : (
        organisations.map((o) => {
          const mine = projects.filter((p) => p.organisation_id === o.id);
          return (
            <section key={o.id} aria-labelledby={`org-${o.id}`} className="stack">
              <h2 id={`org-${o.id}`}>
                <Link to={`/organisations/${o.id}`}>{o.name}</Link>
              </h2>
              {mine.length === 0 ? (
                <p className="muted">No project in this edition yet.</p>
              ) : (
                <div className="table-scroll">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Project</th>
                        <th scope="col">Category</th>
                        <th scope="col">Status</th>
                      </tr>
                    </thead>
                    <tbody>
                      {mine.map((p) => (
                        <tr key={p.id}>
                          <td>
                            <Link to={`/submissions/${p.id}`}>{p.title || "Untitled draft"}</Link>
                          </td>
                          <td>
                            <span className="code">{p.category_code}</span>
                            {p.category_name}
                          </td>
                          <td>{statusText(p.status, p.outcome)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              {window.open ? (
                <p>
                  <Link to={`/submissions/new?organisation=${o.id}`}>Start a new project for {o.name}</Link>
                </p>
              ) : null}
            </section>
          );
        })
      )}
    </div>
  );
}
