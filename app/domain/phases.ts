/** Phase rules of an edition (DESIGN §1). Pure: every function takes the instant to judge at. */

export const PHASES = ["submission", "nomination", "voting", "selection", "announcement"] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_LABELS: Record<Phase, string> = {
  submission: "Submission",
  nomination: "Nomination",
  voting: "Public voting",
  selection: "Selection",
  announcement: "Announcement",
};

/** The ten instants of an edition, as ISO strings (the shape of the editions table). */
export type PhaseInstants = {
  [P in Phase as `${P}_opens_at`]: string;
} & {
  [P in Phase as `${P}_closes_at`]: string;
};

export type EditionState =
  | { kind: "open"; phase: Phase; opensAt: Date; closesAt: Date }
  | { kind: "upcoming"; next: Phase; opensAt: Date }
  | { kind: "between"; previous: Phase; next: Phase; opensAt: Date }
  | { kind: "finished"; closedAt: Date };

/** A clock: tests pass a fixed one, the app passes () => new Date(). */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

function bounds(e: PhaseInstants, p: Phase): { opensAt: Date; closesAt: Date } {
  return { opensAt: new Date(e[`${p}_opens_at`]), closesAt: new Date(e[`${p}_closes_at`]) };
}

/** True when `phase` is open at `now`: opening instant included, closing instant excluded. */
export function isPhaseOpen(e: PhaseInstants, phase: Phase, now: Date): boolean {
  const { opensAt, closesAt } = bounds(e, phase);
  return opensAt.getTime() <= now.getTime() && now.getTime() < closesAt.getTime();
}

/** Which phase edition `e` is in at time `now` (or whether it is before, between or after its phases). */
export function editionStateAt(e: PhaseInstants, now: Date): EditionState {
  const t = now.getTime();
  for (let i = 0; i < PHASES.length; i++) {
    const phase = PHASES[i];
    const { opensAt, closesAt } = bounds(e, phase);
    if (t < opensAt.getTime()) {
      return i === 0
        ? { kind: "upcoming", next: phase, opensAt }
        : { kind: "between", previous: PHASES[i - 1], next: phase, opensAt };
    }
    if (t < closesAt.getTime()) return { kind: "open", phase, opensAt, closesAt };
  }
  return { kind: "finished", closedAt: bounds(e, "announcement").closesAt };
}

/** True once `phase` has opened at `now` (it may have closed since). */
export function hasPhaseStarted(e: PhaseInstants, phase: Phase, now: Date): boolean {
  return bounds(e, phase).opensAt.getTime() <= now.getTime();
}

/** Errors keyed by instant field: each phase must open before it closes, and close no later than the next opens. */
export function validatePhaseOrder(e: PhaseInstants): Partial<Record<keyof PhaseInstants, string>> {
  const errors: Partial<Record<keyof PhaseInstants, string>> = {};
  for (let i = 0; i < PHASES.length; i++) {
    const p = PHASES[i];
    const { opensAt, closesAt } = bounds(e, p);
    if (Number.isNaN(opensAt.getTime())) errors[`${p}_opens_at`] = "Enter a valid date and time.";
    if (Number.isNaN(closesAt.getTime())) errors[`${p}_closes_at`] = "Enter a valid date and time.";
    if (errors[`${p}_opens_at`] || errors[`${p}_closes_at`]) continue;
    if (closesAt.getTime() <= opensAt.getTime()) {
      errors[`${p}_closes_at`] = `${PHASE_LABELS[p]} must close after it opens.`;
    }
    if (i > 0) {
      const prev = PHASES[i - 1];
      const prevClose = new Date(e[`${prev}_closes_at`]);
      if (!Number.isNaN(prevClose.getTime()) && opensAt.getTime() < prevClose.getTime()) {
        errors[`${p}_opens_at`] =
          `${PHASE_LABELS[p]} cannot open before ${PHASE_LABELS[prev].toLowerCase()} closes.`;
      }
    }
  }
  return errors;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Instants that put `phase` open at `now`: it opened an hour ago, every phase lasts `days` days,
 * earlier phases lie back to back before it and later ones after it. Used by demos, the CLI and tests.
 */
export function scheduleWithPhaseOpen(phase: Phase, now: Date, days = 14): PhaseInstants {
  const index = PHASES.indexOf(phase);
  const start = now.getTime() - 60 * 60 * 1000 - index * days * DAY;
  const out: Record<string, string> = {};
  PHASES.forEach((p, i) => {
    out[`${p}_opens_at`] = new Date(start + i * days * DAY).toISOString();
    out[`${p}_closes_at`] = new Date(start + (i + 1) * days * DAY).toISOString();
  });
  return out as PhaseInstants;
}

/** Formats an instant for display in the edition's time zone, e.g. "3 Mar 2027, 12:00 (Europe/Zurich)". */
export function formatInstant(iso: string | Date, timeZone: string): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  const text = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(d);
  return `${text} (${timeZone})`;
}
