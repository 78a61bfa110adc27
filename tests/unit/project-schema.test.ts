import { describe, expect, it } from "vitest";
import {
  draftProjectSchema,
  emptyProjectValues,
  LONG_ANSWER_FIELDS,
  projectErrorsFrom,
  projectFormValues,
  projectValuesOfInput,
  submitProjectSchema,
  type ProjectFormValues,
} from "../../app/schemas/project";
import { GDC_OBJECTIVES, SDGS } from "../../app/domain/sdgs";

const opts = { minLongAnswerWords: 50, currentYear: 2026 };
const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(" ");

function complete(overrides: Partial<ProjectFormValues> = {}): ProjectFormValues {
  return {
    category_id: "4",
    title: "Digital skills for rural schools",
    website: "https://example.org/project",
    country: "KE",
    start_year: "2020",
    implementation_status: "completed",
    short_description: words(170),
    sdgs: ["4", "17"],
    gdc_objectives: ["1"],
    action_line_linkage: words(60),
    sdg_linkage: words(60),
    gdc_linkage: words(60),
    impact: words(60),
    partnerships: words(60),
    challenges: words(60),
    ...overrides,
  };
}

function errorsOf(schema: ReturnType<typeof submitProjectSchema>, values: ProjectFormValues) {
  const r = schema.safeParse(values);
  return r.success ? {} : projectErrorsFrom(r.error.issues);
}

