import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { AdminNav } from "~/components/admin";
import { displayTimeZone } from "~/domain/admin.server";
import { devMailEnabled, readOutboxFile } from "~/domain/dev-mail.server";
import { formatInstant } from "~/domain/phases";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.message.subject ?? "Message"} — Mail viewer — WSIS Prizes` },
];

const notFound = () => new Response("There is no such message.", { status: 404, statusText: "Not Found" });

export async function loader({ request, params }: LoaderFunctionArgs) {
  if (!devMailEnabled()) throw notFound();
  await requirePermission(request, "mail:read-dev-outbox");
  // readOutboxFile refuses anything but a plain file name inside the outbox folder ("../x.eml", "a/b.eml").
  const message = await readOutboxFile(params.file ?? "");
  if (!message) throw notFound();
  const timeZone = await displayTimeZone(new Date());
  return json({ message: { ...message, date: formatInstant(message.date, timeZone) } });
}

export default function MailMessage() {
  const { message } = useLoaderData<typeof loader>();
  return (
    <div className="stack">
      <h1>{message.subject}</h1>
      <AdminNav />
      <p>
        <Link to="/admin/mail">Back to all messages</Link>
      </p>
      <div className="table-scroll">
        <table>
          <tbody>
            <tr>
              <th scope="row">From</th>
              <td>{message.from}</td>
            </tr>
            <tr>
              <th scope="row">To</th>
              <td>{message.to}</td>
            </tr>
            <tr>
              <th scope="row">Date</th>
              <td>{message.date}</td>
            </tr>
            <tr>
              <th scope="row">File</th>
              <td>{message.file}</td>
            </tr>
          </tbody>
        </table>
      </div>

      <h2>Plain text</h2>
      <pre className="evidence">{message.text}</pre>

      <h2>HTML</h2>
      {message.html !== null ? (
        <>
          <p className="muted">
            Shown in a sandboxed frame: no scripts, no forms, no access to this page. Our content security
            policy still applies inside it, so inline styles of the email may not show.
          </p>
          {/* sandbox="" denies everything; srcdoc is an attribute, escaped by React, never parsed as our markup. */}
          <iframe
            title={`HTML of “${message.subject}”`}
            sandbox=""
            srcDoc={message.html}
            width="100%"
            height="480"
          />
          <details>
            <summary>HTML source</summary>
            <pre className="evidence">{message.html}</pre>
          </details>
        </>
      ) : (
        <p>This message has no HTML part.</p>
      )}
    </div>
  );
}
