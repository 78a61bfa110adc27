import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData, useLocation } from "@remix-run/react";
import { AdminNav, Pagination } from "~/components/admin";
import { displayTimeZone, listOutbox, pageCount } from "~/domain/admin.server";
import { formatInstant } from "~/domain/phases";
import { OUTBOX_STATUSES } from "~/schemas/admin-options";
import { OutboxStatusParam, PageParam } from "~/schemas/index.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Outbox — Admin — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "contest:read:all");
  const url = new URL(request.url);
  const page = PageParam.parse(url.searchParams.get("page"));
  const status = OutboxStatusParam.parse(url.searchParams.get("status"));
  const [{ rows, total }, timeZone] = await Promise.all([
    listOutbox({ page, status }),
    displayTimeZone(new Date()),
  ]);
  return json({
    page,
    pages: pageCount(total),
    total,
    status,
    rows: rows.map((r) => ({
      id: r.id,
      status: r.status,
      kind: r.kind,
      to: r.to_address,
      subject: r.subject,
      attempts: r.attempts,
      lastError: r.last_error,
      created: formatInstant(r.created_at, timeZone),
      sent: r.sent_at ? formatInstant(r.sent_at, timeZone) : null,
    })),
  });
}

export default function AdminOutbox() {
  const { page, pages, total, status, rows } = useLoaderData<typeof loader>();
  const { search } = useLocation();
  return (
    <div className="stack">
      <h1>Outbox</h1>
      <AdminNav />
      <p className="muted">
        Every email is written here first, then delivered by a job.{" "}
        {total === 1 ? "1 email" : `${total} emails`}
        {status ? ` ${status}` : ""}.
      </p>
      <Form method="get" className="filters">
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" name="status" defaultValue={status ?? ""}>
            <option value="">All</option>
            {OUTBOX_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Show</button>
      </Form>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Delivery</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>
                  {`#${r.id} ${r.kind}`}
                  <br />
                  {r.to}
                  <br />
                  <span className="muted">{r.subject}</span>
                </td>
                <td>
                  <strong>{r.status}</strong>
                  {`, ${r.attempts === 1 ? "1 attempt" : `${r.attempts} attempts`}`}
                  {r.lastError ? (
                    <>
                      <br />
                      {`Last error: ${r.lastError}`}
                    </>
                  ) : null}
                  <br />
                  <span className="muted">{`Written ${r.created}`}</span>
                  {r.sent ? (
                    <>
                      <br />
                      <span className="muted">{`Sent ${r.sent}`}</span>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 ? <p>No email here.</p> : null}
      <Pagination page={page} pages={pages} search={search} />
    </div>
  );
}
