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
import { WebsiteLink } from "~/components/website-link";
import { decide, projectForReview, type DecisionSnapshot } from "~/domain/decisions.server";
import { nextUndecided, reviewAccess } from "~/domain/review.server";
import { formatInstant } from "~/domain/phases";
import { GDC_OBJECTIVES, SDGS, parseNumberList } from "~/domain/sdgs";
import { countWords } from "~/domain/text";
import {
  MAX_REASON_TEXT,
  REJECT_REASONS,
  REJECT_REASON_LABELS,
  REVIEW_CRITERIA,
  REVIEW_RULES,
} from "~/schemas/nomination-options";
import { DecisionFormSchema } from "~/schemas/index.server";
import { SHORT_DESCRIPTION_WORDS } from "~/schemas/project-options";
import { answer, respond } from "~/http/respond.server";
import { refusalMessage } from "~/messages/refusals";
import { readForm } from "~/utils/csrf.server";
import { db } from "~/utils/db.server";
import { idParam } from "~/utils/params.server";
import { requireReviewer } from "~/utils/reviewer.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Review: ${data.project.title} — WSIS Prizes` : "Review — WSIS Prizes" },
];

const NOT_FOUND = refusalMessage("review_project_not_found");

function describe(s: DecisionSnapshot | null): string {
  if (!s) return "no decision";
  if (s.decision === "nominate") return "Nominate";
  const reason = s.reason ? REJECT_REASON_LABELS[s.reason] : "no reason";
  return `Reject (${s.reason === "other" && s.reason_text ? `Other: ${s.reason_text}` : reason})`;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const reviewer = await requireReviewer(request);
  const projectId = idParam(params.projectId, NOT_FOUND);
  const now = new Date();
  const database = db();
  const found = await projectForReview(database, reviewer, projectId, now);
  if (!found.ok) throw respond(found.refusal, () => null);
  const { project, edition, category, organisation, decision, flags, history, window, conflict } = found;
  const tz = edition.timezone;
  const next = await nextUndecided(database, reviewer, edition.id, {
    id: project.id,
    categoryId: project.category_id,
  });
  const min = edition.min_long_answer_words;
  const facts = projectFacts(project);
  return json({
    project: {
      ...facts,
      shortWords: countWords(project.short_description),
      sdgs: parseNumberList(project.sdgs).map((n) => ({
        n,
        name: SDGS.find((g) => g.number === n)?.name ?? "",
      })),
      gdc: parseNumberList(project.gdc_objectives).map((n) => ({
        n,
        name: GDC_OBJECTIVES.find((g) => g.number === n)?.name ?? "",
      })),
      longAnswers: facts.longAnswers.map((a) => ({ ...a, words: countWords(a.text) })),
      submittedAt: project.submitted_at ? formatInstant(project.submitted_at, tz) : null,
    },
    minWords: min,
    shortRange: SHORT_DESCRIPTION_WORDS,
    edition: { year: edition.year, name: edition.name },
    category,
    organisation: {
      ...organisationFacts(organisation),
      website: organisation.website,
      contact: organisation.contact_name,
    },
    decision: decision
      ? {
          decision: decision.decision,
          reason: decision.reason,
          reasonText: decision.reason_text,
          summary: describe({
            decision: decision.decision,
            reason: decision.reason,
            reason_text: decision.reason_text,
            decided_by: null,
            decided_at: decision.decided_at,
          }),
          by: decision.decided_by_name,
          at: formatInstant(decision.decided_at, tz),
        }
      : null,
    flags,
    history: history.map((h) => ({
      at: formatInstant(h.at, tz),
      by: h.by,
      before: describe(h.before),
      after: describe(h.after),
    })),
    window,
    conflict,
    next,
  });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const reviewer = await requireReviewer(request);
  const projectId = idParam(params.projectId, NOT_FOUND);
  const database = db();
  // Access before anything else: a project outside the queue answers 404 whatever the form holds.
  const access = await reviewAccess(database, reviewer, projectId);
  if (access === "none") throw new Response(NOT_FOUND, { status: 404, statusText: "Not Found" });
  if (access === "conflict") {
    throw new Response("You are a member of this project’s organisation, so you cannot decide it.", {
      status: 403,
      statusText: "Forbidden",
    });
  }
  const form = await readForm(request);
  const values = {
    decision: String(form.get("decision") ?? ""),
    reason: String(form.get("reason") ?? ""),
    reason_text: String(form.get("reason_text") ?? "").slice(0, MAX_REASON_TEXT * 2),
  };
  const parsed = DecisionFormSchema.safeParse(values);
  if (!parsed.success) {
    return json({ errors: fieldErrorsFrom(parsed.error.issues), values }, { status: 400 });
  }
  const result = await decide(database, reviewer, projectId, parsed.data, new Date());
  if (!result.ok) {
    const a = answer(result.refusal);
    if (a.status === 404 || a.status === 403) throw new Response(a.message, { status: a.status });
    const errors: FieldErrors = a.field ? { [a.field]: a.message } : { form: a.message };
    return json({ errors, values }, { status: a.status });
  }
  return redirect(`/review/${projectId}?saved=${result.changed ? "1" : "0"}`);
}

