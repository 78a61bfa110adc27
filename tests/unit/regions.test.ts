import { describe, expect, it } from "vitest";
import { isCountryCode, listCountries } from "../../app/domain/countries";
import {
  AMBIGUOUS_COUNTRIES,
  ITU_REGIONS,
  REGION_LABELS,
  regionOf,
  resolveRegion,
} from "../../app/domain/regions";

/** The 193 ITU member states (the UN members less Palau, plus the Holy See), ISO 3166-1 alpha-2, by code. */
const ITU_MEMBER_STATES = (
  "AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW BY BZ CA CD CF CG CH CI CL CM " +
  "CN CO CR CU CV CY CZ DE DJ DK DM DO DZ EC EE EG ER ES ET FI FJ FM FR GA GB GD GE GH GM GN GQ GR GT GW GY HN " +
  "HR HT HU ID IE IL IN IQ IR IS IT JM JO JP KE KG KH KI KM KN KP KR KW KZ LA LB LC LI LK LR LS LT LU LV LY MA " +
  "MC MD ME MG MH MK ML MM MN MR MT MU MV MW MX MY MZ NA NE NG NI NL NO NP NR NZ OM PA PE PG PH PK PL PT PY QA " +
  "RO RS RU RW SA SB SC SD SE SG SI SK SL SM SN SO SR SS ST SV SY SZ TD TG TH TJ TL TM TN TO TR TT TV TZ UA UG " +
  "US UY UZ VA VC VE VN VU WS YE ZA ZM ZW"
).split(" ");

describe("ITU regions", () => {
  it("lists the seven regions of DESIGN §3 with their names", () => {
    expect(ITU_REGIONS.map((r) => REGION_LABELS[r])).toEqual([
      "Africa",
      "Americas",
      "Arab States",
      "Asia & Pacific",
      "CIS",
      "Europe",
      "International",
    ]);
  });

  it("gives every ITU member state a region, except the ambiguous ones", () => {
    expect(new Set(ITU_MEMBER_STATES).size).toBe(193);
    for (const code of ITU_MEMBER_STATES) {
      expect(isCountryCode(code), code).toBe(true);
      if (AMBIGUOUS_COUNTRIES.includes(code)) expect(regionOf(code), code).toBeNull();
      else expect(regionOf(code), code).not.toBeNull();
    }
  });

  it("groups the member states as ITU-D does", () => {
    const counts = new Map<string, number>();
    for (const code of ITU_MEMBER_STATES) {
      const region = regionOf(code) ?? "ambiguous";
      counts.set(region, (counts.get(region) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({
      africa: 44,
      americas: 35,
      arab_states: 21,
      asia_pacific: 38,
      cis: 9,
      europe: 42,
      ambiguous: 4,
    });
  });

  it.each([
    ["FR", "europe"],
    ["CH", "europe"],
    ["TR", "europe"],
    ["NG", "africa"],
    ["ZA", "africa"],
    ["EG", "arab_states"],
    ["MA", "arab_states"],
    ["SO", "arab_states"],
    ["PS", "arab_states"],
    ["BR", "americas"],
    ["US", "americas"],
    ["JP", "asia_pacific"],
    ["IR", "asia_pacific"],
    ["RU", "cis"],
    ["KZ", "cis"],
  ])("maps %s to %s", (code, region) => {
    expect(regionOf(code)).toBe(region);
  });

  it("accepts lower case and surrounding spaces", () => {
    expect(regionOf(" fr ")).toBe("europe");
  });

  it.each(["MD", "GE", "UA", "IL", "GF", "GL", "AQ", "XK", "ZZ", ""])(
    "leaves %s to the organisation (null)",
    (code) => {
      expect(regionOf(code)).toBeNull();
    },
  );

  it("never derives International", () => {
    for (const { code } of listCountries()) expect(regionOf(code)).not.toBe("international");
  });

  it("resolves the region to store: derived wins over a contradicting choice, International is kept", () => {
    expect(resolveRegion("FR", null)).toBe("europe");
    expect(resolveRegion("FR", "africa")).toBe("europe");
    expect(resolveRegion("CH", "international")).toBe("international");
    expect(resolveRegion("MD", null)).toBeNull();
    expect(resolveRegion("MD", "europe")).toBe("europe");
    expect(resolveRegion("MD", "cis")).toBe("cis");
  });
});

describe("countries", () => {
  it("lists ISO 3166 countries with English names, sorted by name", () => {
    const list = listCountries();
    expect(list.length).toBeGreaterThanOrEqual(249);
    expect(list.find((c) => c.code === "FR")?.name).toBe("France");
    const names = list.map((c) => c.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, "en")));
    for (const c of list) expect(isCountryCode(c.code)).toBe(true);
  });

  it("recognises alpha-2 codes only", () => {
    expect(isCountryCode("FR")).toBe(true);
    expect(isCountryCode("fr")).toBe(false);
    expect(isCountryCode("FRA")).toBe(false);
    expect(isCountryCode("ZZ")).toBe(false);
    expect(isCountryCode("")).toBe(false);
    expect(isCountryCode("<s")).toBe(false);
  });
});
