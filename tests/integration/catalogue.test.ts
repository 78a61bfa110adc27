import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  catalogueEdition,
  catalogueListing,
  categoriesWithNomineeCounts,
  escapeLike,
  findPublicProject,
  parseId,
  searchNominees,
  type ProjectFilters,
} from "../../app/domain/catalogue.server";
import {
  exportSubmissionsCsv,
  listSubmissions,
  submissionsDashboard,
} from "../../app/domain/submissions-report.server";
import { categoryId, seedEdition, seedOrganisation, seedProject } from "../helpers/catalogue-fixtures";
import { parseCsv } from "../helpers/csv";
import { DIALECTS, createTestDb, type TestDb } from "../helpers/db";

const NOW = new Date("2026-03-10T12:00:00.000Z");

describe.each(DIALECTS)("public catalogue (%s)", (dialect) => {
  let t: TestDb;
  let e2025: number;
  let e2026: number;
  const p: Record<string, number> = {};

  beforeAll(async () => {
    t = await createTestDb(dialect);
    const db = t.db;
    e2025 = (await seedEdition(db, 2025, "2025-02-20T00:00:00.000Z")).id;
    e2026 = (await seedEdition(db, 2026, "2026-02-20T00:00:00.000Z")).id;
    const e2027 = (await seedEdition(db, 2027, null)).id;
    const alpha = await seedOrganisation(db, { name: "Alpha Foundation", country: "KE", region: "africa" });
    const beta = await seedOrganisation(db, {
      name: "Beta Corp",
      stakeholder: "private_sector",
      country: "FR",
      region: "europe",
    });
    const gamma = await seedOrganisation(db, {
      name: "Gamma 100% Ministry_of_ICT",
      stakeholder: "government",
      country: "BR",
      region: "americas",
    });
    const delta = await seedOrganisation(db, {
      name: `O'Reilly "Quotes" Institute`,
      stakeholder: "academia",
      country: "US",
      region: "americas",
    });
    const s = (seed: Parameters<typeof seedProject>[1]) => seedProject(db, seed);
    p.villages = await s({
      editionId: e2026,
      organisationId: alpha,
      category: "C1",
      title: "Digital Villages",
      country: "KE",
    });
    p.farms = await s({
      editionId: e2026,
      organisationId: beta,
      category: "C1",
      title: "Smart Farms",
      country: "FR",
    });
    p.coverage = await s({
      editionId: e2026,
      organisationId: gamma,
      category: "C3",
      title: "100% Coverage_Plan",
      country: "KE",
    });
    p.library = await s({
      editionId: e2026,
      organisationId: delta,
      category: "C3",
      title: `Reader's "Choice" Library`,
      country: "US",
    });
    p.lookalike = await s({
      editionId: e2026,
      organisationId: beta,
      category: "C5",
      title: "1000 CoverageXPlan",
      country: "FR",
    });
    p.draft = await s({
      editionId: e2026,
      organisationId: alpha,
      category: "C2",
      title: "Draft Villages",
      status: "draft",
    });
    p.rejected = await s({
      editionId: e2026,
      organisationId: beta,
      category: "C2",
      title: "Rejected Villages",
      decision: "reject",
    });
    p.undecided = await s({
      editionId: e2026,
      organisationId: gamma,
      category: "C4",
      title: "Undecided Villages",
      decision: null,
    });
    p.withdrawn = await s({
      editionId: e2026,
      organisationId: delta,
      category: "C4",
      title: "Withdrawn Villages",
      status: "withdrawn",
      decision: "nominate",
    });
    p.old = await s({
      editionId: e2025,
      organisationId: alpha,
      category: "C1",
      title: "Old Villages",
      country: "KE",
    });
    p.future = await s({ editionId: e2027, organisationId: alpha, category: "C1", title: "Future Villages" });
    p.formula = await s({
      editionId: e2026,
      organisationId: gamma,
      category: "C2",
      title: '=HYPERLINK("http://evil.example","click")',
      status: "draft",
      short: "+SUM(1,2) <script>alert(1)</script>",
    });
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  const search = (filters: ProjectFilters, page = 1, pageSize = 20, now = NOW) =>
    searchNominees({ editionId: e2026, filters, page, pageSize, now }, t.db);
  const ids = async (filters: ProjectFilters) => (await search(filters)).items.map((i) => i.id).sort();
  const sorted = (...xs: number[]) => [...xs].sort();

  it("shows only submitted, nominated projects of an edition whose nominees are published", async () => {
    expect(await ids({})).toEqual(sorted(p.villages, p.farms, p.coverage, p.library, p.lookalike));
    for (const hidden of [p.draft, p.rejected, p.undecided, p.withdrawn, p.future, p.formula]) {
      expect(await findPublicProject(hidden, NOW, t.db)).toBeUndefined();
    }
    expect(await findPublicProject(999_999, NOW, t.db)).toBeUndefined();
    expect((await findPublicProject(p.villages, NOW, t.db))?.title).toBe("Digital Villages");
    // An earlier edition with published nominees stays public.
    expect((await findPublicProject(p.old, NOW, t.db))?.edition_year).toBe(2025);
  });

  it("hides nominees until the publication instant", async () => {
    const before = new Date("2026-02-19T23:59:59.999Z");
    const at = new Date("2026-02-20T00:00:00.000Z");
    expect(await findPublicProject(p.villages, before, t.db)).toBeUndefined();
    expect((await search({}, 1, 20, before)).total).toBe(0);
    expect(await findPublicProject(p.villages, at, t.db)).toBeDefined();
  });

  it("never sends an organisation's contact details to the public page", async () => {
    const project = await findPublicProject(p.villages, NOW, t.db);
    expect(JSON.stringify(project)).not.toMatch(/contact|@example\.org/);
  });

  it("counts nominees per category, all 18 listed", async () => {
    const counts = await categoriesWithNomineeCounts(e2026, NOW, t.db);
    expect(counts).toHaveLength(18);
    const by = Object.fromEntries(counts.map((c) => [c.code, c.nominees]));
    expect(by).toMatchObject({ C1: 2, C2: 0, C3: 2, C4: 0, C5: 1, C6: 0 });
  });

  it("filters by region, stakeholder type, country and category, combined with AND", async () => {
    expect(await ids({ region: "africa" })).toEqual([p.villages]);
    expect(await ids({ region: "americas" })).toEqual(sorted(p.coverage, p.library));
    expect(await ids({ stakeholder: "government" })).toEqual([p.coverage]);
    expect(await ids({ country: "KE" })).toEqual(sorted(p.villages, p.coverage));
    expect(await ids({ categoryId: await categoryId(t.db, "C3") })).toEqual(sorted(p.coverage, p.library));
    expect(await ids({ region: "americas", country: "KE" })).toEqual([p.coverage]);
    expect(await ids({ region: "cis" })).toEqual([]);
  });

  it("searches title, short description and organisation name, case-insensitively, every word required", async () => {
    expect(await ids({ q: "villages" })).toEqual([p.villages]);
    expect(await ids({ q: "DIGITAL" })).toEqual([p.villages]);
    expect(await ids({ q: "beta" })).toEqual(sorted(p.farms, p.lookalike));
    expect(await ids({ q: "smart farms" })).toEqual([p.farms]);
    expect(await ids({ q: "smart villages" })).toEqual([]);
    expect((await ids({ q: "word159" })).length).toBe(5);
  });

  it("treats % and _ as literal characters, and quotes and backslashes as text", async () => {
    expect(await ids({ q: "%" })).toEqual([p.coverage]);
    expect(await ids({ q: "100%" })).toEqual([p.coverage]);
    expect(await ids({ q: "_" })).toEqual([p.coverage]);
    expect(await ids({ q: "Coverage_Plan" })).toEqual([p.coverage]);
    expect(await ids({ q: "CoverageXPlan" })).toEqual([p.lookalike]);
    expect(await ids({ q: "Reader's" })).toEqual([p.library]);
    expect(await ids({ q: `"Choice"` })).toEqual([p.library]);
    expect(await ids({ q: "O'Reilly" })).toEqual([p.library]);
    expect(await ids({ q: "\\" })).toEqual([]);
    expect(await ids({ q: "'; drop table projects; --" })).toEqual([]);
    expect(escapeLike("a%b_c\\d")).toBe("a\\%b\\_c\\\\d");
  });

  it("pages 20 at a time in a stable order, clamping out-of-range pages", async () => {
    const c6 = await categoryId(t.db, "C6");
    const made: number[] = [];
    try {
      for (let i = 0; i < 45; i++) {
        // One project per organisation and category: each paged project has its own organisation.
        const org = await seedOrganisation(t.db, { name: `Paging Org ${i}`, country: "DE" });
        const title = `Paged ${String(i).padStart(2, "0")}`;
        made.push(await seedProject(t.db, { editionId: e2026, organisationId: org, category: "C6", title }));
      }
      const filters = { categoryId: c6 };
      const [one, two, three] = [
        await search(filters, 1),
        await search(filters, 2),
        await search(filters, 3),
      ];
      expect([one.total, one.pageCount, one.items.length, two.items.length, three.items.length]).toEqual([
        45, 3, 20, 20, 5,
      ]);
      const seen = [...one.items, ...two.items, ...three.items].map((i) => i.id);
      expect(new Set(seen).size).toBe(45);
      expect(seen.sort()).toEqual(made.sort());
      expect(one.items[0].title).toBe("Paged 00");
      expect(three.items[4].title).toBe("Paged 44");
      const beyond = await search(filters, 99);
      expect([beyond.page, beyond.requestedPage, beyond.items.length]).toEqual([3, 99, 5]);
      const zero = await search(filters, 0);
      expect(zero.page).toBe(1);
      const none = await search({ q: "no such project anywhere" }, 5);
      expect([none.total, none.page, none.pageCount, none.items.length]).toEqual([0, 1, 1, 0]);
    } finally {
      if (made.length) await t.db.deleteFrom("projects").where("id", "in", made).execute();
    }
  });

  it("picks the current edition by default and another one with ?edition= only when published", async () => {
    expect(await catalogueEdition(null, NOW, t.db)).toMatchObject({
      kind: "published",
      edition: { year: 2026 },
    });
    expect(await catalogueEdition(2025, NOW, t.db)).toMatchObject({
      kind: "published",
      edition: { year: 2025 },
    });
    expect(await catalogueEdition(2027, NOW, t.db)).toEqual({ kind: "not-found", year: 2027 });
    expect(await catalogueEdition(1999, NOW, t.db)).toEqual({ kind: "not-found", year: 1999 });
    const in2027 = new Date("2027-03-10T00:00:00.000Z");
    expect(await catalogueEdition(null, in2027, t.db)).toMatchObject({
      kind: "not-published",
      edition: { year: 2027 },
    });
    const listing = await catalogueListing(
      { params: new URLSearchParams(), categoryId: null, now: in2027 },
      t.db,
    );
    expect(listing.results).toBeNull();
    expect(listing.editions.map((e) => e.year)).toEqual([2026, 2025]);
  });

  it("drops bad parameters with a notice instead of failing", async () => {
    const params = new URLSearchParams({
      q: "x".repeat(201),
      region: "mars",
      stakeholder: "<script>",
      country: "ZZ",
      page: "abc",
      edition: "20x6",
    });
    const listing = await catalogueListing({ params, categoryId: null, now: NOW }, t.db);
    expect(listing.notices).toHaveLength(6);
    expect(listing.query).toMatchObject({
      q: "",
      region: null,
      stakeholder: null,
      country: null,
      page: 1,
      edition: null,
    });
    expect(listing.results?.total).toBe(5);

    const ok = await catalogueListing(
      {
        params: new URLSearchParams({ country: "ke", page: "7", q: " villages\u0000 " }),
        categoryId: null,
        now: NOW,
      },
      t.db,
    );
    expect(ok.query).toMatchObject({ country: "KE", q: "villages", page: 1 });
    expect(ok.results?.items.map((i) => i.id)).toEqual([p.villages]);
    expect(ok.notices).toEqual(["There is no page 7 of these results; showing page 1."]);
  });

  it("parses route ids strictly", () => {
    expect(parseId("12")).toBe(12);
    for (const bad of [undefined, "", "0", "-1", "1.5", "1e3", "01", "abc", "99999999999", "2147483648"]) {
      expect(parseId(bad)).toBeNull();
    }
  });
});

describe.each(DIALECTS)("organiser submissions report (%s)", (dialect) => {
  let t: TestDb;
  let edition: number;
  let organiser: number;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    const db = t.db;
    edition = (await seedEdition(db, 2026, null)).id;
    const other = (await seedEdition(db, 2025, null)).id;
    const user = await db
      .insertInto("users")
      .values({
        email: "org@example.org",
        email_canonical: "org@example.org",
        name: "Organiser",
        password_hash: "x",
        email_verified_at: null,
        created_at: NOW.toISOString(),
        pending_email: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    organiser = user.id;
    const ke = await seedOrganisation(db, { name: "Kenya Org", country: "KE", region: "africa" });
    const fr = await seedOrganisation(db, {
      name: "=France Org",
      stakeholder: "private_sector",
      country: "FR",
    });
    await seedProject(db, {
      editionId: edition,
      organisationId: ke,
      category: "C1",
      title: "A",
      decision: "nominate",
    });
    await seedProject(db, {
      editionId: edition,
      organisationId: ke,
      category: "C2",
      title: "B",
      decision: "reject",
    });
    await seedProject(db, {
      editionId: edition,
      organisationId: ke,
      category: "C3",
      title: "C",
      decision: null,
    });
    await seedProject(db, {
      editionId: edition,
      organisationId: fr,
      category: "C1",
      title: "-D",
      status: "draft",
    });
    await seedProject(db, {
      editionId: edition,
      organisationId: fr,
      category: "C2",
      title: "@E <b>bold</b>",
      status: "withdrawn",
      short: 'line one\nline two, with "quotes"',
    });
    await seedProject(db, { editionId: other, organisationId: fr, category: "C1", title: "Other edition" });
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it("counts per category, region, stakeholder type and status", async () => {
    const d = await submissionsDashboard(edition, t.db);
    expect(d.totals).toEqual({
      draft: 1,
      submitted: 3,
      withdrawn: 1,
      total: 5,
      nominated: 1,
      rejected: 1,
      undecided: 1,
    });
    expect(d.byCategory).toHaveLength(18);
    expect(d.byCategory.find((c) => c.key === "C1")).toMatchObject({
      draft: 1,
      submitted: 1,
      nominated: 1,
      total: 2,
    });
    expect(d.byCategory.find((c) => c.key === "C2")).toMatchObject({
      withdrawn: 1,
      submitted: 1,
      rejected: 1,
    });
    expect(d.byRegion.find((r) => r.key === "africa")).toMatchObject({ submitted: 3, total: 3 });
    expect(d.byRegion.find((r) => r.key === "europe")).toMatchObject({ draft: 1, withdrawn: 1, total: 2 });
    expect(d.byStakeholder.find((s) => s.key === "private_sector")).toMatchObject({ total: 2 });
    expect(d.byRegion.find((r) => r.key === "cis")?.total).toBe(0);
  });

  it("lists submissions by status and decision", async () => {
    const list = (filters: Parameters<typeof listSubmissions>[0]["filters"]) =>
      listSubmissions({ editionId: edition, filters, page: 1 }, t.db).then((r) =>
        r.items.map((i) => i.title).sort(),
      );
    expect(await list({})).toHaveLength(5);
    expect(await list({ status: "draft" })).toEqual(["-D"]);
    expect(await list({ decision: "undecided", status: "submitted" })).toEqual(["C"]);
    expect(await list({ decision: "reject" })).toEqual(["B"]);
    expect(await list({ region: "europe", q: "bold" })).toEqual(["@E <b>bold</b>"]);
  });

  it("exports every submission of the edition as CSV, formulas neutralised, and audit-logs the export", async () => {
    const { csv, rows } = await exportSubmissionsCsv(
      { editionId: edition, filters: {}, actorUserId: organiser, now: NOW },
      t.db,
    );
    expect(rows).toBe(5);
    const table = parseCsv(csv);
    const header = table[0];
    const col = (name: string) => header.indexOf(name);
    expect(table).toHaveLength(6);
    const titles = table.slice(1).map((r) => r[col("title")]);
    expect(titles.sort()).toEqual(["'-D", "'@E <b>bold</b>", "A", "B", "C"]);
    expect(table.slice(1).every((r) => r.length === header.length)).toBe(true);
    const fr = table.find((r) => r[col("title")] === "'-D");
    expect(fr?.[col("organisation_name")]).toBe("'=France Org");
    expect(fr?.[col("organisation_country")]).toBe("France");
    const withdrawn = table.find((r) => r[col("status")] === "withdrawn");
    expect(withdrawn?.[col("short_description")]).toBe('line one\nline two, with "quotes"');
    expect(table.slice(1).every((r) => r[col("edition")] === "2026")).toBe(true);
    const logged = await t.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "submissions.export")
      .execute();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      actor_user_id: organiser,
      entity: "edition",
      entity_id: String(edition),
    });
  });
});
