import type { AwardKind } from "../../db/schema";

/** "WSIS Prizes 2027 Winner" or "WSIS Prizes 2027 Champion", shown on a project's public page once published. */
export function AwardBadge({ kind, year }: { kind: AwardKind; year: number }) {
  const label = kind === "winner" ? "Winner" : "Champion";
  return (
    <p className={`award-badge award-badge-${kind}`}>
      <strong>
        WSIS Prizes {year} {label}
      </strong>
    </p>
  );
}