describe("goals", () => {
  it("lists the 17 SDGs and the 5 GDC objectives of DESIGN §3", () => {
    expect(SDGS.map((g) => g.number)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    expect(SDGS[3].name).toBe("Quality education");
    expect(GDC_OBJECTIVES).toHaveLength(5);
    expect(GDC_OBJECTIVES[4].name).toMatch(/artificial intelligence/);
  });
});

describe("submit schema", () => {
  it("accepts a complete questionnaire and normalises it", () => {
    const r = submitProjectSchema(opts).safeParse(
      complete({ title: "  Digital   skills\tfor schools ", sdgs: ["17", "4", "4"], country: "ke" }),
    );
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(r.data.title).toBe("Digital skills for schools");
    expect(r.data.sdgs).toEqual([4, 17]);
    expect(r.data.country).toBe("KE");
    expect(r.data.category_id).toBe(4);
    expect(r.data.start_year).toBe(2020);
  });

  it("reports every missing answer on its own field at once", () => {
    const errors = errorsOf(submitProjectSchema(opts), { ...emptyProjectValues(), category_id: "4" });
    expect(Object.keys(errors).sort()).toEqual(
      [
        "title",
        "country",
        "start_year",
        "implementation_status",
        "short_description",
        "sdgs",
        "gdc_objectives",
        ...LONG_ANSWER_FIELDS,
      ].sort(),
    );
    expect(errors.short_description).toBe("The short description needs 150 to 200 words; it has 0.");
    expect(errors.impact).toBe("Impact needs at least 50 words; it has 0.");
  });

  it("counts the short description's words: 150 and 200 pass, 149 and 201 fail", () => {
    const s = submitProjectSchema(opts);
    expect(errorsOf(s, complete({ short_description: words(150) })).short_description).toBeUndefined();
    expect(errorsOf(s, complete({ short_description: words(200) })).short_description).toBeUndefined();
    expect(errorsOf(s, complete({ short_description: words(149) })).short_description).toMatch(/it has 149/);
    expect(errorsOf(s, complete({ short_description: words(201) })).short_description).toMatch(/it has 201/);
  });

  it("takes the long-answer minimum as a parameter", () => {
    const v = complete({ challenges: words(30) });
    expect(errorsOf(submitProjectSchema(opts), v).challenges).toBe(
      "Challenges and future perspectives needs at least 50 words; it has 30.",
    );
    expect(errorsOf(submitProjectSchema({ ...opts, minLongAnswerWords: 30 }), v).challenges).toBeUndefined();
    expect(errorsOf(submitProjectSchema({ ...opts, minLongAnswerWords: 31 }), v).challenges).toMatch(
      /31 words/,
    );
  });

  it("refuses SDG 0 and 18, GDC 6, and junk", () => {
    const s = submitProjectSchema(opts);
    expect(errorsOf(s, complete({ sdgs: ["0"] })).sdgs).toBe("Choose goals from 1 to 17.");
    expect(errorsOf(s, complete({ sdgs: ["18"] })).sdgs).toBe("Choose goals from 1 to 17.");
    expect(errorsOf(s, complete({ sdgs: ["1", "x"] })).sdgs).toBe("Choose goals from 1 to 17.");
    expect(errorsOf(s, complete({ gdc_objectives: ["6"] })).gdc_objectives).toBe(
      "Choose objectives from 1 to 5.",
    );
    expect(errorsOf(s, complete({ sdgs: SDGS.map((g) => String(g.number)) })).sdgs).toBeUndefined();
  });

  it("refuses bad URLs, unknown countries, years and statuses", () => {
    const s = submitProjectSchema(opts);
    for (const website of [
      "not a url",
      "javascript:alert(1)",
      "ftp://example.org",
      "https://localhost",
      "http://",
    ]) {
      expect(errorsOf(s, complete({ website })).website, website).toMatch(/https:\/\//);
    }
    expect(errorsOf(s, complete({ website: "" })).website).toBeUndefined();
    expect(errorsOf(s, complete({ country: "XX" })).country).toBe("Choose a country from the list.");
    expect(errorsOf(s, complete({ country: "<script>" })).country).toBe("Choose a country from the list.");
    expect(errorsOf(s, complete({ start_year: "2027" })).start_year).toBe("Enter a year from 1950 to 2026.");
    expect(errorsOf(s, complete({ start_year: "20x1" })).start_year).toMatch(/four digits/);
    expect(errorsOf(s, complete({ implementation_status: "planned" })).implementation_status).toMatch(
      /completed/,
    );
    expect(errorsOf(s, complete({ category_id: "abc" })).category_id).toBe("Choose a category.");
    expect(errorsOf(s, complete({ category_id: "0" })).category_id).toBe("Choose a category.");
  });

  it("caps the title at 150 characters (a 10 kB title is refused with its length)", () => {
    const s = submitProjectSchema(opts);
    expect(errorsOf(s, complete({ title: "t".repeat(150) })).title).toBeUndefined();
    expect(errorsOf(s, complete({ title: "t".repeat(10_240) })).title).toBe(
      "The title can be at most 150 characters long; it has 10240.",
    );
  });

  it("keeps HTML as plain text and strips control characters", () => {
    const r = submitProjectSchema(opts).safeParse(
      complete({
        title: "<script>alert(1)</script>\u0000 & <b>bold</b>",
        impact: `${words(60)}\r\n<img src=x onerror=alert(1)>`,
      }),
    );
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(r.data.title).toBe("<script>alert(1)</script> & <b>bold</b>");
    expect(r.data.impact.endsWith("\n<img src=x onerror=alert(1)>")).toBe(true);
    expect(r.data.impact).not.toContain("\r");
  });
});

describe("draft schema", () => {
  it("accepts an almost empty draft (only the category is needed)", () => {
    const r = draftProjectSchema(opts).safeParse({ ...emptyProjectValues(), category_id: "4" });
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(r.data.website).toBeNull();
    expect(r.data.start_year).toBeNull();
    expect(r.data.implementation_status).toBeNull();
    expect(r.data.sdgs).toEqual([]);
  });

  it("still caps and checks the format of every field present", () => {
    const errors = errorsOf(draftProjectSchema(opts), {
      ...emptyProjectValues(),
      category_id: "4",
      title: "x".repeat(151),
      website: "nope",
      country: "ZZ",
      start_year: "1800",
      sdgs: ["18"],
      short_description: "w ".repeat(1500),
      impact: "y".repeat(4001),
    });
    expect(Object.keys(errors).sort()).toEqual(
      ["title", "website", "country", "start_year", "sdgs", "short_description", "impact"].sort(),
    );
  });

  it("needs a category even for a draft", () => {
    expect(errorsOf(draftProjectSchema(opts), emptyProjectValues()).category_id).toBe("Choose a category.");
  });
});

describe("form values", () => {
  it("reads repeated checkboxes from FormData and treats missing fields as empty", () => {
    const form = new FormData();
    form.append("title", "T");
    form.append("sdgs", "1");
    form.append("sdgs", "17");
    const v = projectFormValues(form);
    expect(v.title).toBe("T");
    expect(v.sdgs).toEqual(["1", "17"]);
    expect(v.impact).toBe("");
    expect(v.gdc_objectives).toEqual([]);
  });

  it("round-trips a parsed input back to form values", () => {
    const r = submitProjectSchema(opts).safeParse(complete());
    expect(r.success).toBe(true);
    if (!r.success) return;
    const again = submitProjectSchema(opts).safeParse(projectValuesOfInput(r.data));
    expect(again.success && again.data).toEqual(r.data);
  });
});
