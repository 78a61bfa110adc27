/**
 * The ISO 3166-1 country list, from the i18n-iso-countries package (English names). The names exist on the
 * server only (the package's browser build carries no locale data), so pages receive the list from their
 * loader; isCountryCode works in both places.
 */
import countries from "i18n-iso-countries";

/** One country: ISO 3166-1 alpha-2 code and English name. */
export interface Country {
  code: string;
  name: string;
}

let sorted: Country[] | undefined;

/** Every country with its English name, sorted by name. */
export function listCountries(): Country[] {
  sorted ??= Object.entries(countries.getNames("en", { select: "official" }))
    .map(([code, name]) => ({ code, name }))
    .sort((a, b) => a.name.localeCompare(b.name, "en"));
  return sorted;
}

/** True when `code` is an ISO 3166-1 alpha-2 code of the list (upper case, as stored). */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && Object.hasOwn(countries.getAlpha2Codes(), code);
}

/** The English name of a country code; the code itself when unknown. */
export function countryName(code: string): string {
  return countries.getName(code, "en", { select: "official" }) ?? code;
}
