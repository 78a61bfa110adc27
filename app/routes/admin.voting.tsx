import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { AdminNav } from "~/components/admin";
import { CsrfInput, Notice, fieldErrorsFrom, type FieldErrors } from "~/components/forms";
import { currentEdition, findEditionByYear, listCategories, listEditions } from "~/domain/editions.server";
import { FRAUD_LABELS, type FraudKind } from "~/domain/fraud-flags";
import { dismissFlag, invalidateFlag, invalidateVoter, invalidateVotes } from "~/domain/invalidation.server";
import { formatInstant, hasPhaseStarted, isPhaseOpen } from "~/domain/phases";
import { latestTallyRun } from "~/domain/tally-runs.server";
import { liveLeaderboard, requestTallyRerun } from "~/domain/tally.server";
import { findUserByEmail } from "~/domain/users.server";
import { VotingAdminAction } from "~/schemas/index.server";
import { readForm } from "~/utils/csrf.server";
import { db } from "~/utils/db.server";
import { requirePermission } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Voting — Admin — WSIS Prizes" }];

async function editionFrom(request: Request) {
  const year = Number(new URL(request.url).searchParams.get("edition"));
  const edition =
    Number.isInteger(year) && year > 0 ? await findEditionByYear(year) : await currentEdition(new Date());
  if (!edition) throw new Response("There is no such edition.", { status: 404 });
  return edition;
}

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "vote:manage-validity");
  const url = new URL(request.url);
  const now = new Date();
  const edition = await editionFrom(request);
  const categories = await listCategories();
  const code = url.searchParams.get("category") ?? categories[0]?.code;
  const category = categories.find((c) => c.code === code);
  if (!category) throw new Response("There is no such category.", { status: 404 });
  const database = db();
  const [leaderboard, runs, state, flags, editions] = await Promise.all([
    liveLeaderboard(database, edition.id, category.id),
    database
      .selectFrom("tally_runs")
      .selectAll()
      .where("edition_id", "=", edition.id)
      .orderBy("id", "desc")
      .limit(20)
      .execute(),
    database.selectFrom("tally_state").selectAll().where("edition_id", "=", edition.id).executeTakeFirst(),
    database
      .selectFrom("fraud_flags as f")
      .leftJoin("projects as p", "p.id", "f.project_id")
      .select([
        "f.id",
        "f.kind",
        "f.subject",
        "f.vote_count",
        "f.evidence_json",
        "f.status",
        "f.updated_at",
        "p.title",
        "p.id as project_id",
      ])
      .where("f.edition_id", "=", edition.id)
      .orderBy("f.status", "desc")
      .orderBy("f.vote_count", "desc")
      .limit(50)
      .execute(),
    listEditions(),
  ]);
  const latest = await latestTallyRun(database, edition.id);
  const official = latest
    ? await database
        .selectFrom("tally_results as r")
        .innerJoin("projects as p", "p.id", "r.project_id")
        .select([
          "r.project_id",
          "p.title",
          "r.valid_votes",
          "r.cast_votes",
          "r.rank",
          "r.champion",
          "r.tied_at_cutoff",
        ])
        .where("r.run_id", "=", latest.id)
        .where("r.category_id", "=", category.id)
        .orderBy("r.rank")
        .limit(30)
        .execute()
    : [];
  const tz = edition.timezone;
  return json({
    edition: { year: edition.year, name: edition.name },
    editions: editions.map((e) => e.year),
    categories,
    category,
    leaderboard,
    liveUpdated: state ? formatInstant(state.updated_at, tz) : null,
    votingOpen: isPhaseOpen(edition, "voting", now),
    canRerun:
      hasPhaseStarted(edition, "voting", now) &&
      !isPhaseOpen(edition, "voting", now) &&
      !hasPhaseStarted(edition, "selection", now),
    canInvalidate: !hasPhaseStarted(edition, "selection", now),
    runs: runs.map((r) => ({ ...r, started: formatInstant(r.started_at, tz) })),
    official: official.map((r) => ({ ...r, champion: r.champion === 1, tied: r.tied_at_cutoff === 1 })),
    flags: flags.map((f) => ({
      ...f,
      label: FRAUD_LABELS[f.kind as FraudKind] ?? f.kind,
      evidence: JSON.parse(f.evidence_json) as Record<string, unknown>,
      updated: formatInstant(f.updated_at, tz),
    })),
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requirePermission(request, "vote:manage-validity");
  const form = await readForm(request);
  const parsed = VotingAdminAction.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return json(
      { ok: false as const, errors: fieldErrorsFrom(parsed.error.issues), message: null },
      { status: 400 },
    );
  }
  const edition = await editionFrom(request);
  const now = new Date();
  const database = db();
  const input = parsed.data;
  let result: { ok: true; invalidated: number } | { ok: false; message: string };
  switch (input.intent) {
    case "rerun-tally": {
      if (!(
        hasPhaseStarted(edition, "voting", now) &&
        !isPhaseOpen(edition, "voting", now) &&
        !hasPhaseStarted(edition, "selection", now)
      )) {
        return json(
          {
            ok: false as const,
            errors: {},
            message: "The tally can be re-run after voting closes and until selection starts.",
          },
          { status: 409 },
        );
      }
      await requestTallyRerun(database, edition.id, user.id, now);
      return json({
        ok: true as const,
        errors: {},
        message: "The tally is being recounted; refresh in a few seconds to see the new run.",
      });
    }
    case "dismiss-flag":
      await dismissFlag(database, { flagId: input.flagId, actorUserId: user.id }, now);
      return json({ ok: true as const, errors: {}, message: "The flag was dismissed." });
    case "invalidate-flag":
      result = await invalidateFlag(
        database,
        { flagId: input.flagId, reason: input.reason, actorUserId: user.id },
        now,
      );
      break;
    case "invalidate-vote":
      result = await invalidateVotes(
        database,
        { editionId: edition.id, voteIds: [input.voteId], reason: input.reason, actorUserId: user.id },
        now,
      );
      break;
    case "invalidate-voter": {
      const voter = await findUserByEmail(input.email, database);
      if (!voter)
        return json(
          {
            ok: false as const,
            errors: { email: "No account has this email address." } as FieldErrors,
            message: null,
          },
          { status: 400 },
        );
      result = await invalidateVoter(
        database,
        { editionId: edition.id, voterId: voter.id, reason: input.reason, actorUserId: user.id },
        now,
      );
      break;
    }
  }
  if (!result.ok) return json({ ok: false as const, errors: {}, message: result.message }, { status: 409 });
  return json({
    ok: true as const,
    errors: {},
    message: `${result.invalidated} vote(s) invalidated. Live counts update within a second or two.`,
  });
}

