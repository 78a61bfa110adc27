import { Form, Link } from "@remix-run/react";
import type { ExpertStage } from "../../db/schema";
import { CsrfInput, Notice } from "~/components/forms";

/** An expert and the categories assigned to them for one stage. */
export interface AssignedExpert {
  id: number;
  name: string;
  email: string;
  /** False when the expert role was withdrawn while assignments remain. */
  isExpert: boolean;
  categoryIds: number[];
}

/** The notice after an expert's assignments were saved (`changed`: how many categories were added or removed). */
export function AssignmentsSaved({
  expert,
  changed,
}: {
  expert: { name: string } | undefined;
  changed: number;
}) {
  if (!expert) return null;
  return (
    <Notice kind="success">
      {changed ? `Assignments of ${expert.name} saved.` : `Nothing changed for ${expert.name}.`}
    </Notice>
  );
}

/**
 * One card per expert with a form of category checkboxes, for the nomination (Experts page) or the selection
 * (Selection page). An expert who lost the role can only be relieved of categories, not given new ones.
 */
export function ExpertAssignments({
  stage,
  experts,
  categories,
  editionId,
  action,
  refusal,
  headingLevel,
}: {
  stage: ExpertStage;
  experts: readonly AssignedExpert[];
  categories: ReadonlyArray<{ id: number; code: string; name: string }>;
  editionId: number;
  /** The URL the forms post to; the current page when absent. */
  action?: string;
  /** The refusal of the last post (the action's data), shown on the card of the expert it concerns. */
  refusal: { userId: number | null; error: string } | undefined;
  headingLevel: 2 | 3;
}) {
  if (experts.length === 0) {
    return (
      <p>
        Nobody holds the expert role yet. Grant it on <Link to="/admin/users">Users and roles</Link>.
      </p>
    );
  }
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const legend = stage === "selection" ? "Selection categories of " : "Categories of ";
  const save = stage === "selection" ? "Save the selection categories of " : "Save the categories of ";
  return (
    <>
      {experts.map((e) => (
        <section key={e.id} id={`expert-${e.id}`} className="card" aria-labelledby={`expert-${e.id}-name`}>
          <Heading id={`expert-${e.id}-name`}>
            {e.name} <span className="muted">({e.email})</span>
          </Heading>
          {!e.isExpert ? (
            <p className="error">
              No longer holds the expert role: remove these assignments, or grant the role again.
            </p>
          ) : null}
          {refusal?.userId === e.id ? <Notice kind="error">{refusal.error}</Notice> : null}
          <Form method="post" action={action}>
            <CsrfInput />
            <input type="hidden" name="editionId" value={editionId} />
            <input type="hidden" name="userId" value={e.id} />
            <fieldset>
              <legend>
                {legend}
                {e.name} ({e.categoryIds.length} of {categories.length})
              </legend>
              <ul className="category-list">
                {categories.map((c) => (
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
              {/* The Selection page's action also confirms winners; the Experts page's ignores the intent. */}
              <button type="submit" name="intent" value="assign">
                {save}
                {e.name}
              </button>
            </p>
          </Form>
        </section>
      ))}
    </>
  );
}
