import { describe, expect, it } from "vitest";
import { neutraliseCell, toCsv } from "../../app/domain/csv";
import { parseCsv } from "../helpers/csv";

describe("neutraliseCell", () => {
  it.each(["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://evil")', "＝1+1", "＠x"])(
    "prefixes a quote to %j",
    (cell) => {
      expect(neutraliseCell(cell)).toBe(`'${cell}`);
    },
  );

  it.each(["", "plain", " =1", "a=1", "1-2", "'already quoted", "<script>alert(1)</script>", "Ünïcode"])(
    "leaves %j alone",
    (cell) => {
      expect(neutraliseCell(cell)).toBe(cell);
    },
  );
});

describe("toCsv", () => {
  it("writes a BOM, CRLF records, quotes where needed, numbers as numbers, null as empty", () => {
    const csv = toCsv(
      ["id", "title", "note"],
      [
        [1, 'He said "hi", twice', null],
        [2, "line one\nline two", undefined],
        [3, "cr\ronly", ""],
      ],
    );
    expect(csv.startsWith("\uFEFF")).toBe(true);
    expect(csv).toBe(
      '\uFEFFid,title,note\r\n1,"He said ""hi"", twice",\r\n2,"line one\nline two",\r\n3,"cr\ronly",\r\n',
    );
  });

  it("neutralises formulas in every text cell and keeps HTML as text", () => {
    const csv = toCsv(
      ["a", "b"],
      [
        ["=cmd|' /C calc'!A0", "<img src=x onerror=alert(1)>"],
        [-5, "-5"],
      ],
    );
    const rows = parseCsv(csv);
    expect(rows[1]).toEqual(["'=cmd|' /C calc'!A0", "<img src=x onerror=alert(1)>"]);
    // A number of our own (never user text) is written as is; the same characters as text are neutralised.
    expect(rows[2]).toEqual(["-5", "'-5"]);
  });
});
