import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { AdminNav, Pagination } from "~/components/admin";
import { displayTimeZone, pageCount } from "~/domain/admin.server";
import { devMailEnabled, listOutboxFiles } from "~/domain/dev-mail.server";
import { formatInstant } from "~/domain/phases";
import { PageParam } from "~/schemas/index.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Mail viewer — Admin — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  // Development only: in production the page does not exist, for anyone.
  if (!devMailEnabled()) throw new Response("Not found", { status: 404, statusText: "Not Found" });
  await requirePermission(request, "mail:read-dev-outbox");
  const page = PageParam.parse(new URL(request.url).searchParams.get("page"));
  const [{ rows, total }, timeZone] = await Promise.all([listOutboxFiles(page), displayTimeZone(new Date())]);
  return json({
    page,
    pages: pageCount(total),
    total,
    messages: rows.map((m) => ({ ...m, date: formatInstant(m.date, timeZone) })),
  });
}

export default function MailViewer() {
  const { page, pages, total, messages } = useLoaderData<typeof loader>();
  const { search } = useLocation();
  return (
    <div className="stack">
      <h1>Mail viewer</h1>
      <AdminNav />
      <p className="muted">
        Development only. Without SMTP_URL, emails are written as .eml files to the outbox folder; here they
        are, newest first ({total === 1 ? "1 message" : `${total} messages`}).
      </p>
      {messages.length ? (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">To</th>
                <th scope="col">Date</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((m) => (
                <tr key={m.file}>
                  <td>
                    <Link to={`/admin/mail/${encodeURIComponent(m.file)}`}>{m.subject}</Link>
                  </td>
                  <td>{m.to}</td>
                  <td>{m.date}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>No message in the outbox folder yet.</p>
      )}
      <Pagination page={page} pages={pages} search={search} />
    </div>
  );
}
