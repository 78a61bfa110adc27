import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client";
import type { Edition } from "../../db/schema";
import {
  createProject,
  updateProject,
  withdrawProject,
  type SubmissionResult,
} from "../../app/domain/submissions.server";
import { jobsFrom } from "../../app/jobs/port.server";
import { findOwnProject, submissionOverview } from "../../app/domain/submitter.server";
import { draftProjectSchema, type ProjectFormValues, type ProjectInput } from "../../app/schemas/project";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";
import { categoryId, makeEdition, makeOrganisation, makeUser } from "../fixtures/contest";
import { completeValues, words } from "../helpers/submission-fixtures";
import { emptyLongAnswers } from "../../app/schemas/project-options";

const OPENS = new Date("2026-03-01T00:00:00.000Z");
const DEADLINE = new Date("2026-04-01T10:00:00.000Z");
const DURING = new Date("2026-03-15T09:00:00.000Z");
const JUST_BEFORE = new Date(DEADLINE.getTime() - 1);
const JUST_AFTER = new Date(DEADLINE.getTime() + 1);

/** Parses like a route would for a draft (the domain re-validates submissions itself). */
function input(values: ProjectFormValues): ProjectInput {
  return draftProjectSchema({ minLongAnswerWords: 50, currentYear: 2026 }).parse(values);
}

function expectRefused(result: SubmissionResult, status: number): Extract<SubmissionResult, { ok: false }> {
  if (result.ok) throw new Error(`expected a refusal (${status}), got ok`);
  expect(result.status).toBe(status);
  return result;
}

