import { stringify } from "csv-stringify/sync";

/**
 * Characters that make a spreadsheet read a cell as a formula (CSV injection): = + - @, tab and carriage
 * return (OWASP), and the full-width = + - @ that some spreadsheet locales also accept.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u;

/** Prefixes a single quote to a text cell a spreadsheet would otherwise run as a formula. */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export type CsvCell = string | number | null | undefined;

/**
 * A CSV document (RFC 4180: CRLF line ends, quotes where needed) with a UTF-8 byte-order mark so that
 * spreadsheets pick the right encoding. Every text cell is neutralised; numbers are written as numbers.
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): string {
  const clean = (cell: CsvCell): string => {
    if (cell === null || cell === undefined) return "";
    if (typeof cell === "number") return Number.isFinite(cell) ? String(cell) : "";
    return neutraliseCell(cell);
  };
  return stringify([header.map(clean), ...rows.map((row) => row.map(clean))], {
    bom: true,
    record_delimiter: "windows",
    // csv-stringify only quotes the record delimiter itself (CRLF); a bare LF or CR inside a long answer
    // must be quoted too, or readers split the record.
    quoted_match: /[\r\n]/,
  });
}
