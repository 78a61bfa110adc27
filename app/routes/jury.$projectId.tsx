import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import {
  ExpertProjectHeader,
  ProjectFactRows,
  organisationFacts,
  projectFacts,
} from "~/components/expert-project";
import { CsrfInput, FieldFrame, Notice, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { editionYearOfProject } from "~/domain/editions.server";
import { formatInstant } from "~/domain/phases";
import { SDGS, parseNumberList } from "~/domain/sdgs";
import { canScore, projectForScoring } from "~/domain/jury.server";
import { declareConflict, saveScore } from "~/domain/scoring.server";
import {
  CRITERIA,
  CRITERION_LABELS,
  MAX_COMMENT,
  MAX_REASON,
  SCORE_MAX,
  SCORE_MIN,
  scoreFormValues,
} from "~/schemas/selection-options";
import { ConflictFormSchema, scoreFormSchema } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { db } from "~/utils/db.server";
import { idParam } from "~/utils/params.server";
import { respond } from "~/http/respond.server";
import { refusalMessage } from "~/messages/refusals";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Score: ${data.project.title} — WSIS Prizes` : "Score — WSIS Prizes" },
];

const NOT_FOUND = refusalMessage("score_project_not_found");

const SCORE_OPTIONS = Array.from({ length: SCORE_MAX - SCORE_MIN + 1 }, (_, i) => SCORE_MIN + i);

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user } = await requirePermission(request, "project:score:assigned");
  const projectId = idParam(params.projectId, NOT_FOUND);
  const now = new Date();
  const found = await projectForScoring(db(), user.id, projectId, now);
  if (!found) throw new Response(NOT_FOUND, { status: 404, statusText: "Not Found" });
  const { project, edition, category, organisation, champion, own } = found;
  const tz = edition.timezone;
  return json({
    project: {
      ...projectFacts(project),
      sdgs: parseNumberList(project.sdgs).map((n) => `${n}. ${SDGS.find((g) => g.number === n)?.name ?? ""}`),
    },
    organisation: organisationFacts(organisation),
    category,
    edition: { year: edition.year, name: edition.name },
    votes: { valid: champion.validVotes, rank: champion.rank, tied: champion.tied },
    own: own ? { ...own, updated: formatInstant(own.updatedAt, tz) } : null,
    submitted: found.submittedAt ? formatInstant(found.submittedAt, tz) : null,
    window: found.window,
    editable: found.editable,
    peers: found.peers,
    peersWaiting: found.peersWaiting,
  });
}

type ActionData = {
  form: "score" | "conflict";
  errors: FieldErrors;
  values: Record<string, string>;
  message: string | null;
};

export async function action({ request, params }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "project:score:assigned");
  const projectId = idParam(params.projectId, NOT_FOUND);
  const database = db();
  // Access first: a project the expert may not score answers 404 whatever the form holds.
  if (!(await canScore(database, user.id, projectId)))
    throw new Response(NOT_FOUND, { status: 404, statusText: "Not Found" });
  const form = await readForm(request);
  const intent = form.get("intent");
  const now = new Date();
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === "string" ? v : "";
  };

  if (intent === "conflict") {
    const values = { reason: text("reason") };
    const parsed = ConflictFormSchema.safeParse(values);
    if (!parsed.success) {
      return json<ActionData>(
        { form: "conflict", errors: fieldErrorsFrom(parsed.error.issues), values, message: null },
        { status: 400 },
      );
    }
    const result = await declareConflict(database, user.id, projectId, parsed.data.reason, now);
    if (!result.ok) {
      const errors = result.errors ?? {};
      return respond<ActionData>(result.refusal, (a) => ({
        form: "conflict",
        errors,
        values,
        message: a.message,
      }));
    }
    const year = await editionYearOfProject(projectId);
    return redirect(`/jury?edition=${year}&conflict=1#category-${encodeURIComponent(result.categoryCode)}`);
  }

  if (intent !== "draft" && intent !== "save") {
    return json<ActionData>(
      {
        form: "score",
        errors: {},
        values: {},
        message: "The form could not be read. Reload the page and try again.",
      },
      { status: 400 },
    );
  }
  const raw = scoreFormValues(form);
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) values[k] = typeof v === "string" ? v : "";
  const parsed = scoreFormSchema(intent).safeParse(raw);
  if (!parsed.success) {
    return json<ActionData>(
      {
        form: "score",
        errors: fieldErrorsFrom(parsed.error.issues),
        values,
        message:
          intent === "save"
            ? "Score every criterion from 1 to 10 and write a comment, or save a draft."
            : null,
      },
      { status: 400 },
    );
  }
  const result = await saveScore(database, user.id, projectId, { ...parsed.data, mode: intent }, now);
  if (!result.ok) {
    const errors = result.errors ?? {};
    return respond<ActionData>(result.refusal, (a) => ({
      form: "score",
      errors,
      values,
      message: a.message,
    }));
  }
  return redirect(`/jury/${projectId}?saved=${result.state}`);
}

