import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { AdminNav } from "~/components/admin";
import { dashboardCounts } from "~/domain/admin.server";
import { devMailEnabled } from "~/domain/dev-mail.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Admin — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "contest:read:all");
  return json({ counts: await dashboardCounts(), devMail: devMailEnabled() });
}

export default function AdminDashboard() {
  const { counts, devMail } = useLoaderData<typeof loader>();
  return (
    <div className="stack">
      <h1>Admin</h1>
      <AdminNav />
      <div className="table-scroll">
        <table>
          <caption className="muted">At a glance</caption>
          <thead>
            <tr>
              <th scope="col">What</th>
              <th scope="col">Count</th>
              <th scope="col">Manage</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Users</th>
              <td>{counts.users}</td>
              <td>
                <Link to="/admin/users">Users and roles</Link>
              </td>
            </tr>
            <tr>
              <th scope="row">Editions</th>
              <td>{counts.editions}</td>
              <td>
                <Link to="/admin/editions">Editions and phases</Link>
              </td>
            </tr>
            <tr>
              <th scope="row">Emails queued</th>
              <td>{counts.outbox.queued}</td>
              <td>
                <Link to="/admin/outbox?status=queued">Queued emails</Link>
              </td>
            </tr>
            <tr>
              <th scope="row">Emails sent</th>
              <td>{counts.outbox.sent}</td>
              <td>
                <Link to="/admin/outbox?status=sent">Sent emails</Link>
              </td>
            </tr>
            <tr>
              <th scope="row">Emails failed</th>
              <td>{counts.outbox.failed}</td>
              <td>
                <Link to="/admin/outbox?status=failed">Failed emails</Link>
              </td>
            </tr>
          </tbody>
        </table>
      </div>
      <p>
        Every organiser action is recorded in the <Link to="/admin/audit">audit log</Link>.
        {devMail ? (
          <>
            {" "}
            In development, emails written to the outbox folder can be read in the{" "}
            <Link to="/admin/mail">mail viewer</Link>.
          </>
        ) : null}
      </p>
    </div>
  );
}
