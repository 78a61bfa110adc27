import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { ROLES } from "../../db/schema";
import { AdminNav, Pagination } from "~/components/admin";
import { CsrfInput, Field, Notice } from "~/components/forms";
import { changeUserRole, displayTimeZone, pageCount, searchUsers } from "~/domain/admin.server";
import { formatInstant } from "~/domain/phases";
import { PageParam, RoleChangeSchema, SearchParam } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Users and roles — Admin — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requirePermission(request, "user:manage-roles");
  const url = new URL(request.url);
  const q = SearchParam.parse(url.searchParams.get("q") ?? "");
  const page = PageParam.parse(url.searchParams.get("page"));
  const now = new Date();
  const [{ rows, total }, timeZone] = await Promise.all([searchUsers({ q, page }), displayTimeZone(now)]);
  return json({
    q,
    page,
    pages: pageCount(total),
    total,
    meId: user.id,
    users: rows.map((u) => ({ ...u, created: formatInstant(u.createdAt, timeZone) })),
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "user:manage-roles");
  const form = await readForm(request);
  const parsed = RoleChangeSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return json(
      { error: parsed.error.issues[0]?.message ?? "This request could not be understood." },
      { status: 400 },
    );
  }
  const result = await changeUserRole({ ...parsed.data, actorUserId: user.id, now: new Date() });
  if (!result.ok) return json({ error: result.error }, { status: result.status });
  const url = new URL(request.url);
  return redirect(`${url.pathname}${url.search}`);
}

/** An email address that may wrap after its "@" and dots on a narrow screen. */
function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=[@.])/);
  return (
    <>
      {parts.map((part, i) => (
        <span key={i}>
          {i > 0 ? <wbr /> : null}
          {part}
        </span>
      ))}
    </>
  );
}

export default function AdminUsers() {
  const { q, page, pages, total, meId, users } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { search } = useLocation();
  return (
    <div className="stack">
      <h1>Users and roles</h1>
      <AdminNav />
      {actionData?.error ? <Notice kind="error">{actionData.error}</Notice> : null}
      <Form method="get" role="search">
        <Field
          name="q"
          label="Search by email or name"
          type="search"
          defaultValue={q}
          maxLength={200}
          hint="Part of an address or a name; leave empty to list everyone."
        />
        <button type="submit">Search</button>
      </Form>
      <p className="muted" role="status">
        {total === 1 ? "1 user" : `${total} users`}
        {q ? ` matching “${q}”` : ""}.
      </p>
      {/* Cards rather than a table: each user's role buttons stay on screen at 360 px. */}
      <div className="stack" role="list" aria-label="Users">
        {users.map((u) => (
          <div className="card" role="listitem" key={u.id}>
            <p>
              <strong>{u.name}</strong>
              <br />
              <Breakable text={u.email} />
              {u.verified ? null : <span className="muted"> (not verified)</span>}
              <br />
              <span className="muted">{`Registered ${u.created}`}</span>
            </p>
            <p>{u.roles.length ? `Roles: ${u.roles.join(", ")}` : "No role."}</p>
            <div className="actions">
              {ROLES.map((role) => {
                const held = u.roles.includes(role);
                // The platform keeps the organiser who acts: no button to revoke one's own organiser role.
                if (held && role === "organiser" && u.id === meId) return null;
                return (
                  <Form method="post" key={role}>
                    <CsrfInput />
                    <input type="hidden" name="userId" value={u.id} />
                    <input type="hidden" name="role" value={role} />
                    <button
                      type="submit"
                      name="intent"
                      value={held ? "revoke" : "grant"}
                      className={held ? "secondary" : undefined}
                      aria-label={`${held ? "Revoke" : "Grant"} ${role} ${held ? "from" : "to"} ${u.email}`}
                    >
                      {`${held ? "Revoke" : "Grant"} ${role}`}
                    </button>
                  </Form>
                );
              })}
            </div>
          </div>
        ))}
      </div>
      {users.length === 0 ? <p>No users found.</p> : null}
      <Pagination page={page} pages={pages} search={search} />
    </div>
  );
}
