import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Notice } from "~/components/forms";
import { currentEdition, findEdition, listCategories, votingEdition } from "~/domain/editions.server";
import { formatInstant, isPhaseOpen } from "~/domain/phases";
import { votesOf } from "~/domain/voting.server";
import { db } from "~/utils/db.server";
import { can } from "~/utils/permissions";
import { requireUser } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "My votes — WSIS Prizes" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, roles } = await requireUser(request);
  const now = new Date();
  const castId = Number(new URL(request.url).searchParams.get("cast"));
  // The edition of the vote just cast, else the one whose voting is open, else the current one.
  const castEdition =
    Number.isInteger(castId) && castId > 0
      ? await db()
          .selectFrom("votes")
          .select("edition_id")
          .where("id", "=", castId)
          .where("voter_id", "=", user.id)
          .executeTakeFirst()
      : undefined;
  const [edition, categories] = await Promise.all([
    castEdition
      ? findEdition(castEdition.edition_id)
      : votingEdition(now).then((e) => e ?? currentEdition(now)),
    listCategories(),
  ]);
  if (!edition)
    return json({
      edition: null,
      categories: [],
      votes: [],
      cast: null,
      canVote: false,
      verified: false,
      isVoter: false,
      window: null,
    });
  const votes = await votesOf(db(), user.id, edition.id);
  const cast = votes.find((v) => v.id === castId) ?? null;
  const open = isPhaseOpen(edition, "voting", now);
  return json({
    edition: { year: edition.year, name: edition.name },
    categories,
    votes,
    cast,
    canVote: open && user.email_verified_at !== null && can(roles, "vote:cast"),
    verified: user.email_verified_at !== null,
    isVoter: can(roles, "vote:read:own"),
    window: {
      open,
      opens: formatInstant(edition.voting_opens_at, edition.timezone),
      closes: formatInstant(edition.voting_closes_at, edition.timezone),
    },
  });
}

export default function MyVotes() {
  const data = useLoaderData<typeof loader>();
  if (!data.edition || !data.window) {
    return (
      <>
        <h1>My votes</h1>
        <p>There is no edition yet.</p>
      </>
    );
  }
  const byCategory = new Map(data.votes.map((v) => [v.code, v]));
  return (
    <div className="stack">
      <h1>My votes — {data.edition.name}</h1>
      {data.cast ? (
        <Notice kind="success">
          Your vote for “{data.cast.title}” in {data.cast.code} is recorded. A vote is final.
        </Notice>
      ) : null}
      {!data.verified ? (
        <Notice kind="info">
          Confirm your email address to vote: use the link we sent you, or ask for a new one on{" "}
          <Link to="/account">your account page</Link>.
        </Notice>
      ) : null}
      <p className="progress-text">
        <strong>
          You have voted in {data.votes.length} of {data.categories.length} categories.
        </strong>{" "}
        <progress max={data.categories.length} value={data.votes.length}>
          {data.votes.length} of {data.categories.length}
        </progress>
      </p>
      <p className="muted">
        {data.window.open
          ? `Voting is open until ${data.window.closes}.`
          : `Voting is open from ${data.window.opens} to ${data.window.closes}.`}
      </p>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Your vote</th>
            </tr>
          </thead>
          <tbody>
            {data.categories.map((c) => {
              const vote = byCategory.get(c.code);
              return (
                <tr key={c.code}>
                  <td>
                    <span className="code">{c.code}</span>
                    {c.name}
                  </td>
                  <td>
                    {vote ? (
                      <Link to={`/projects/${vote.project_id}`}>{vote.title}</Link>
                    ) : data.canVote ? (
                      <Link to={`/categories/${encodeURIComponent(c.code)}`}>Choose a project</Link>
                    ) : (
                      <span className="muted">Not voted</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
