import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { AdminNav, EditionPicker } from "~/components/admin";
import { AssignmentsSaved, ExpertAssignments } from "~/components/expert-assignments";
import { Notice } from "~/components/forms";
import { findEdition, listCategories, listEditions } from "~/domain/editions.server";
import { expertAssignments, setExpertCategories } from "~/domain/experts.server";
import { parseForm } from "~/http/form.server";
import { respond } from "~/http/respond.server";
import { AssignmentFormSchema } from "~/schemas/index.server";
import { db } from "~/utils/db.server";
import { editionParam } from "~/utils/params.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Experts — Admin — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "expert:manage");
  const edition = await editionParam(request, new Date());
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
  const { user } = await requirePermission(request, "expert:manage");
  const parsed = await parseForm(request, AssignmentFormSchema, (form) => ({
    editionId: form.get("editionId"),
    userId: form.get("userId"),
    categoryIds: form.getAll("category"),
  }));
  if (!parsed.ok) {
    return json(
      { userId: null, error: Object.values(parsed.errors)[0] ?? "The form could not be read." },
      { status: 400 },
    );
  }
  const result = await setExpertCategories(db(), user.id, parsed.data, new Date());
  if (!result.ok) return respond(result.refusal, (a) => ({ userId: parsed.data.userId, error: a.message }));
  const edition = await findEdition(parsed.data.editionId);
  const changed = result.added.length + result.removed.length;
  return redirect(
    `/admin/experts?edition=${edition?.year}&saved=${parsed.data.userId}&changed=${changed}#expert-${parsed.data.userId}`,
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
  return (
    <div className="stack">
      <h1>Experts — {data.edition.name}</h1>
      <AdminNav />
      <p>
        Assign experts to the categories whose submitted projects they review for the nomination. An expert
        never sees a project of an organisation they are a member of. Progress and publication:{" "}
        <Link to={`/admin/nomination?edition=${data.edition.year}`}>Nomination</Link>.
      </p>
      <EditionPicker editions={data.editions} year={data.edition.year} />
      <AssignmentsSaved expert={data.experts.find((e) => e.id === saved)} changed={changed} />
      {actionData?.error ? <Notice kind="error">{actionData.error}</Notice> : null}
      {data.uncovered.length ? (
        <Notice kind="info">
          {data.uncovered.length === data.categories.length
            ? "No category has an expert yet."
            : `No expert reviews these categories yet: ${data.uncovered.join(", ")}.`}{" "}
          Organisers can still decide their projects themselves.
        </Notice>
      ) : null}
      <ExpertAssignments
        stage="nomination"
        experts={data.experts}
        categories={data.categories}
        editionId={data.edition.id}
        refusal={actionData}
        headingLevel={2}
      />
    </div>
  );
}
