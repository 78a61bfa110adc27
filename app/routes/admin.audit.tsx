import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData, useLocation } from "@remix-run/react";
import { AdminNav, Pagination } from "~/components/admin";
import { Field } from "~/components/forms";
import { auditEntities, displayTimeZone, listAuditLog, pageCount } from "~/domain/admin.server";
import { formatInstant } from "~/domain/phases";
import { AuditFilterParam, PageParam } from "~/schemas/index.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Audit log — Admin — WSIS Prizes" }];

/** Pretty-prints a stored JSON snapshot; shows it as stored if it does not parse. */
function pretty(text: string | null): string | null {
  if (text === null) return null;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "audit:read");
  const url = new URL(request.url);
  const page = PageParam.parse(url.searchParams.get("page"));
  const entity = AuditFilterParam.parse(url.searchParams.get("entity") || null);
  const entityId = AuditFilterParam.parse(url.searchParams.get("id") || null);
  const [{ rows, total }, entities, timeZone] = await Promise.all([
    listAuditLog({ page, entity, entityId }),
    auditEntities(),
    displayTimeZone(new Date()),
  ]);
  return json({
    page,
    pages: pageCount(total),
    total,
    entity,
    entityId,
    entities,
    rows: rows.map((r) => ({
      id: r.id,
      when: formatInstant(r.created_at, timeZone),
      actor: r.actor_email ?? (r.actor_user_id === null ? "system" : `user #${r.actor_user_id}`),
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      before: pretty(r.before_json),
      after: pretty(r.after_json),
    })),
  });
}

export default function AdminAudit() {
  const { page, pages, total, entity, entityId, entities, rows } = useLoaderData<typeof loader>();
  const { search } = useLocation();
  return (
    <div className="stack">
      <h1>Audit log</h1>
      <AdminNav />
      <Form method="get" className="filters">
        <div className="field">
          <label htmlFor="f-entity">Entity</label>
          <select id="f-entity" name="entity" defaultValue={entity ?? ""}>
            <option value="">All</option>
            {entities.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        </div>
        <Field
          name="id"
          label="Entity id (optional)"
          defaultValue={entityId ?? ""}
          maxLength={64}
          inputMode="numeric"
        />
        <button type="submit">Filter</button>
      </Form>
      <p className="muted" role="status">
        {total === 1 ? "1 entry" : `${total} entries`}, newest first.
      </p>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">When and who</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>
                  {r.when}
                  <br />
                  <span className="muted">{r.actor}</span>
                </td>
                <td>
                  <strong>{r.action}</strong>
                  <br />
                  <span className="muted">{`${r.entity}${r.entityId !== null ? ` #${r.entityId}` : ""}`}</span>
                  {r.before !== null || r.after !== null ? (
                    <details>
                      <summary>Before / after</summary>
                      {r.before !== null ? (
                        <>
                          <p>Before</p>
                          <pre className="evidence">{r.before}</pre>
                        </>
                      ) : null}
                      {r.after !== null ? (
                        <>
                          <p>After</p>
                          <pre className="evidence">{r.after}</pre>
                        </>
                      ) : null}
                    </details>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 ? <p>No entry.</p> : null}
      <Pagination page={page} pages={pages} search={search} />
    </div>
  );
}