function expectOk(result: SubmissionResult): Extract<SubmissionResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${result.status} ${JSON.stringify(result.errors)}`);
  return result;
}

describe.each(DIALECTS)("submissions domain on %s", (dialect) => {
  let t: TestDb;
  let db: Db;
  let edition: Edition;
  let alice: { id: number; email: string };
  let bob: { id: number; email: string };
  let carol: { id: number; email: string };
  let orgA: { id: number };
  let orgB: { id: number };
  let c4: number;
  let c5: number;
  let c7: number;
  const dispatched: Array<number | null> = [];
  const dispatch = jobsFrom(async (_name, data) => {
    dispatched.push((data as { outboxId: number }).outboxId);
  });

  async function counts() {
    const [projects, outbox, flags] = await Promise.all([
      db
        .selectFrom("projects")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom("outbox")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom("project_flags")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return { projects: Number(projects.n), outbox: Number(outbox.n), flags: Number(flags.n) };
  }

  async function project(id: number) {
    return db.selectFrom("projects").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  beforeAll(async () => {
    t = await createTestDb(dialect);
    db = t.db;
    edition = await makeEdition(db, { year: 2026, opens: OPENS, closes: DEADLINE });
    alice = await makeUser(db, { email: "alice@example.org", roles: ["submitter"] });
    bob = await makeUser(db, { email: "bob@example.org", roles: ["submitter"] });
    carol = await makeUser(db, { email: "carol@example.org", roles: ["submitter"] });
    orgA = await makeOrganisation(db, {
      name: "Org <A> & Co",
      contactEmail: "contact@a.example.org",
      members: [alice.id],
    });
    orgB = await makeOrganisation(db, { name: "Org B", contactEmail: "bob@example.org", members: [bob.id] });
    c4 = await categoryId(db, "C4");
    c5 = await categoryId(db, "C5");
    c7 = await categoryId(db, "C7-EGOV");
  });
  afterAll(async () => {
    await t.cleanup();
  });

  describe("drafts", () => {
    it("saves an incomplete draft, and keeps it a draft on later saves", async () => {
      const created = expectOk(
        await createProject(
          {
            userId: alice.id,
            organisationId: orgA.id,
            input: input({ ...completeValues(c7), title: "Half done", short_description: "", impact: "" }),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
      expect(created.status).toBe("draft");
      let row = await project(created.projectId);
      expect(row).toMatchObject({
        status: "draft",
        title: "Half done",
        submitted_at: null,
        edition_id: edition.id,
      });
      expect(row.title_normalised).toBe("half done");

      expectOk(
        await updateProject(
          {
            userId: alice.id,
            projectId: created.projectId,
            input: input({ ...completeValues(c7), title: "Still half done", impact: "" }),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
      row = await project(created.projectId);
      expect(row.status).toBe("draft");
      expect(row.title).toBe("Still half done");
      expect((await counts()).outbox).toBe(0);
    });

    it("refuses an unknown category id with a field error, writing nothing", async () => {
      const before = await counts();
      const r = expectRefused(
        await createProject(
          {
            userId: alice.id,
            organisationId: orgA.id,
            input: input(completeValues(999_999)),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
        400,
      );
      expect(r.errors.category_id).toBe("Choose a category from the list.");
      expect(await counts()).toEqual(before);
    });

    it("re-validates caps in the domain even if a caller skipped the schema", async () => {
      const bad: ProjectInput = { ...input(completeValues(c5)), title: "x".repeat(10_240), sdgs: [0, 18] };
      const before = await counts();
      const r = expectRefused(
        await createProject(
          { userId: alice.id, organisationId: orgA.id, input: bad, intent: "save", now: DURING },
          db,
          dispatch,
        ),
        400,
      );
      expect(r.errors.title).toMatch(/at most 150 characters/);
      expect(r.errors.sdgs).toBe("Choose goals from 1 to 17.");
      expect(await counts()).toEqual(before);
    });
  });

  describe("ownership", () => {
    it("treats another organisation's project as missing (404) and writes nothing", async () => {
      const mine = expectOk(
        await createProject(
          {
            userId: bob.id,
            organisationId: orgB.id,
            input: input({ ...completeValues(c5), title: "Bob's draft" }),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
      const before = await counts();
      const snapshot = await project(mine.projectId);
      expectRefused(
        await updateProject(
          {
            userId: alice.id,
            projectId: mine.projectId,
            input: input(completeValues(c5)),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
        404,
      );
      expectRefused(
        await withdrawProject({ userId: alice.id, projectId: mine.projectId, now: DURING }, db),
        404,
      );
      expectRefused(
        await createProject(
          {
            userId: alice.id,
            organisationId: orgB.id,
            input: input(completeValues(c4)),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
        404,
      );
      expectRefused(
        await updateProject(
          {
            userId: alice.id,
            projectId: 987_654,
            input: input(completeValues(c4)),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
        404,
      );
      expect(await findOwnProject(alice.id, mine.projectId, db)).toBeUndefined();
      expect(await findOwnProject(bob.id, mine.projectId, db)).toBeDefined();
      expect(await counts()).toEqual(before);
      expect(await project(mine.projectId)).toEqual(snapshot);
    });
  });

  describe("submit, edit, withdraw", () => {
    let id: number;

    it("refuses an incomplete submission with an error per field, writing nothing", async () => {
      const before = await counts();
      const r = expectRefused(
        await createProject(
          {
            userId: alice.id,
            organisationId: orgA.id,
            input: input({
              ...completeValues(c4),
              short_description: words(120),
              impact: words(49),
              sdgs: [],
              country: "",
            }),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
        400,
      );
      expect(r.errors).toMatchObject({
        short_description: "The short description needs 150 to 200 words; it has 120.",
        impact: "Impact needs at least 50 words; it has 49.",
        sdgs: "Choose at least one Sustainable Development Goal.",
        country: "Choose the country of implementation.",
      });
      expect(await counts()).toEqual(before);
    });

    it("submits: status, audit, confirmation email to the contact and the submitter (HTML escaped)", async () => {
      dispatched.length = 0;
      const title = `<script>alert("x")</script> Skills & schools`;
      const r = expectOk(
        await createProject(
          {
            userId: alice.id,
            organisationId: orgA.id,
            input: input(completeValues(c4, { title })),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
      id = r.projectId;
      expect(r.status).toBe("submitted");
      const row = await project(id);
      expect(row.status).toBe("submitted");
      expect(row.submitted_at).toBe(DURING.toISOString());
      expect(row.title).toBe(title);
      expect(row.sdgs).toBe("4,17");

      const mails = await db
        .selectFrom("outbox")
        .selectAll()
        .where("kind", "=", "project_submitted")
        .orderBy("to_address")
        .execute();
      expect(mails.map((m) => m.to_address)).toEqual(["alice@example.org", "contact@a.example.org"]);
      expect(mails.map((m) => m.idempotency_key).sort()).toEqual([
        `project-submitted:${id}:alice@example.org`,
        `project-submitted:${id}:contact@a.example.org`,
      ]);
      expect(dispatched.sort()).toEqual(mails.map((m) => m.id).sort());
      for (const m of mails) {
        expect(m.subject).toBe("Project submitted to the WSIS Prizes 2026");
        expect(m.html).not.toContain("<script>");
        expect(m.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Skills &amp; schools");
        expect(m.html).toContain("Org &lt;A&gt; &amp; Co");
        expect(m.html).toContain(`/submissions/${id}`);
        expect(m.text).toContain(title);
        expect(m.text).toContain("C4 — Capacity building");
      }
      const audits = await db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "project.submit")
        .execute();
      expect(audits.map((a) => a.entity_id)).toContain(String(id));
    });

    it("edits a submitted project only if it stays valid; no second email", async () => {
      const before = await counts();
      const r = expectRefused(
        await updateProject(
          {
            userId: alice.id,
            projectId: id,
            input: input(completeValues(c4, { short_description: words(100) })),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
        400,
      );
      expect(r.errors.short_description).toMatch(/it has 100/);
      expect((await project(id)).short_description).toBe(words(170, "desc"));

      const later = new Date(DURING.getTime() + 60_000);
      expectOk(
        await updateProject(
          {
            userId: alice.id,
            projectId: id,
            input: input(completeValues(c4, { title: "Skills for schools", impact: words(80, "new") })),
            intent: "save",
            now: later,
          },
          db,
          dispatch,
        ),
      );
      const row = await project(id);
      expect(row).toMatchObject({
        status: "submitted",
        title: "Skills for schools",
        submitted_at: DURING.toISOString(),
      });
      expect(row.updated_at).toBe(later.toISOString());
      expect((await counts()).outbox).toBe(before.outbox);
    });

    it("withdraws, then re-submits without a second confirmation email", async () => {
      const before = await counts();
      expectOk(await withdrawProject({ userId: alice.id, projectId: id, now: DURING }, db));
      expect(await project(id)).toMatchObject({ status: "withdrawn", submitted_at: null });
      expectRefused(await withdrawProject({ userId: alice.id, projectId: id, now: DURING }, db), 409);

      // Saving a withdrawn project makes it a draft again; submitting it queues nothing new.
      expectOk(
        await updateProject(
          {
            userId: alice.id,
            projectId: id,
            input: input(completeValues(c4, { title: "Skills for schools" })),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
      expect((await project(id)).status).toBe("draft");
      expectOk(
        await updateProject(
          {
            userId: alice.id,
            projectId: id,
            input: input(completeValues(c4, { title: "Skills for schools" })),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
      expect((await project(id)).status).toBe("submitted");
      expect((await counts()).outbox).toBe(before.outbox);
      const audits = await db
        .selectFrom("audit_log")
        .select("action")
        .where("entity_id", "=", String(id))
        .orderBy("id")
        .execute();
      expect(audits.map((a) => a.action)).toEqual(["project.submit", "project.withdraw", "project.submit"]);
    });

    it("uses the edition's minimum for long answers", async () => {
      await db
        .updateTable("editions")
        .set({ min_long_answer_words: 70 })
        .where("id", "=", edition.id)
        .execute();
      try {
        const r = expectRefused(
          await updateProject(
            {
              userId: alice.id,
              projectId: id,
              input: input(completeValues(c4, { title: "Skills for schools" })),
              intent: "save",
              now: DURING,
            },
            db,
            dispatch,
          ),
          400,
        );
        expect(r.errors.action_line_linkage).toBe(
          "Linkage to the Action Line needs at least 70 words; it has 60.",
        );
      } finally {
        await db
          .updateTable("editions")
          .set({ min_long_answer_words: 50 })
          .where("id", "=", edition.id)
          .execute();
      }
    });
  });

  describe("the deadline (the server decides)", () => {
    let id: number;
    beforeAll(async () => {
      const r = expectOk(
        await createProject(
          {
            userId: carol.id,
            organisationId: (
              await makeOrganisation(db, {
                name: "Org C",
                contactEmail: "c@c.example.org",
                members: [carol.id],
              })
            ).id,
            input: input(
              completeValues(c4, { title: "Deadline project", short_description: words(160, "deadline") }),
            ),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
      id = r.projectId;
    });

    it("accepts changes 1 ms before the deadline", async () => {
      expectOk(
        await updateProject(
          {
            userId: carol.id,
            projectId: id,
            input: input(
              completeValues(c4, { title: "Deadline project", short_description: words(160, "deadline") }),
            ),
            intent: "submit",
            now: JUST_BEFORE,
          },
          db,
          dispatch,
        ),
      );
      expect((await project(id)).submitted_at).toBe(JUST_BEFORE.toISOString());
    });

    it.each([
      ["at", DEADLINE],
      ["1 ms after", JUST_AFTER],
      ["a year after", new Date(DEADLINE.getTime() + 365 * 24 * 3600 * 1000)],
    ])("refuses every change %s the deadline with a clear message, writing nothing", async (_label, now) => {
      const before = await counts();
      const snapshot = await project(id);
      const carolOrg = snapshot.organisation_id;
      const results = [
        await updateProject(
          {
            userId: carol.id,
            projectId: id,
            input: input(completeValues(c4, { title: "Late edit" })),
            intent: "save",
            now,
          },
          db,
          dispatch,
        ),
        await updateProject(
          {
            userId: carol.id,
            projectId: id,
            input: input(completeValues(c4, { title: "Late edit" })),
            intent: "submit",
            now,
          },
          db,
          dispatch,
        ),
        await withdrawProject({ userId: carol.id, projectId: id, now }, db),
        await createProject(
          {
            userId: carol.id,
            organisationId: carolOrg,
            input: input(completeValues(c5)),
            intent: "save",
            now,
          },
          db,
          dispatch,
        ),
      ];
      for (const r of results) {
        const refused = expectRefused(r, 409);
        expect(refused.errors.form).toMatch(
          /^The submission deadline of the WSIS Prizes 2026 passed on 1 Apr 2026, 12:00 \(Europe\/Zurich\)/,
        );
      }
      expect(await counts()).toEqual(before);
      expect(await project(id)).toEqual(snapshot);
    });

    it("refuses changes before the phase opens", async () => {
      const r = expectRefused(
        await updateProject(
          {
            userId: carol.id,
            projectId: id,
            input: input(completeValues(c4)),
            intent: "save",
            now: new Date(OPENS.getTime() - 1),
          },
          db,
          dispatch,
        ),
        409,
      );
      expect(r.errors.form).toMatch(/open on 1 Mar 2026/);
    });
  });

  describe("one project per organisation per category", () => {
    it("names the existing project when the category is taken (create or move)", async () => {
      const before = await counts();
      const existing = await db
        .selectFrom("projects")
        .select(["id", "title"])
        .where("organisation_id", "=", orgA.id)
        .where("category_id", "=", c4)
        .executeTakeFirstOrThrow();
      const r = expectRefused(
        await createProject(
          {
            userId: alice.id,
            organisationId: orgA.id,
            input: input(completeValues(c4, { title: "Another" })),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
        409,
      );
      expect(r.errors.category_id).toContain(`“${existing.title}”`);
      expect(r.existing).toEqual(existing);
      expect(await counts()).toEqual(before);

      // Moving the C7 draft into C4 hits the same constraint.
      const draft = await db
        .selectFrom("projects")
        .select("id")
        .where("organisation_id", "=", orgA.id)
        .where("category_id", "=", c7)
        .executeTakeFirstOrThrow();
      const moved = expectRefused(
        await updateProject(
          {
            userId: alice.id,
            projectId: draft.id,
            input: input(completeValues(c4, { title: "Moved" })),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
        409,
      );
      expect(moved.existing?.id).toBe(existing.id);
      expect((await project(draft.id)).category_id).toBe(c7);
    });
  });

  describe("duplicates and flags", () => {
    const original = { title: "Mobile health for mothers", short_description: words(180, "mh") };
    let originalId: number;
    let dave: { id: number };
    let orgD: { id: number };

    beforeAll(async () => {
      dave = await makeUser(db, { email: "dave@example.org", roles: ["submitter"] });
      orgD = await makeOrganisation(db, {
        name: "Org D",
        contactEmail: "d@d.example.org",
        members: [dave.id],
      });
      originalId = expectOk(
        await createProject(
          {
            userId: bob.id,
            organisationId: orgB.id,
            input: input(completeValues(c4, original)),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
      ).projectId;
    });

    it("refuses an exact duplicate from another organisation (case and punctuation ignored) without naming it", async () => {
      const before = await counts();
      const copy = {
        title: "MOBILE HEALTH — for mothers!",
        short_description: `${original.short_description}.`,
      };
      const r = expectRefused(
        await createProject(
          {
            userId: dave.id,
            organisationId: orgD.id,
            input: input(completeValues(c4, copy)),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
        409,
      );
      expect(r.errors.title).toBe(
        "The same project may not be submitted twice: a project with this title and short description has already been submitted in this edition by another organisation.",
      );
      expect(r.existing).toBeUndefined();
      expect(await counts()).toEqual(before);

      // As a draft it may be saved (drafts are private and may be reworked).
      expectOk(
        await createProject(
          {
            userId: dave.id,
            organisationId: orgD.id,
            input: input(completeValues(c5, copy)),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
    });

    it("refuses an exact duplicate in another category of the same organisation, naming it", async () => {
      const r = expectRefused(
        await createProject(
          {
            userId: bob.id,
            organisationId: orgB.id,
            input: input(completeValues(c7, original)),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
        409,
      );
      expect(r.errors.title).toContain(
        "is already submitted by your organisation: “Mobile health for mothers”",
      );
      expect(r.existing).toEqual({ id: originalId, title: original.title });
    });

    it("flags near-duplicates both ways with their score, and re-computes on re-submit", async () => {
      const near = {
        title: "Mobile health for mothers",
        short_description: `${words(178, "mh")} slightly different`,
      };
      const nearId = expectOk(
        await createProject(
          {
            userId: dave.id,
            organisationId: orgD.id,
            input: input(completeValues(c7, near)),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
      ).projectId;
      const flags = await db
        .selectFrom("project_flags")
        .selectAll()
        .where("kind", "=", "near_duplicate")
        .orderBy("project_id")
        .execute();
      const pair = flags.filter((f) => [originalId, nearId].includes(f.project_id));
      expect(pair.map((f) => [f.project_id, f.match_project_id])).toEqual([
        [originalId, nearId],
        [nearId, originalId],
      ]);
      for (const f of pair) {
        expect(f.score).toBeGreaterThanOrEqual(0.8);
        expect(f.score).toBeLessThan(1);
      }

      // Rewritten: no longer similar, both flags go.
      expectOk(
        await updateProject(
          {
            userId: dave.id,
            projectId: nearId,
            input: input(
              completeValues(c7, { title: "Something else", short_description: words(170, "other") }),
            ),
            intent: "save",
            now: DURING,
          },
          db,
          dispatch,
        ),
      );
      const after = await db
        .selectFrom("project_flags")
        .selectAll()
        .where((eb) => eb.or([eb("project_id", "=", nearId), eb("match_project_id", "=", nearId)]))
        .execute();
      expect(after).toEqual([]);
    });

    it("clears flags on withdrawal", async () => {
      const near = {
        title: "Mobile health for all mothers",
        short_description: `${words(179, "mh")} changed`,
      };
      const carolOrg = await makeOrganisation(db, {
        name: "Org E",
        contactEmail: "e@e.example.org",
        members: [carol.id],
      });
      const nearId = expectOk(
        await createProject(
          {
            userId: carol.id,
            organisationId: carolOrg.id,
            input: input(completeValues(c4, near)),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
      ).projectId;
      const involving = () =>
        db
          .selectFrom("project_flags")
          .selectAll()
          .where((eb) => eb.or([eb("project_id", "=", nearId), eb("match_project_id", "=", nearId)]))
          .execute();
      expect((await involving()).length).toBe(2);
      expectOk(await withdrawProject({ userId: carol.id, projectId: nearId, now: DURING }, db));
      expect(await involving()).toEqual([]);
    });

    it("flags earlier editions' winners: near-duplicate text, and previous winner for the same organisation", async () => {
      const old = await makeEdition(db, {
        year: 2024,
        opens: new Date("2024-01-01T00:00:00Z"),
        closes: new Date("2024-02-01T00:00:00Z"),
      });
      const insertOld = async (
        organisationId: number,
        title: string,
        description: string,
        kind: "winner" | "champion",
      ) => {
        const row = await db
          .insertInto("projects")
          .values({
            edition_id: old.id,
            organisation_id: organisationId,
            category_id: kind === "winner" ? c4 : c5,
            status: "submitted",
            title,
            website: null,
            country: "KE",
            start_year: 2019,
            implementation_status: "completed",
            short_description: description,
            sdgs: "4",
            gdc_objectives: "1",
            ...emptyLongAnswers(),
            fingerprint: "",
            title_normalised: title.toLowerCase(),
            submitted_at: "2024-01-10T00:00:00.000Z",
            created_at: "2024-01-10T00:00:00.000Z",
            updated_at: "2024-01-10T00:00:00.000Z",
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await db
          .insertInto("awards")
          .values({ project_id: row.id, kind, edition_id: old.id, created_at: "2024-06-01T00:00:00.000Z" })
          .execute();
        return row.id;
      };
      const winnerId = await insertOld(orgA.id, "Village connect Kenya", words(170, "vc"), "winner");
      const championId = await insertOld(orgA.id, "Solar schools network", words(170, "ss"), "champion");

      // Organisation A: similar title to its earlier winner, different text → previous_winner only.
      const again = expectOk(
        await createProject(
          {
            userId: alice.id,
            organisationId: orgA.id,
            input: input(
              completeValues(c5, {
                title: "Village Connect Kenya, phase 2",
                short_description: words(170, "phase2"),
              }),
            ),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
      ).projectId;
      // Organisation D: copies the winner's text → near_duplicate of the winner, not previous_winner (other org).
      const copy = expectOk(
        await createProject(
          {
            userId: dave.id,
            organisationId: orgD.id,
            input: input(
              completeValues(c4, {
                title: "Village connect Kenya",
                short_description: `${words(169, "vc")} extra`,
              }),
            ),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
      ).projectId;
      // Organisation A: same title as an earlier *champion* (not a winner) → nothing.
      const notWinner = expectOk(
        await updateProject(
          {
            userId: alice.id,
            projectId: (
              await db
                .selectFrom("projects")
                .select("id")
                .where("organisation_id", "=", orgA.id)
                .where("category_id", "=", c7)
                .executeTakeFirstOrThrow()
            ).id,
            input: input(
              completeValues(c7, { title: "Solar schools network", short_description: words(170, "solar2") }),
            ),
            intent: "submit",
            now: DURING,
          },
          db,
          dispatch,
        ),
      ).projectId;

      const flagsOf = (id: number) =>
        db
          .selectFrom("project_flags")
          .select(["kind", "match_project_id", "score"])
          .where("project_id", "=", id)
          .orderBy("kind")
          .execute();
      expect(await flagsOf(again)).toEqual([
        { kind: "previous_winner", match_project_id: winnerId, score: 0.5 },
      ]);
      const copyFlags = await flagsOf(copy);
      expect(copyFlags.map((f) => [f.kind, f.match_project_id])).toEqual([["near_duplicate", winnerId]]);
      expect(await flagsOf(notWinner)).toEqual([]);
      // The old winner itself gets no flag (earlier editions are not re-reviewed).
      expect(await flagsOf(winnerId)).toEqual([]);
      expect(await flagsOf(championId)).toEqual([]);
    });
  });

  describe("the submitter's list", () => {
    it("shows each project's status, and the nomination outcome only once nominees are published", async () => {
      const overview = await submissionOverview(alice.id, DURING, db);
      expect(overview.edition?.id).toBe(edition.id);
      expect(overview.window?.open).toBe(true);
      expect(overview.organisations.map((o) => o.id)).toEqual([orgA.id]);
      expect(overview.projects.every((p) => p.organisation_id === orgA.id)).toBe(true);
      const submitted = overview.projects.find((p) => p.category_code === "C4");
      expect(submitted?.status).toBe("submitted");
      expect(overview.projects.every((p) => p.outcome === null)).toBe(true);

      const ids = overview.projects.filter((p) => p.status === "submitted").map((p) => p.id);
      await db
        .insertInto("nomination_decisions")
        .values({
          project_id: ids[0],
          decision: "nominate",
          reason: null,
          reason_text: null,
          decided_by: null,
          decided_at: DURING.toISOString(),
        })
        .execute();
      await db
        .insertInto("nomination_decisions")
        .values({
          project_id: ids[1],
          decision: "reject",
          reason: "other",
          reason_text: "x",
          decided_by: null,
          decided_at: DURING.toISOString(),
        })
        .execute();
      expect((await submissionOverview(alice.id, DURING, db)).projects.every((p) => p.outcome === null)).toBe(
        true,
      );
      expect((await findOwnProject(alice.id, ids[0], db))?.outcome).toBeNull();

      await db
        .updateTable("editions")
        .set({ nominees_published_at: DURING.toISOString() })
        .where("id", "=", edition.id)
        .execute();
      const published = await submissionOverview(alice.id, DURING, db);
      expect(published.projects.find((p) => p.id === ids[0])?.outcome).toBe("nominated");
      expect(published.projects.find((p) => p.id === ids[1])?.outcome).toBe("not_nominated");
      expect((await findOwnProject(alice.id, ids[0], db))?.outcome).toBe("nominated");
    });

    it("is empty for a user without organisations", async () => {
      const loner = await makeUser(db, { email: "loner@example.org", roles: ["submitter"] });
      const overview = await submissionOverview(loner.id, DURING, db);
      expect(overview.organisations).toEqual([]);
      expect(overview.projects).toEqual([]);
    });
  });
});
