import { CsrfInput } from "./forms";

/**
 * A vote form for one nominee. A plain HTML form posting to the /vote endpoint (outside Remix, for speed):
 * works without JavaScript; the endpoint answers with a redirect to the voter's votes page.
 */
export function VoteButton({
  projectId,
  projectTitle,
  back,
}: {
  projectId: number;
  projectTitle: string;
  back: string;
}) {
  return (
    <form method="post" action="/vote" className="vote-form">
      <CsrfInput />
      <input type="hidden" name="project" value={projectId} />
      <input type="hidden" name="back" value={back} />
      <button type="submit" aria-label={`Vote for ${projectTitle}`}>
        Vote for this project
      </button>
    </form>
  );
}
