import { describe, expect, it } from "vitest";
import {
  editionStateAt,
  isPhaseOpen,
  scheduleWithPhaseOpen,
  validatePhaseOrder,
  type PhaseInstants,
} from "../../app/domain/phases";

const instants: PhaseInstants = {
  submission_opens_at: "2027-01-10T00:00:00.000Z",
  submission_closes_at: "2027-02-10T00:00:00.000Z",
  nomination_opens_at: "2027-02-10T00:00:00.000Z",
  nomination_closes_at: "2027-03-01T00:00:00.000Z",
  voting_opens_at: "2027-03-05T00:00:00.000Z",
  voting_closes_at: "2027-04-01T00:00:00.000Z",
  selection_opens_at: "2027-04-01T00:00:00.000Z",
  selection_closes_at: "2027-05-01T00:00:00.000Z",
  announcement_opens_at: "2027-05-01T00:00:00.000Z",
  announcement_closes_at: "2027-12-31T00:00:00.000Z",
};
const at = (iso: string) => new Date(iso);

describe("phase windows", () => {
  it("opens at the opening instant and closes at the closing instant (excluded)", () => {
    expect(isPhaseOpen(instants, "voting", at("2027-03-04T23:59:59.999Z"))).toBe(false);
    expect(isPhaseOpen(instants, "voting", at("2027-03-05T00:00:00.000Z"))).toBe(true);
    expect(isPhaseOpen(instants, "voting", at("2027-03-31T23:59:59.999Z"))).toBe(true);
    expect(isPhaseOpen(instants, "voting", at("2027-04-01T00:00:00.000Z"))).toBe(false);
  });

  it("names the phase an edition is in, or what comes next", () => {
    expect(editionStateAt(instants, at("2027-01-01T00:00:00Z"))).toMatchObject({
      kind: "upcoming",
      next: "submission",
    });
    expect(editionStateAt(instants, at("2027-02-09T23:59:59.999Z"))).toMatchObject({
      kind: "open",
      phase: "submission",
    });
    expect(editionStateAt(instants, at("2027-02-10T00:00:00Z"))).toMatchObject({
      kind: "open",
      phase: "nomination",
    });
    expect(editionStateAt(instants, at("2027-03-02T00:00:00Z"))).toMatchObject({
      kind: "between",
      previous: "nomination",
      next: "voting",
    });
    expect(editionStateAt(instants, at("2028-01-01T00:00:00Z"))).toMatchObject({ kind: "finished" });
  });
});

describe("phase order validation", () => {
  it("accepts phases in order", () => {
    expect(validatePhaseOrder(instants)).toEqual({});
  });

  it("refuses a phase that closes before it opens, or opens before the previous one closes", () => {
    const closesEarly = validatePhaseOrder({ ...instants, voting_closes_at: "2027-03-01T00:00:00.000Z" });
    expect(closesEarly.voting_closes_at).toMatch(/must close after it opens/);
    const overlaps = validatePhaseOrder({ ...instants, selection_opens_at: "2027-03-20T00:00:00.000Z" });
    expect(overlaps.selection_opens_at).toMatch(/cannot open before public voting closes/);
  });

  it("refuses unreadable dates", () => {
    expect(validatePhaseOrder({ ...instants, voting_opens_at: "not a date" }).voting_opens_at).toMatch(
      /valid date/,
    );
  });
});

describe("scheduleWithPhaseOpen", () => {
  it.each(["submission", "nomination", "voting", "selection", "announcement"] as const)(
    "puts %s open now, with every phase in order",
    (phase) => {
      const now = at("2027-06-15T12:00:00Z");
      const s = scheduleWithPhaseOpen(phase, now);
      expect(validatePhaseOrder(s)).toEqual({});
      expect(editionStateAt(s, now)).toMatchObject({ kind: "open", phase });
    },
  );
});
