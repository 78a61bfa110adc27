import { describe, expect, it } from "vitest";
import { canonicalTimeZone, utcToZonedLocal, zonedLocalToUtc } from "../../app/domain/zoned-time";

const utc = (local: string, tz: string) => zonedLocalToUtc(local, tz)?.toISOString() ?? null;

describe("zonedLocalToUtc", () => {
  it("reads wall-clock time in winter and summer (Geneva is UTC+1 / UTC+2)", () => {
    expect(utc("2027-01-15T12:00", "Europe/Zurich")).toBe("2027-01-15T11:00:00.000Z");
    expect(utc("2027-07-15T12:00", "Europe/Zurich")).toBe("2027-07-15T10:00:00.000Z");
    expect(utc("2027-03-05T12:00", "Europe/Zurich")).toBe("2027-03-05T11:00:00.000Z");
    expect(utc("2027-03-05T12:00:30", "Europe/Zurich")).toBe("2027-03-05T11:00:30.000Z");
  });

  it("handles the spring-forward gap (2027-03-28 02:00 → 03:00 in Zurich) by moving forward", () => {
    expect(utc("2027-03-28T01:59", "Europe/Zurich")).toBe("2027-03-28T00:59:00.000Z");
    // 02:30 never shows on Zurich clocks that night: it is read as 03:30 CEST.
    expect(utc("2027-03-28T02:30", "Europe/Zurich")).toBe("2027-03-28T01:30:00.000Z");
    expect(utc("2027-03-28T03:00", "Europe/Zurich")).toBe("2027-03-28T01:00:00.000Z");
    expect(utc("2027-03-28T02:00", "Europe/Zurich")).toBe("2027-03-28T01:00:00.000Z");
  });

  it("takes the earlier instant in the fall-back overlap (2027-10-31 02:00–03:00 happens twice)", () => {
    expect(utc("2027-10-31T01:59", "Europe/Zurich")).toBe("2027-10-30T23:59:00.000Z");
    expect(utc("2027-10-31T02:30", "Europe/Zurich")).toBe("2027-10-31T00:30:00.000Z");
    expect(utc("2027-10-31T03:00", "Europe/Zurich")).toBe("2027-10-31T02:00:00.000Z");
  });

  it("works in other zones: southern hemisphere, half-hour offsets, UTC", () => {
    expect(utc("2027-01-15T12:00", "Australia/Sydney")).toBe("2027-01-15T01:00:00.000Z");
    expect(utc("2027-07-15T12:00", "Australia/Sydney")).toBe("2027-07-15T02:00:00.000Z");
    expect(utc("2027-03-05T12:00", "Asia/Kolkata")).toBe("2027-03-05T06:30:00.000Z");
    expect(utc("2027-03-14T02:30", "America/New_York")).toBe("2027-03-14T07:30:00.000Z");
    expect(utc("2027-03-05T12:00", "UTC")).toBe("2027-03-05T12:00:00.000Z");
  });

  it("refuses malformed or impossible values and unknown zones", () => {
    for (const bad of [
      "",
      "2027-03-05",
      "2027-03-05 12:00",
      "2027-02-30T12:00",
      "2027-13-01T00:00",
      "2027-03-05T24:00",
    ]) {
      expect(zonedLocalToUtc(bad, "Europe/Zurich"), bad).toBeNull();
    }
    expect(zonedLocalToUtc("2027-03-05T12:00", "Mars/Olympus_Mons")).toBeNull();
    expect(zonedLocalToUtc("2027-03-05T12:00", "")).toBeNull();
  });
});

describe("utcToZonedLocal", () => {
  it("gives the datetime-local value shown on clocks in the zone, to the minute", () => {
    expect(utcToZonedLocal("2027-03-05T11:00:00.000Z", "Europe/Zurich")).toBe("2027-03-05T12:00");
    expect(utcToZonedLocal("2027-07-15T10:00:59.999Z", "Europe/Zurich")).toBe("2027-07-15T12:00");
    expect(utcToZonedLocal(new Date("2027-03-28T01:00:00Z"), "Europe/Zurich")).toBe("2027-03-28T03:00");
    expect(utcToZonedLocal("2027-10-31T00:30:00Z", "Europe/Zurich")).toBe("2027-10-31T02:30");
    expect(utcToZonedLocal("2027-10-31T01:30:00Z", "Europe/Zurich")).toBe("2027-10-31T02:30");
    expect(utcToZonedLocal("2027-12-31T23:30:00Z", "Asia/Kolkata")).toBe("2028-01-01T05:00");
    expect(utcToZonedLocal("not a date", "Europe/Zurich")).toBe("");
  });

  it("round-trips every hour around both DST changes, and every third hour of the year", () => {
    const hours = new Set<number>();
    for (let t = Date.UTC(2027, 0, 1); t < Date.UTC(2028, 0, 1); t += 3 * 3600_000) hours.add(t);
    for (const day of [Date.UTC(2027, 2, 27), Date.UTC(2027, 9, 30)]) {
      for (let t = day; t < day + 3 * 24 * 3600_000; t += 3600_000) hours.add(t);
    }
    const mismatches: string[] = [];
    for (const t of hours) {
      const back = zonedLocalToUtc(utcToZonedLocal(new Date(t), "Europe/Zurich"), "Europe/Zurich")?.getTime();
      if (back !== t)
        mismatches.push(
          `${new Date(t).toISOString()} → ${back === undefined ? "null" : new Date(back).toISOString()}`,
        );
    }
    // Only the second 02:00 of the fall-back night comes back as the first one.
    expect(mismatches).toEqual(["2027-10-31T01:00:00.000Z → 2027-10-31T00:00:00.000Z"]);
  });
});

describe("canonicalTimeZone", () => {
  it("accepts IANA names in any case and returns their canonical spelling", () => {
    expect(canonicalTimeZone("Europe/Zurich")).toBe("Europe/Zurich");
    expect(canonicalTimeZone("europe/zurich")).toBe("Europe/Zurich");
    expect(canonicalTimeZone("utc")).toBe("UTC");
  });

  it("keeps current names that ICU would rewrite to legacy ones", () => {
    expect(canonicalTimeZone("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect(canonicalTimeZone("Europe/Kyiv")).toBe("Europe/Kyiv");
    expect(canonicalTimeZone("America/Argentina/Buenos_Aires")).toBe("America/Argentina/Buenos_Aires");
  });

  it("refuses unknown names, offsets and junk", () => {
    for (const bad of [
      "",
      "Mars/Olympus_Mons",
      "+01:00",
      "Europe/Zurich; drop table",
      "../etc",
      "x".repeat(65),
    ]) {
      expect(canonicalTimeZone(bad), bad).toBeNull();
    }
  });
});
