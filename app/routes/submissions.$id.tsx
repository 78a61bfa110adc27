import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { CsrfInput, Notice } from "~/components/forms";
import { ProjectForm } from "~/components/project-form";
import { listCountries } from "~/domain/countries";
import { schemaOptions, updateProject, withdrawProject } from "~/domain/submissions.server";
import { categoriesFor, findOwnProject } from "~/domain/submitter.server";
import { submissionWindow } from "~/domain/windows";
import {
  projectErrorsFrom,
  projectFormValues,
  projectValuesOf,
  type ProjectErrors,
  type ProjectFormValues,
} from "~/schemas/project-options";
import { draftProjectSchema, submitProjectSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { parseId } from "~/utils/params.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.project.title || "Untitled draft"} — My submissions — WSIS Prizes` },
];

function notFound(): Response {
  return new Response("This project does not exist or you are not a member of its organisation.", {
    status: 404,
    statusText: "Not Found",
  });
}

/** The project behind the URL when the user is a member of its organisation; a 404 otherwise. */
async function ownProject(request: Request, rawId: string | undefined) {
  const { user } = await requirePermission(request, "project:manage:own");
  const id = parseId(rawId);
  const owned = id === null ? undefined : await findOwnProject(user.id, id);
  if (!owned || id === null) throw notFound();
  return { user, id, ...owned };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { project, edition, organisation, category, outcome } = await ownProject(request, params.id);
  const now = new Date();
  return json({
    project: {
      id: project.id,
      title: project.title,
      status: project.status,
      values: projectValuesOf(project),
    },
    organisation: { id: organisation.id, name: organisation.name },
    category,
    outcome,
    edition: { name: edition.name },
    window: submissionWindow(edition, now),
    categories: await categoriesFor(organisation.id, edition.id),
    countries: listCountries(),
    minLongAnswerWords: edition.min_long_answer_words,
    currentYear: now.getUTCFullYear(),
  });
}

type ActionData = {
  errors: ProjectErrors;
  values: ProjectFormValues | null;
  existing: { id: number; title: string } | null;
};

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, id, project, edition } = await ownProject(request, params.id);
  const form = await readForm(request);
  const now = new Date();
  const intent = form.get("intent");
  const window = submissionWindow(edition, now);
  if (!window.open) {
    return json<ActionData>(
      { errors: { form: window.message }, values: null, existing: null },
      { status: 409 },
    );
  }
  if (intent === "withdraw") {
    const result = await withdrawProject({ userId: user.id, projectId: id, now });
    if (!result.ok) {
      if (result.status === 404) throw notFound();
      return json<ActionData>(
        { errors: result.errors, values: null, existing: null },
        { status: result.status },
      );
    }
    return redirect(`/submissions/${id}?withdrawn=1`);
  }
  if (intent !== "save" && intent !== "submit") {
    return json<ActionData>(
      { errors: { form: "Unknown action." }, values: null, existing: null },
      { status: 400 },
    );
  }
  const values = projectFormValues(form);
  // Saving a submitted project re-validates it as a submission: it must stay complete.
  const schema =
    intent === "submit" || project.status === "submitted" ? submitProjectSchema : draftProjectSchema;
  const parsed = schema(schemaOptions(edition, now)).safeParse(values);
  if (!parsed.success) {
    return json<ActionData>(
      { errors: projectErrorsFrom(parsed.error.issues), values, existing: null },
      { status: 400 },
    );
  }
  const result = await updateProject({ userId: user.id, projectId: id, input: parsed.data, intent, now });
  if (!result.ok) {
    if (result.status === 404) throw notFound();
    return json<ActionData>(
      { errors: result.errors, values, existing: result.existing ?? null },
      { status: result.status },
    );
  }
  const done = intent === "submit" && project.status !== "submitted" ? "submitted" : "saved";
  return redirect(`/submissions/${id}?${done}=1`);
}

const STATUS_TEXT = {
  draft: "Draft (not submitted)",
  submitted: "Submitted",
  withdrawn: "Withdrawn",
} as const;

export default function EditProject() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [search] = useSearchParams();
  const { project, window } = data;
  const errors = actionData?.errors ?? {};
  const submitted = project.status === "submitted";
  return (
    <div className="stack">
      <p>
        <Link to="/submissions">Back to my submissions</Link>
      </p>
      <h1>{project.title || "Untitled draft"}</h1>
      <p>
        {data.organisation.name} · {data.edition.name} · <span className="code">{data.category.code}</span>
        {data.category.name}
      </p>
      <p>
        <strong>Status: {STATUS_TEXT[project.status]}</strong>
        {data.outcome === "nominated"
          ? " — nominated"
          : data.outcome === "not_nominated"
            ? " — not nominated"
            : ""}
      </p>
      {search.get("submitted") && submitted ? (
        <Notice kind="success">
          Your project is submitted. A confirmation email is on its way. You can still edit or withdraw it
          until the deadline.
        </Notice>
      ) : null}
      {search.get("saved") && !actionData ? (
        <Notice kind="success">{submitted ? "Your changes are saved." : "Your draft is saved."}</Notice>
      ) : null}
      {search.get("withdrawn") && project.status === "withdrawn" ? (
        <Notice kind="success">
          Your project is withdrawn: it will not be reviewed. You can edit it and submit it again until the
          deadline.
        </Notice>
      ) : null}
      <Notice kind={window.open ? "info" : "error"}>{window.message}</Notice>
      {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
      <ProjectForm
        key={project.id}
        action={`/submissions/${project.id}`}
        values={actionData?.values ?? project.values}
        errors={errors}
        categories={data.categories}
        countries={data.countries}
        minLongAnswerWords={data.minLongAnswerWords}
        currentYear={data.currentYear}
        projectId={project.id}
        submitted={submitted}
        locked={!window.open}
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
      {submitted && window.open ? (
        <section aria-labelledby="withdraw-title" className="stack">
          <h2 id="withdraw-title">Withdraw this project</h2>
          <p>
            A withdrawn project is not reviewed. You can edit it and submit it again until the deadline,{" "}
            {window.closes}.
          </p>
          <Form method="post" action={`/submissions/${project.id}`}>
            <CsrfInput />
            <button type="submit" name="intent" value="withdraw" className="danger">
              Withdraw this project
            </button>
          </Form>
        </section>
      ) : null}
    </div>
  );
}