function Paragraphs({ text }: { text: string }) {
  const parts = text.split(/\n\s*\n/).filter((p) => p.trim());
  if (!parts.length) return <p className="muted">(no answer)</p>;
  return (
    <>
      {parts.map((p, i) => (
        <p key={i}>{p}</p>
      ))}
    </>
  );
}

function WordCheck({ words, min, max }: { words: number; min: number; max?: number }) {
  const ok = words >= min && (max === undefined || words <= max);
  const range = max === undefined ? `at least ${min}` : `${min}–${max}`;
  return (
    <p className={ok ? "muted" : "error"}>
      {words} words ({range} required){ok ? "" : " — does not meet the rule"}
    </p>
  );
}

export default function ReviewProject() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const errors: FieldErrors = actionData?.errors ?? {};
  const values = actionData?.values ?? {
    decision: data.decision?.decision ?? "",
    reason: data.decision?.reason ?? "",
    reason_text: data.decision?.reasonText ?? "",
  };
  const saved = !actionData ? params.get("saved") : null;
  const { project, organisation, category } = data;
  const canDecide = data.window.open && !data.conflict;
  return (
    <div className="stack">
      <ExpertProjectHeader
        back={{
          to: `/review?category=${encodeURIComponent(category.code)}`,
          label: <>← Review queue ({category.code})</>,
        }}
        title={project.title}
        category={category}
        organisation={organisation.name}
        edition={data.edition.name}
      />
      {saved ? (
        <Notice kind="success">
          {saved === "1" ? "Decision saved." : "The decision was already recorded; nothing changed."}{" "}
          {data.next ? (
            <Link to={`/review/${data.next}`}>Next project to review →</Link>
          ) : (
            "No project left to review."
          )}
        </Notice>
      ) : null}
      {data.conflict ? (
        <Notice kind="info">
          You are a member of this project’s organisation, so you cannot decide it: another organiser or an
          assigned expert must.
        </Notice>
      ) : null}
      {!data.window.open ? <Notice kind="info">{data.window.message}</Notice> : null}

      <div className="review-layout">
        <article className="review-project stack" aria-labelledby="project-title">
          <h2 id="project-title">The project</h2>
          {data.flags.length ? (
            <section aria-labelledby="flags-title" className="notice notice-error">
              <h3 id="flags-title">Flags for reviewers</h3>
              <ul>
                {data.flags.map((f, i) => (
                  <li key={i}>
                    <strong>
                      {f.kind === "near_duplicate" ? "Possible duplicate" : "Possible previous winner"}
                    </strong>{" "}
                    ({Math.round(f.score * 100)}% similar)
                    {f.match ? (
                      <>
                        {": "}
                        {f.match.href ? (
                          <Link to={f.match.href}>{f.match.title}</Link>
                        ) : (
                          <em>{f.match.title}</em>
                        )}
                        {" — "}
                        {f.match.organisation}, {f.match.categoryCode}, {f.match.year}
                        {f.match.award ? `, ${f.match.award} of its edition` : ""}
                        {f.match.status !== "submitted" ? ` (${f.match.status})` : ""}
                        <details>
                          <summary>Short description of the matched project</summary>
                          <Paragraphs text={f.match.shortDescription} />
                        </details>
                      </>
                    ) : (
                      ": the matched project no longer exists."
                    )}
                  </li>
                ))}
              </ul>
            </section>
          ) : (
            <p className="muted">No duplicate or previous-winner flag.</p>
          )}

          <dl>
            <dt>Organisation</dt>
            <dd>
              {organisation.name} ({organisation.stakeholder}), {organisation.country}, {organisation.region}
              {organisation.website ? (
                <>
                  {" · "}
                  <WebsiteLink url={organisation.website} />
                </>
              ) : null}
              <br />
              Contact person: {organisation.contact}
            </dd>
            <dt>Category (Action Line)</dt>
            <dd>
              {category.code} — {category.name}
            </dd>
            <ProjectFactRows project={project} />
            <dt>Sustainable Development Goals</dt>
            <dd>{project.sdgs.length ? project.sdgs.map((g) => `${g.n}. ${g.name}`).join("; ") : "—"}</dd>
            <dt>Global Digital Compact objectives</dt>
            <dd>{project.gdc.length ? project.gdc.map((g) => `${g.n}. ${g.name}`).join("; ") : "—"}</dd>
            <dt>Submitted</dt>
            <dd>{project.submittedAt ?? "—"}</dd>
          </dl>

          <section aria-labelledby="short-title">
            <h3 id="short-title">Short description</h3>
            <WordCheck words={project.shortWords} min={data.shortRange.min} max={data.shortRange.max} />
            <Paragraphs text={project.shortDescription} />
          </section>
          {project.longAnswers.map((a) => (
            <section key={a.field} aria-labelledby={`la-${a.field}`}>
              <h3 id={`la-${a.field}`}>{a.label}</h3>
              <WordCheck words={a.words} min={data.minWords} />
              <Paragraphs text={a.text} />
            </section>
          ))}
        </article>

        <aside className="review-aside stack" aria-label="Decision, rules and criteria">
          <section aria-labelledby="decision-title">
            <h2 id="decision-title">Decision</h2>
            <p>
              {data.decision ? (
                <>
                  Current decision: <strong>{data.decision.summary}</strong>
                  <br />
                  <span className="muted">
                    by {data.decision.by ?? "a former user"}, {data.decision.at}
                  </span>
                </>
              ) : (
                "Not decided yet."
              )}
            </p>
            {canDecide ? (
              <Form method="post" noValidate>
                <CsrfInput />
                {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
                {/* No "field" class here: its full-width input style would stretch the radio buttons. */}
                <fieldset aria-describedby={errors.decision ? "decision-error" : undefined}>
                  <legend>Your decision</legend>
                  {errors.decision ? (
                    <p id="decision-error" className="error" role="alert">
                      {errors.decision}
                    </p>
                  ) : null}
                  <p>
                    <label>
                      <input
                        type="radio"
                        name="decision"
                        value="nominate"
                        defaultChecked={values.decision === "nominate"}
                      />{" "}
                      Nominate
                    </label>
                  </p>
                  <p>
                    <label>
                      <input
                        type="radio"
                        name="decision"
                        value="reject"
                        defaultChecked={values.decision === "reject"}
                      />{" "}
                      Reject
                    </label>
                  </p>
                </fieldset>
                <FieldFrame
                  name="reason"
                  label="Reason for rejecting"
                  error={errors.reason}
                  hint="Required when you reject. The submitter sees it in the result email."
                >
                  {(control) => (
                    <select {...control} defaultValue={values.reason}>
                      <option value="">Choose a reason</option>
                      {REJECT_REASONS.map((r) => (
                        <option key={r} value={r}>
                          {REJECT_REASON_LABELS[r]}
                        </option>
                      ))}
                    </select>
                  )}
                </FieldFrame>
                <FieldFrame
                  name="reason_text"
                  label="Explanation (for “Other”)"
                  error={errors.reason_text}
                  hint={`Required when the reason is “Other”; up to ${MAX_REASON_TEXT} characters.`}
                >
                  {(control) => (
                    <textarea {...control} maxLength={MAX_REASON_TEXT} defaultValue={values.reason_text} />
                  )}
                </FieldFrame>
                <button type="submit">{data.decision ? "Change decision" : "Save decision"}</button>
              </Form>
            ) : null}
          </section>

          <section aria-labelledby="rules-title">
            <h2 id="rules-title">Rules</h2>
            <p className="hint">
              A project that breaks one of these rules is rejected with the matching reason.
            </p>
            <ul>
              {REVIEW_RULES.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="criteria-title">
            <h2 id="criteria-title">Criteria</h2>
            <ol>
              {REVIEW_CRITERIA.map((c) => (
                <li key={c}>{c}</li>
              ))}
            </ol>
          </section>
          {data.history.length ? (
            <section aria-labelledby="history-title">
              <h2 id="history-title">History</h2>
              <ul>
                {data.history.map((h, i) => (
                  <li key={i}>
                    {h.at} — {h.by ?? "a former user"}: {h.before} → {h.after}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </aside>
      </div>
    </div>
  );
}