export default function ScoreProject() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const saved = actionData ? null : params.get("saved");
  const scoreErrors: FieldErrors = actionData?.form === "score" ? actionData.errors : {};
  const conflictErrors: FieldErrors = actionData?.form === "conflict" ? actionData.errors : {};
  const values: Record<string, string> =
    actionData?.form === "score"
      ? actionData.values
      : Object.fromEntries([
          ...CRITERIA.map((c): [string, string] => [`score_${c}`, String(data.own?.scores[c] ?? "")]),
          ["comment", data.own?.comment ?? ""],
        ]);
  const { project, organisation, category } = data;
  const backTo = `/jury?edition=${data.edition.year}#category-${encodeURIComponent(category.code)}`;
  return (
    <div className="stack">
      <ExpertProjectHeader
        back={{ to: backTo, label: <>← Jury ({category.code})</> }}
        title={project.title}
        category={category}
        organisation={organisation.name}
        edition={data.edition.name}
      />
      {saved ? (
        <Notice kind="success">
          {saved === "complete"
            ? "Score saved: this project is scored."
            : "Draft saved. Complete every criterion and the comment before you submit the category."}{" "}
          <Link to={backTo}>Back to your categories</Link>
        </Notice>
      ) : null}
      {data.submitted ? (
        <Notice kind="info">
          You submitted your scores for {category.code} on {data.submitted}: they are final.
        </Notice>
      ) : !data.window.open ? (
        <Notice kind="error">{data.window.message}</Notice>
      ) : null}
      {actionData?.message ? <Notice kind="error">{actionData.message}</Notice> : null}

      <div className="review-layout">
        <article className="stack" aria-labelledby="project-title">
          <h2 id="project-title">The project</h2>
          <dl>
            <dt>Organisation</dt>
            <dd>
              {organisation.name} ({organisation.stakeholder}), {organisation.country}, {organisation.region}
            </dd>
            <ProjectFactRows project={project} />
            <dt>Sustainable Development Goals</dt>
            <dd>{project.sdgs.length ? project.sdgs.join("; ") : "—"}</dd>
            <dt>Public vote</dt>
            <dd>
              {data.votes.valid} valid votes, rank {data.votes.rank}
              {data.votes.tied ? " (tied at the cut-off for champions)" : ""}
            </dd>
          </dl>
          <section aria-labelledby="short-title">
            <h3 id="short-title">Short description</h3>
            <p>{project.shortDescription}</p>
          </section>
          {project.longAnswers.map((a) => (
            <section key={a.field} aria-labelledby={`answer-${a.field}`}>
              <h3 id={`answer-${a.field}`}>{a.label}</h3>
              {a.text.trim() ? <p>{a.text}</p> : <p className="muted">(no answer)</p>}
            </section>
          ))}
        </article>

        <aside className="stack" aria-labelledby="score-title">
          <h2 id="score-title">Your score</h2>
          {data.own ? (
            <p className="muted">
              {data.own.state === "complete" ? "Scored" : "Draft"}, last saved {data.own.updated}.
            </p>
          ) : (
            <p className="muted">Not scored yet.</p>
          )}
          {data.editable ? (
            <Form method="post" className="stack">
              <CsrfInput />
              {CRITERIA.map((c) => {
                const name = `score_${c}`;
                return (
                  <FieldFrame key={c} name={name} label={CRITERION_LABELS[c]} error={scoreErrors[name]}>
                    {(control) => (
                      <select {...control} defaultValue={values[name] ?? ""}>
                        <option value="">Not scored yet</option>
                        {SCORE_OPTIONS.map((n) => (
                          <option key={n} value={n}>
                            {n}
                            {n === SCORE_MIN ? " (lowest)" : n === SCORE_MAX ? " (highest)" : ""}
                          </option>
                        ))}
                      </select>
                    )}
                  </FieldFrame>
                );
              })}
              <FieldFrame
                name="comment"
                label="Comment"
                error={scoreErrors.comment}
                hint={`Why these scores? The other experts read it after they submit, and so do the organisers. Up to ${MAX_COMMENT} characters.`}
              >
                {(control) => (
                  <textarea {...control} maxLength={MAX_COMMENT} defaultValue={values.comment ?? ""} />
                )}
              </FieldFrame>
              <p className="actions">
                <button type="submit" name="intent" value="save">
                  Save score
                </button>
                <button type="submit" name="intent" value="draft" className="secondary">
                  Save draft
                </button>
              </p>
              <p className="hint">
                “Save score” needs all nine criteria and a comment; “Save draft” keeps an incomplete score.
              </p>
            </Form>
          ) : data.own ? (
            <div className="table-scroll">
              <table aria-labelledby="score-title">
                <tbody>
                  {CRITERIA.map((c) => (
                    <tr key={c}>
                      <th scope="row">{CRITERION_LABELS[c]}</th>
                      <td>{data.own?.scores[c] ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p>{data.own.comment || <span className="muted">(no comment)</span>}</p>
            </div>
          ) : null}

          {data.editable ? (
            <section aria-labelledby="conflict-title" className="stack">
              <h2 id="conflict-title">Conflict of interest</h2>
              <p className="hint">
                If you are connected to this project or its organisation, declare it: the project leaves your
                list for good and any score you gave it is deleted.
              </p>
              <Form method="post">
                <CsrfInput />
                <FieldFrame name="reason" label="Reason for the conflict" error={conflictErrors.reason}>
                  {(control) => (
                    <textarea
                      {...control}
                      maxLength={MAX_REASON}
                      defaultValue={actionData?.form === "conflict" ? actionData.values.reason : ""}
                    />
                  )}
                </FieldFrame>
                <button type="submit" name="intent" value="conflict" className="secondary">
                  Declare a conflict of interest
                </button>
              </Form>
            </section>
          ) : null}

          <section aria-labelledby="peers-title" className="stack">
            <h2 id="peers-title">Other experts</h2>
            {data.peers === null ? (
              <p className="muted">
                The other experts’ scores are shown once you have submitted your scores for {category.code}.
              </p>
            ) : (
              <>
                {data.peers.length === 0 ? <p className="muted">No other expert has submitted yet.</p> : null}
                {data.peers.map((peer, i) => (
                  <div key={i} className="card">
                    <h3>
                      {peer.name}: {peer.total} / {CRITERIA.length * SCORE_MAX}
                    </h3>
                    <ul>
                      {CRITERIA.map((c) => (
                        <li key={c}>
                          {CRITERION_LABELS[c]}: {peer.scores[c]}
                        </li>
                      ))}
                    </ul>
                    <p>{peer.comment}</p>
                  </div>
                ))}
                {data.peersWaiting > 0 ? (
                  <p className="muted">
                    {data.peersWaiting} {data.peersWaiting === 1 ? "expert has" : "experts have"} not
                    submitted yet.
                  </p>
                ) : null}
              </>
            )}
          </section>
        </aside>
      </div>
    </div>
  );
}
