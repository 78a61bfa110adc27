import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { AdminNav } from "~/components/admin";
import { CsrfInput, Notice } from "~/components/forms";
import { currentEdition, findEditionByYear, listCategories, listEditions } from "~/domain/editions.server";
import { expertAssignments, setExpertCategories } from "~/domain/nomination.server";
import { AssignmentFormSchema } from "~/schemas/nomination";
import { readForm } from "~/utils/csrf.server";
import { db } from "~/utils/db.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Experts — Admin — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "edition:manage");
  const raw = new URL(request.url).searchParams.get("edition");
  const year = raw && /^\d{4}$/.test(raw) ? Number(raw) : null;
  const edition = year !== null ? await findEditionByYear(year) : await currentEdition(new Date());
  if (raw && !edition)
    throw new Response("There is no such edition.", { status: 404, statusText: "Not Found" });
  const [editions, categories] = await Promise.all([listEditions(), listCategories()]);
  if (!edition) return json({ edition: null, editions: [], categories, experts: [], uncovered: [] });
  const experts = await expertAssignments(db(), edition.id);
  const covered = new Set(experts.flatMap((e) => e.categoryIds));
  return json({
    edition: { id: edition.id, year: edition.year, name: edition.name },
    editions: editions.map((e) => ({ year: e.year, name: e.name })),
    categories,
    experts,
    uncovered: categories.filter((c) => !covered.has(c.id)).map((c) => c.code),
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "edition:manage");
  const form = await readForm(request);
  const parsed = AssignmentFormSchema.safeParse({
    editionId: form.get("editionId"),
    userId: form.get("userId"),
    categoryIds: form.getAll("category"),
  });
  if (!parsed.success) {
    return json(
      { userId: null, error: parsed.error.issues[0]?.message ?? "The form could not be read." },
      { status: 400 },
    );
  }
  const result = await setExpertCategories(db(), user.id, parsed.data, new Date());
  if (!result.ok) {
    if (result.status === 404) throw new Response(result.message, { status: 404, statusText: "Not Found" });
    return json({ userId: parsed.data.userId, error: result.message }, { status: result.status });
  }
  const edition = await db()
    .selectFrom("editions")
    .select("year")
    .where("id", "=", parsed.data.editionId)
    .executeTakeFirstOrThrow();
  const changed = result.added.length + result.removed.length;
  return redirect(
    `/admin/experts?edition=${edition.year}&saved=${parsed.data.userId}&changed=${changed}#expert-${parsed.data.userId}`,
  );
}

export default function AdminExperts() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const saved = actionData ? null : Number(params.get("saved"));
  const changed = Number(params.get("changed") ?? "0");
  if (!data.edition) {
    return (
      <div className="stack">
        <h1>Experts</h1>
        <AdminNav />
        <p>
          There is no edition yet. <Link to="/admin/editions">Create one</Link> first.
        </p>
      </div>
    );
  }
  const savedExpert = data.experts.find((e) => e.id === saved);
  return (
    <div className="stack">
      <h1>Experts — {data.edition.name}</h1>
      <AdminNav />
      <p>
        Assign experts to the categories whose submitted projects they review for the nomination. An expert
        never sees a project of an organisation they are a member of. Progress and publication:{" "}
        <Link to={`/admin/nomination?edition=${data.edition.year}`}>Nomination</Link>.
      </p>
      <Form method="get" className="filters" aria-label="Choose an edition">
        <div className="field">
          <label htmlFor="f-edition">Edition</label>
          <select id="f-edition" name="edition" defaultValue={data.edition.year}>
            {data.editions.map((e) => (
              <option key={e.year} value={e.year}>
                {e.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <button type="submit" className="secondary">
            Show
          </button>
        </div>
      </Form>
      {savedExpert ? (
        <Notice kind="success">
          {changed ? `Assignments of ${savedExpert.name} saved.` : `Nothing changed for ${savedExpert.name}.`}
        </Notice>
      ) : null}
      {actionData?.error ? <Notice kind="error">{actionData.error}</Notice> : null}
      {data.uncovered.length ? (
        <Notice kind="info">
          {data.uncovered.length === data.categories.length
            ? "No category has an expert yet."
            : `No expert reviews these categories yet: ${data.uncovered.join(", ")}.`}{" "}
          Organisers can still decide their projects themselves.
        </Notice>
      ) : null}
      {data.experts.length === 0 ? (
        <p>
          Nobody holds the expert role yet. Grant it on <Link to="/admin/users">Users and roles</Link>.
        </p>
      ) : (
        data.experts.map((e) => (
          <section key={e.id} id={`expert-${e.id}`} className="card" aria-labelledby={`expert-${e.id}-name`}>
            <h2 id={`expert-${e.id}-name`}>
              {e.name} <span className="muted">({e.email})</span>
            </h2>
            {!e.isExpert ? (
              <p className="error">
                No longer holds the expert role: remove these assignments, or grant the role again.
              </p>
            ) : null}
            {actionData?.error && actionData.userId === e.id ? (
              <Notice kind="error">{actionData.error}</Notice>
            ) : null}
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="editionId" value={data.edition?.id} />
              <input type="hidden" name="userId" value={e.id} />
              <fieldset>
                <legend>
                  Categories of {e.name} ({e.categoryIds.length} of {data.categories.length})
                </legend>
                <ul className="category-list">
                  {data.categories.map((c) => (
                    <li key={c.id}>
                      <label>
                        <input
                          type="checkbox"
                          name="category"
                          value={c.id}
                          defaultChecked={e.categoryIds.includes(c.id)}
                          disabled={!e.isExpert && !e.categoryIds.includes(c.id)}
                        />{" "}
                        <span className="code">{c.code}</span>
                        {c.name}
                      </label>
                    </li>
                  ))}
                </ul>
              </fieldset>
              <p>
                <button type="submit">Save the categories of {e.name}</button>
              </p>
            </Form>
          </section>
        ))
      )}
    </div>
  );
}
