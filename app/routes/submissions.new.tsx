import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { Notice } from "~/components/forms";
import { ProjectForm } from "~/components/project-form";
import { listCountries } from "~/domain/countries";
import { listOrganisationsOf } from "~/domain/organisations.server";
import { createProject, schemaOptions } from "~/domain/submissions.server";
import { newProjectContext } from "~/domain/submitter.server";
import {
  emptyProjectValues,
  projectErrorsFrom,
  projectFormValues,
  type ProjectErrors,
  type ProjectFormValues,
} from "~/schemas/project-options";
import { draftProjectSchema, submitProjectSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { parseId } from "~/utils/params.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "New project — WSIS Prizes" }];

function notFound(): Response {
  return new Response("This organisation does not exist or you are not one of its members.", {
    status: 404,
    statusText: "Not Found",
  });
}

export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requirePermission(request, "project:manage:own");
  const raw = new URL(request.url).searchParams.get("organisation");
  const now = new Date();
  if (raw === null) {
    // No organisation chosen: go straight to the only one, or let the user pick.
    const organisations = await listOrganisationsOf(user.id);
    if (organisations.length === 1) return redirect(`/submissions/new?organisation=${organisations[0].id}`);
    return json({ choose: organisations.map((o) => ({ id: o.id, name: o.name })), form: null });
  }
  const organisationId = parseId(raw);
  const context = organisationId === null ? undefined : await newProjectContext(user.id, organisationId, now);
  if (!context) throw notFound();
  const { organisation, edition, window, categories } = context;
  return json({
    choose: null,
    form: {
      organisation,
      edition: edition ? { name: edition.name } : null,
      window,
      categories,
      countries: listCountries(),
      minLongAnswerWords: edition?.min_long_answer_words ?? 50,
      currentYear: now.getUTCFullYear(),
    },
  });
}

type ActionData = {
  errors: ProjectErrors;
  values: ProjectFormValues;
  existing: { id: number; title: string } | null;
};

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "project:manage:own");
  const organisationId = parseId(new URL(request.url).searchParams.get("organisation") ?? undefined);
  const now = new Date();
  const context = organisationId === null ? undefined : await newProjectContext(user.id, organisationId, now);
  if (!context || organisationId === null) throw notFound();
  const form = await readForm(request);
  const values = projectFormValues(form);
  const intent = form.get("intent") === "submit" ? "submit" : "save";
  const { edition, window } = context;
  if (!edition || !window?.open) {
    const message = window?.message ?? "There is no edition open for submissions.";
    return json<ActionData>({ errors: { form: message }, values, existing: null }, { status: 409 });
  }
  const schema = intent === "submit" ? submitProjectSchema : draftProjectSchema;
  const parsed = schema(schemaOptions(edition, now)).safeParse(values);
  if (!parsed.success) {
    return json<ActionData>(
      { errors: projectErrorsFrom(parsed.error.issues), values, existing: null },
      { status: 400 },
    );
  }
  const result = await createProject({ userId: user.id, organisationId, input: parsed.data, intent, now });
  if (!result.ok) {
    if (result.status === 404) throw notFound();
    return json<ActionData>(
      { errors: result.errors, values, existing: result.existing ?? null },
      { status: result.status },
    );
  }
  return redirect(
    `/submissions/${result.projectId}?${result.status === "submitted" ? "submitted" : "saved"}=1`,
  );
}

export default function NewProject() {
  const { choose, form } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  if (choose) {
    return (
      <div className="stack">
        <h1>New project</h1>
        {choose.length === 0 ? (
          <p>
            Projects are submitted by organisations.{" "}
            <Link to="/organisations/new">Create an organisation</Link> first, or ask a colleague to invite
            you to theirs.
          </p>
        ) : (
          <>
            <p>Which organisation submits this project?</p>
            <ul>
              {choose.map((o) => (
                <li key={o.id}>
                  <Link to={`/submissions/new?organisation=${o.id}`}>{o.name}</Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    );
  }
  if (!form) return null;
  const { organisation, edition, window } = form;
  const errors = actionData?.errors ?? {};
  return (
    <div className="stack">
      <h1>New project for {organisation.name}</h1>
      <p>
        <Link to="/submissions">Back to my submissions</Link>
      </p>
      {!edition || !window ? (
        <Notice kind="info">No edition of the WSIS Prizes has been scheduled yet.</Notice>
      ) : !window.open ? (
        <Notice kind="error">{window.message}</Notice>
      ) : (
        <>
          <Notice kind="info">
            {edition.name}. {window.message} You can save a draft at any time and submit when every answer is
            ready.
          </Notice>
          {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
          <ProjectForm
            action={`/submissions/new?organisation=${organisation.id}`}
            values={actionData?.values ?? { ...emptyProjectValues(), country: organisation.country }}
            errors={errors}
            categories={form.categories}
            countries={form.countries}
            minLongAnswerWords={form.minLongAnswerWords}
            currentYear={form.currentYear}
            projectId={null}
            submitted={false}
            locked={false}
            notice={
              actionData?.existing ? (
                <p>
                  <Link to={`/submissions/${actionData.existing.id}`}>
                    Open “{actionData.existing.title || "untitled draft"}”
                  </Link>
                </p>
              ) : null
            }
          />
        </>
      )}
    </div>
  );
}
