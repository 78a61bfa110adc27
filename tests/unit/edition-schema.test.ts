import { describe, expect, it } from "vitest";
import { fieldErrorsFrom } from "../../app/components/forms";
import {
  EditionCreateSchema,
  EditionUpdateSchema,
  INSTANT_FIELDS,
  instantDefaults,
  instantLabel,
} from "../../app/schemas/edition";

const local = {
  submission_opens_at: "2027-01-10T09:00",
  submission_closes_at: "2027-02-10T23:59",
  nomination_opens_at: "2027-02-11T00:00",
  nomination_closes_at: "2027-03-01T00:00",
  voting_opens_at: "2027-03-05T12:00",
  voting_closes_at: "2027-04-01T12:00",
  selection_opens_at: "2027-04-02T00:00",
  selection_closes_at: "2027-05-01T00:00",
  announcement_opens_at: "2027-05-02T00:00",
  announcement_closes_at: "2027-12-31T00:00",
};
const form = { year: "2027", name: "WSIS Prizes 2027", timezone: "Europe/Zurich", ...local };

describe("EditionCreateSchema", () => {
  it("turns wall-clock times in the edition's zone into UTC instants (winter and summer)", () => {
    const result = EditionCreateSchema.safeParse(form);
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.data).toMatchObject({
      year: 2027,
      name: "WSIS Prizes 2027",
      timezone: "Europe/Zurich",
      submission_opens_at: "2027-01-10T08:00:00.000Z",
      voting_opens_at: "2027-03-05T11:00:00.000Z",
      selection_opens_at: "2027-04-01T22:00:00.000Z",
      announcement_closes_at: "2027-12-30T23:00:00.000Z",
    });
  });

  it("reads the same form in another zone as other instants", () => {
    const result = EditionCreateSchema.safeParse({ ...form, timezone: "america/new_york" });
    expect(result.success && result.data.timezone).toBe("America/New_York");
    expect(result.success && result.data.voting_opens_at).toBe("2027-03-05T17:00:00.000Z");
  });

  it("puts an out-of-order message beside the field at fault", () => {
    const result = EditionCreateSchema.safeParse({ ...form, voting_opens_at: "2027-02-20T00:00" });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(fieldErrorsFrom(result.error.issues)).toEqual({
      voting_opens_at: "Public voting cannot open before nomination closes.",
    });
    const closesFirst = EditionCreateSchema.safeParse({ ...form, selection_closes_at: "2027-04-01T00:00" });
    expect(closesFirst.success ? {} : fieldErrorsFrom(closesFirst.error.issues)).toMatchObject({
      selection_closes_at: "Selection must close after it opens.",
    });
  });

  it("refuses a bad year, a bogus time zone, a huge name and missing instants, field by field", () => {
    const result = EditionCreateSchema.safeParse({
      ...form,
      year: "20x7",
      timezone: "Mars/Olympus_Mons",
      name: "x".repeat(10_000),
      voting_closes_at: "",
      nomination_opens_at: "2027-02-30T00:00",
    });
    expect(result.success).toBe(false);
    if (result.success) return;
    const errors = fieldErrorsFrom(result.error.issues);
    expect(Object.keys(errors).sort()).toEqual([
      "name",
      "nomination_opens_at",
      "timezone",
      "voting_closes_at",
      "year",
    ]);
    expect(errors.timezone).toMatch(/IANA/);
    expect(errors.name).toMatch(/120 characters/);
  });

  it("refuses years out of range and missing fields without throwing", () => {
    for (const year of ["1999", "2101", "99999", "", "-2027"]) {
      expect(EditionCreateSchema.safeParse({ ...form, year }).success, year).toBe(false);
    }
    const empty = EditionCreateSchema.safeParse({});
    expect(empty.success).toBe(false);
    if (!empty.success) expect(Object.keys(fieldErrorsFrom(empty.error.issues))).toHaveLength(13);
  });
});

describe("EditionUpdateSchema and form defaults", () => {
  it("round-trips an edition's instants through the form in its zone", () => {
    const parsed = EditionUpdateSchema.parse({ name: "E", timezone: "Europe/Zurich", ...local });
    expect(instantDefaults(parsed, "Europe/Zurich")).toEqual(local);
  });

  it("labels every instant field", () => {
    expect(INSTANT_FIELDS.map(instantLabel)).toEqual([
      "Submission opens",
      "Submission closes",
      "Nomination opens",
      "Nomination closes",
      "Public voting opens",
      "Public voting closes",
      "Selection opens",
      "Selection closes",
      "Announcement opens",
      "Announcement closes",
    ]);
  });
});
