/**
 * ITU regions (DESIGN §3) and the country → region map, following the regional groupings of the ITU
 * Telecommunication Development Sector (ITU-D: Africa, Americas, Arab States, Asia & Pacific, CIS, Europe).
 * Pure: safe in the browser (the organisation form uses it to pre-select the region when JavaScript runs).
 */
import type { ItuRegion } from "../../db/schema";

/** The seven regions in display order; "international" is never derived, only chosen. */
export const ITU_REGIONS = [
  "africa",
  "americas",
  "arab_states",
  "asia_pacific",
  "cis",
  "europe",
  "international",
] as const satisfies readonly ItuRegion[];

/** Display names of the regions. */
export const REGION_LABELS: Readonly<Record<ItuRegion, string>> = {
  africa: "Africa",
  americas: "Americas",
  arab_states: "Arab States",
  asia_pacific: "Asia & Pacific",
  cis: "CIS",
  europe: "Europe",
  international: "International",
};

// ITU member states by ITU-D region (193 in all; ISO 3166-1 alpha-2 codes separated by spaces). Members of
// both the African Union and the League of Arab States are in Arab States, as ITU-D counts them.
const MEMBERS: Readonly<Record<Exclude<ItuRegion, "international">, string>> = {
  // 44
  africa:
    "AO BJ BW BF BI CM CV CF TD CG CI CD GQ ER SZ ET GA GM GH GN GW KE LS LR MG MW ML MU MZ NA NE NG RW ST SN SC " +
    "SL ZA SS TZ TG UG ZM ZW",
  // 35
  americas:
    "AG AR BS BB BZ BO BR CA CL CO CR CU DM DO EC SV GD GT GY HT HN JM MX NI PA PY PE KN LC VC SR TT US UY VE",
  // 21
  arab_states: "DZ BH KM DJ EG IQ JO KW LB LY MR MA OM QA SA SO SD SY TN AE YE",
  // 38
  asia_pacific:
    "AF AU BD BT BN KH CN KP FJ IN ID IR JP KI KR LA MY MV MH FM MN MM NR NP NZ PK PG PH WS SG SB LK TH TL TO TV " +
    "VU VN",
  // 9, plus Georgia, Moldova and Ukraine (ambiguous, below)
  cis: "AM AZ BY KZ KG RU TJ TM UZ",
  // 42, plus Israel (ambiguous, below)
  europe:
    "AL AD AT BE BA BG HR CY CZ DK EE FI FR DE GR HU IS IE IT LV LI LT LU MT MC ME NL MK NO PL PT RO SM RS SK SI " +
    "ES SE CH TR GB VA",
};

/**
 * Member states whose grouping is disputed or has changed (Georgia, Moldova and Ukraine appear under both CIS
 * and Europe in ITU documents; Israel takes part in the European region while lying in Western Asia): the
 * organisation says which region it belongs to.
 */
export const AMBIGUOUS_COUNTRIES: readonly string[] = ["GE", "MD", "UA", "IL"];

// Places that are not ITU member states but belong to one region without doubt.
const NON_MEMBERS: Readonly<Record<string, Exclude<ItuRegion, "international">>> = {
  PS: "arab_states",
  PW: "asia_pacific",
  HK: "asia_pacific",
  MO: "asia_pacific",
  TW: "asia_pacific",
  PR: "americas",
};

const BY_COUNTRY = new Map<string, ItuRegion>();
for (const region of ITU_REGIONS) {
  if (region === "international") continue;
  for (const code of MEMBERS[region].split(" ")) BY_COUNTRY.set(code, region);
}
for (const [code, region] of Object.entries(NON_MEMBERS)) BY_COUNTRY.set(code, region);

/**
 * The ITU region of an ISO 3166-1 alpha-2 country code, or null when the country's region is ambiguous or
 * unknown (overseas territories, for instance): then the organisation must choose it.
 */
export function regionOf(countryCode: string): ItuRegion | null {
  return BY_COUNTRY.get(countryCode.trim().toUpperCase()) ?? null;
}

/** Every country code with a derived region (for tests and documentation). */
export function mappedCountryCodes(): string[] {
  return [...BY_COUNTRY.keys()];
}

/**
 * The region to store for an organisation: "international" when chosen, otherwise the region derived from the
 * country when it is unambiguous (a contradicting choice is overridden), otherwise the chosen one; null when
 * the country is ambiguous and nothing was chosen.
 */
export function resolveRegion(countryCode: string, chosen: ItuRegion | null): ItuRegion | null {
  if (chosen === "international") return "international";
  return regionOf(countryCode) ?? chosen;
}