function ReasonField({ id }: { id: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>Reason</label>
      <input id={id} name="reason" required minLength={3} maxLength={500} />
    </div>
  );
}

export default function AdminVoting() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const errors: FieldErrors = result?.errors ?? {};
  const qs = params.toString();
  const actionUrl = `/admin/voting${qs ? `?${qs}` : ""}`;
  return (
    <div className="stack">
      <h1>Voting — {data.edition.name}</h1>
      <AdminNav />
      {result?.message ? <Notice kind={result.ok ? "success" : "error"}>{result.message}</Notice> : null}
      <Form method="get" className="filters">
        <div className="field">
          <label htmlFor="edition">Edition</label>
          <select id="edition" name="edition" defaultValue={data.edition.year}>
            {data.editions.map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="category">Category</label>
          <select id="category" name="category" defaultValue={data.category.code}>
            {data.categories.map((c) => (
              <option key={c.code} value={c.code}>
                {c.code} — {c.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="secondary">
          Show
        </button>
      </Form>

      <h2>
        Live leaderboard: {data.category.code} {data.category.name}
      </h2>
      <p className="muted">
        {data.votingOpen ? "Voting is open. " : ""}Counts of valid votes, updated every second by the tally
        worker
        {data.liveUpdated ? ` (last update ${data.liveUpdated})` : " (no update yet)"}. The public sees no
        counts before results are published.
      </p>
      {data.leaderboard.length === 0 ? (
        <p>No published nominees in this category.</p>
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Project</th>
                <th scope="col">Valid votes</th>
                <th scope="col">Cast votes</th>
              </tr>
            </thead>
            <tbody>
              {data.leaderboard.map((p, i) => (
                <tr key={p.id}>
                  <td>{i + 1}</td>
                  <td>
                    <Link to={`/projects/${p.id}`}>{p.title}</Link>
                    <br />
                    <span className="muted">{p.organisation}</span>
                  </td>
                  <td>{p.valid}</td>
                  <td>{p.cast}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Official tally</h2>
      {data.runs.length === 0 ? (
        <p>No tally yet. The official tally runs automatically when voting closes.</p>
      ) : (
        <>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Started</th>
                  <th scope="col">Votes counted</th>
                  <th scope="col">Valid</th>
                </tr>
              </thead>
              <tbody>
                {data.runs.map((r) => (
                  <tr key={r.id}>
                    <td>#{r.id}</td>
                    <td>{r.trigger === "close" ? "At close of voting" : "Re-run"}</td>
                    <td>{r.started}</td>
                    <td>{r.votes_counted}</td>
                    <td>{r.valid_votes}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>Champions of {data.category.code} (latest run)</h3>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Rank</th>
                  <th scope="col">Project</th>
                  <th scope="col">Valid</th>
                  <th scope="col">Cast</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {data.official.map((r) => (
                  <tr key={r.project_id}>
                    <td>{r.rank}</td>
                    <td>{r.title}</td>
                    <td>{r.valid_votes}</td>
                    <td>{r.cast_votes}</td>
                    <td>
                      {r.champion ? "Champion" : ""}
                      {r.tied ? " — tied at fifth place, check before confirming" : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {data.canRerun ? (
        <Form method="post" action={actionUrl}>
          <CsrfInput />
          <input type="hidden" name="intent" value="rerun-tally" />
          <button type="submit">Re-run the tally now</button>
        </Form>
      ) : null}

      <h2>Suspicious patterns</h2>
      {data.flags.length === 0 ? (
        <p>No suspicious pattern found so far. The check runs every minute during voting.</p>
      ) : (
        <ul className="stack flag-list">
          {data.flags.map((f) => (
            <li key={f.id} className="card">
              <p>
                <strong>{f.label}</strong> — {f.vote_count} votes for{" "}
                {f.project_id ? <Link to={`/projects/${f.project_id}`}>{f.title}</Link> : "a project"} (
                {f.status})
              </p>
              <pre className="evidence">{JSON.stringify(f.evidence, null, 2)}</pre>
              <p className="muted">Last checked {f.updated}</p>
              {f.status === "open" && data.canInvalidate ? (
                <div className="actions">
                  <Form method="post" action={actionUrl}>
                    <CsrfInput />
                    <input type="hidden" name="intent" value="invalidate-flag" />
                    <input type="hidden" name="flagId" value={f.id} />
                    <ReasonField id={`reason-flag-${f.id}`} />
                    <button type="submit" className="danger">
                      Invalidate these {f.vote_count} votes
                    </button>
                  </Form>
                  <Form method="post" action={actionUrl}>
                    <CsrfInput />
                    <input type="hidden" name="intent" value="dismiss-flag" />
                    <input type="hidden" name="flagId" value={f.id} />
                    <button type="submit" className="secondary">
                      Dismiss
                    </button>
                  </Form>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}

      {data.canInvalidate ? (
        <>
          <h2>Invalidate votes</h2>
          <p className="muted">
            Invalidation is appended to the record, never a deletion; tallies count valid votes only.
          </p>
          <Form method="post" action={actionUrl} className="card">
            <CsrfInput />
            <input type="hidden" name="intent" value="invalidate-vote" />
            <div className={errors.voteId ? "field has-error" : "field"}>
              <label htmlFor="voteId">Vote number</label>
              {errors.voteId ? <p className="error">{errors.voteId}</p> : null}
              <input id="voteId" name="voteId" inputMode="numeric" required />
            </div>
            <ReasonField id="reason-vote" />
            <button type="submit" className="danger">
              Invalidate this vote
            </button>
          </Form>
          <Form method="post" action={actionUrl} className="card">
            <CsrfInput />
            <input type="hidden" name="intent" value="invalidate-voter" />
            <div className={errors.email ? "field has-error" : "field"}>
              <label htmlFor="voter-email">Voter’s email address</label>
              {errors.email ? <p className="error">{errors.email}</p> : null}
              <input id="voter-email" name="email" type="email" required />
            </div>
            <ReasonField id="reason-voter" />
            <button type="submit" className="danger">
              Invalidate all votes of this voter
            </button>
          </Form>
        </>
      ) : null}
    </div>
  );
}
