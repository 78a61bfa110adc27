import { Link } from "@remix-run/react";
import type { Ballot } from "~/domain/voting.server";
import { VoteButton } from "./vote-button";

/**
 * The voting box for one nominee: a vote button while voting is open and the visitor may still vote in this
 * category; otherwise what they voted for, or why they cannot vote (sign in, confirm the email, or when voting
 * opens or closed).
 */
export function VotePanel({
  ballot,
  projectId,
  projectTitle,
  categoryId,
  back,
  compact = false,
}: {
  ballot: Ballot;
  projectId: number;
  projectTitle: string;
  categoryId: number;
  back: string;
  compact?: boolean;
}) {
  if (ballot.state === "closed") return compact ? null : <p className="muted">{ballot.message}</p>;
  if (ballot.state === "anonymous") {
    return (
      <p className="vote-note">
        <Link to={`/login?redirectTo=${encodeURIComponent(back)}`}>Sign in</Link> or{" "}
        <Link to="/register">register</Link> to vote.
      </p>
    );
  }
  if (ballot.state === "cannot-vote") return compact ? null : <p className="vote-note">{ballot.message}</p>;
  const voted = ballot.votedByCategory[categoryId];
  if (!voted) return <VoteButton projectId={projectId} projectTitle={projectTitle} back={back} />;
  if (voted.projectId === projectId)
    return <p className="vote-note voted">✓ Your vote is for this project.</p>;
  return compact ? null : (
    <p className="vote-note">
      You voted in this category for <Link to={`/projects/${voted.projectId}`}>{voted.title}</Link>. A vote is
      final.
    </p>
  );
}
