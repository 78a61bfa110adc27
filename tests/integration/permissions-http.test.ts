import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inviteMember } from "../../app/domain/organisations.server";
import { CRITERIA } from "../../app/schemas/selection";
import type { Project, Role } from "../../db/schema";
import { categoryId, makeEdition, makeOrganisation, makeProject, makeUser } from "../fixtures/contest";
import { expertStagesWorld } from "../fixtures/expert-stages";
import { Client, startApp, type RunningApp } from "../helpers/app";
import { createTestDb, DIALECTS, type TestDb } from "../helpers/db";
import { readyContest } from "../helpers/results-fixtures";
import { signInDirectly } from "../helpers/session";
import { completeValues, words } from "../helpers/submission-fixtures";
import { editionForm } from "../helpers/forms";

/**
 * Who may read and change what in every phase (issue 3 §5, issue 10 §4), over HTTP against the built app:
 * every loader and action of the submission and nomination phases, voting, the jury and the organisers'
 * pages, for every kind of actor. This table is the
 * specification; each cell is one test.
 *
 * Actors: anonymous; voter (signed in, no other role); own = submitter, member of organisation OWN, which
 * owns every draft and project below unless said otherwise; other = submitter of another organisation;
 * expert = expert assigned to C4 at the nomination stage and at the selection stage of :sel; expert-own = the
 * same assignments, and a member (and so a submitter) of OWN; organiser.
 *
 * Targets: :own = OWN; :draft = OWN's draft in the edition open for submissions (:sub); :submitted = a
 * submitted project of OWN in :sub; :candidate = OWN's submitted project in C4 of the edition in its
 * nomination phase (:nom), undecided; :elsewhere = another organisation's project in C9 of :nom;
 * :nominee = another organisation's nominated project in C4 of the edition whose nominees are published
 * (:pub); :rejected = OWN's rejected project in C5 of :pub; :token = an invitation to OWN addressed to
 * someone who is none of the actors. Voting and selection: :sel = an edition in its selection phase, with
 * :champion (another organisation's champion in C4), :finalist (OWN's champion in C4) and :unassigned (a
 * champion in C9, where no actor is assigned); :ready = an edition whose winners are confirmed, ready to
 * publish; POST /vote casts a vote for :nominee.
 *
 * Outcomes: login = 302 to /login?redirectTo=<this URL>; ok = 200 showing the target (its title or name);
 * hides = 200 without any trace of the target; done = the action's redirect (or, for an action that answers
 * with its page, that status) and the row changed;
 * 403 / 404 = that status, no trace of the target. Every refused POST leaves its rows exactly as they were.
 * Rows run in order and POST rows keep their effect: :candidate stays nominated (but unpublished) after
 * the review rows, the publish row publishes :nom, and POST /organisations/new comes last because it makes
 * its actor a submitter. POST /vote answers 303, not 302 (it is served beside Remix, DESIGN §8).
 */
const TABLE = `
route                                   | anonymous | voter | own   | other | expert | expert-own | organiser
GET  /organisations                     | login     | hides | ok    | hides | hides  | ok         | hides
GET  /organisations/new                 | login     | ok    | ok    | ok    | ok     | ok         | ok
GET  /organisations/:own                | login     | 404   | ok    | 404   | 404    | ok         | 404
POST /organisations/:own update         | login     | 404   | done  | 404   | 404    | done       | 404
POST /organisations/:own invite         | login     | 404   | done  | 404   | 404    | done       | 404
POST /organisations/:own remove         | login     | 404   | done  | 404   | 404    | done       | 404
GET  /invitations/:token                | login     | 403   | 403   | 403   | 403    | 403        | 403
POST /invitations/:token                | login     | 403   | 403   | 403   | 403    | 403        | 403
GET  /submissions                       | login     | 403   | ok    | hides | 403    | ok         | 403
GET  /submissions/new?organisation=:own | login     | 403   | ok    | 404   | 403    | ok         | 403
POST /submissions/new?organisation=:own | login     | 403   | done  | 404   | 403    | done       | 403
GET  /submissions/:draft                | login     | 403   | ok    | 404   | 403    | ok         | 403
POST /submissions/:draft save           | login     | 403   | done  | 404   | 403    | done       | 403
POST /submissions/:draft submit         | login     | 403   | done  | 404   | 403    | done       | 403
POST /submissions/:submitted withdraw   | login     | 403   | done  | 404   | 403    | done       | 403
GET  /review?edition=:nom               | login     | 403   | 403   | 403   | ok     | hides      | ok
GET  /review/:candidate                 | login     | 403   | 403   | 403   | ok     | 404        | ok
POST /review/:candidate nominate        | login     | 403   | 403   | 403   | done   | 404        | done
GET  /review?edition=:nom&category=C9   | login     | 403   | 403   | 403   | hides  | hides      | ok
GET  /review/:draft                     | login     | 403   | 403   | 403   | 404    | 404        | 404
GET  /review/:elsewhere                 | login     | 403   | 403   | 403   | 404    | 404        | ok
POST /review/:elsewhere nominate        | login     | 403   | 403   | 403   | 404    | 404        | done
GET  /review/:nominee                   | login     | 403   | 403   | 403   | 404    | 404        | ok
GET  /categories                        | ok        | ok    | ok    | ok    | ok     | ok         | ok
GET  /categories/C4?edition=:pub        | ok        | ok    | ok    | ok    | ok     | ok         | ok
GET  /categories/C5?edition=:pub        | hides     | hides | hides | hides | hides  | hides      | hides
GET  /projects?edition=:pub             | ok        | ok    | ok    | ok    | ok     | ok         | ok
GET  /projects?edition=:sub             | 404       | 404   | 404   | 404   | 404    | 404        | 404
GET  /projects/:nominee                 | ok        | ok    | ok    | ok    | ok     | ok         | ok
GET  /projects/:draft                   | 404       | 404   | 404   | 404   | 404    | 404        | 404
GET  /projects/:candidate               | 404       | 404   | 404   | 404   | 404    | 404        | 404
GET  /projects/:rejected                | 404       | 404   | 404   | 404   | 404    | 404        | 404
GET  /admin/submissions?edition=:sub    | login     | 403   | 403   | 403   | 403    | 403        | ok
GET  /admin/submissions.csv?edition=:sub| login     | 403   | 403   | 403   | 403    | 403        | ok
GET  /admin/experts?edition=:nom        | login     | 403   | 403   | 403   | 403    | 403        | ok
POST /admin/experts assign              | login     | 403   | 403   | 403   | 403    | 403        | done
GET  /admin/nomination?edition=:nom     | login     | 403   | 403   | 403   | 403    | 403        | ok
POST /admin/nomination publish          | login     | 403   | 403   | 403   | 403    | 403        | done
POST /vote :nominee                     | login     | done  | 403   | 403   | 403    | 403        | 403
GET  /votes                             | login     | ok    | hides | hides | hides  | hides      | hides
GET  /jury                              | login     | 403   | 403   | 403   | ok     | ok         | 403
GET  /jury/:champion                    | login     | 403   | 403   | 403   | ok     | ok         | 403
POST /jury/:champion save               | login     | 403   | 403   | 403   | done   | done       | 403
GET  /jury/:finalist                    | login     | 403   | 403   | 403   | ok     | 404        | 403
POST /jury/:finalist save               | login     | 403   | 403   | 403   | done   | 404        | 403
GET  /jury/:unassigned                  | login     | 403   | 403   | 403   | 404    | 404        | 403
POST /jury/:unassigned save             | login     | 403   | 403   | 403   | 404    | 404        | 403
GET  /admin/selection?edition=:sel      | login     | 403   | 403   | 403   | 403    | 403        | ok
POST /admin/selection assign            | login     | 403   | 403   | 403   | 403    | 403        | done
GET  /admin/voting?edition=:pub         | login     | 403   | 403   | 403   | 403    | 403        | ok
POST /admin/voting invalidate-vote      | login     | 403   | 403   | 403   | 403    | 403        | done
GET  /admin/results?edition=:ready      | login     | 403   | 403   | 403   | 403    | 403        | ok
POST /admin/results publish             | login     | 403   | 403   | 403   | 403    | 403        | done
GET  /admin                             | login     | 403   | 403   | 403   | 403    | 403        | ok
GET  /admin/outbox                      | login     | 403   | 403   | 403   | 403    | 403        | ok
GET  /admin/audit                       | login     | 403   | 403   | 403   | 403    | 403        | ok
GET  /admin/users                       | login     | 403   | 403   | 403   | 403    | 403        | ok
POST /admin/users grant                 | login     | 403   | 403   | 403   | 403    | 403        | done
GET  /admin/editions                    | login     | 403   | 403   | 403   | 403    | 403        | ok
POST /admin/editions create             | login     | 403   | 403   | 403   | 403    | 403        | done
POST /organisations/new                 | login     | done  | done  | done  | done   | done       | done
`;

const ACTORS = ["anonymous", "voter", "own", "other", "expert", "expert-own", "organiser"] as const;
type Actor = (typeof ACTORS)[number];
const OUTCOMES = ["login", "ok", "hides", "done", "403", "404"] as const;
type Outcome = (typeof OUTCOMES)[number];

/** The table as rows of outcomes, one per actor in ACTORS order. */
function parseTable(text: string): Array<{ label: string; outcomes: Outcome[] }> {
  const [header, ...lines] = text
    .trim()
    .split("\n")
    .map((line) => line.split("|").map((cell) => cell.trim()));
  if (header.slice(1).join() !== ACTORS.join()) throw new Error("the table's columns are not the actors");
  return lines.map(([label, ...cells]) => {
    const outcomes = cells.flatMap((cell) => OUTCOMES.filter((o) => o === cell));
    if (outcomes.length !== ACTORS.length) throw new Error(`bad table row: ${label}`);
    return { label: label.replace(/\s+/g, " "), outcomes };
  });
}

const ROWS = parseTable(TABLE);

/** How to exercise one table row. */
interface Route {
  path: string;
  /** Where the sign-in page comes back to, when not `path`. */
  back?: string;
  /** The status of this route's redirects (302 unless said otherwise). */
  redirect?: 303;
  /** Text that identifies the target on a page: present when the outcome is "ok", absent otherwise. */
  target?: string;
  /** POST rows: the form, the rows it may change, the redirect when allowed, and a reset before each actor. */
  post?: {
    fields(actor: Actor): Record<string, string>;
    state(): Promise<unknown>;
    /** Where an allowed POST redirects: this exact URL, or one matching the pattern; or the status it answers. */
    done?: string | RegExp | 200;
    reset?(): Promise<void>;
  };
}

const OWN_NAME = "Own organisation Oaktree";
const DRAFT_TITLE = "Draft of Oaktree water kiosks";
const SUBMITTED_TITLE = "Submitted Oaktree school radio";
const CANDIDATE_TITLE = "Candidate Oaktree telehealth";
const ELSEWHERE_TITLE = "Elsewhere media literacy";
const NOMINEE_TITLE = "Nominee open maps";
const REJECTED_TITLE = "Rejected Oaktree kiosk";
const CHAMPION_TITLE = "Champion rural broadband";
const FINALIST_TITLE = "Finalist Oaktree e-learning";
const UNASSIGNED_TITLE = "Unassigned media champion";

for (const dialect of DIALECTS) {
  describe(`permission table over HTTP (${dialect})`, () => {
    let t: TestDb;
    let app: RunningApp;
    const clients: Record<string, Client> = {};
    const routes: Record<string, Route> = {};

    beforeAll(async () => {
      t = await createTestDb(dialect);
      app = await startApp({ databaseUrl: t.url });
      const db = t.db;
      const now = new Date();
      const sub = await makeEdition(db, { phase: "submission", now, published: false, year: 2090 });
      const nom = await makeEdition(db, { phase: "nomination", now, published: false, year: 2089 });
      const pub = await makeEdition(db, { phase: "voting", now, year: 2088 });
      const cat = (code: string) => categoryId(db, code);

      const roles: Record<Actor, Role[]> = {
        anonymous: [],
        voter: ["voter"],
        own: ["submitter"],
        other: ["submitter"],
        expert: ["expert"],
        "expert-own": ["expert", "submitter"],
        organiser: ["organiser"],
      };
      const ids: Record<string, number> = {};
      for (const actor of ACTORS) {
        clients[actor] = new Client(app.url);
        if (actor === "anonymous") continue;
        ids[actor] = (await makeUser(db, { roles: roles[actor] })).id;
        await signInDirectly(db, clients[actor], ids[actor]);
      }
      // One member of OWN per actor for that actor to try to remove, so every refusal has something to refuse.
      const spare: Record<string, number> = {};
      for (const actor of ACTORS) spare[actor] = (await makeUser(db, { roles: ["submitter"] })).id;
      const spareExpert = (await makeUser(db, { roles: ["expert"] })).id;

      const own = (
        await makeOrganisation(db, {
          name: OWN_NAME,
          contactEmail: "contact@oaktree.example.org",
          members: [ids.own, ids["expert-own"], ...Object.values(spare)],
        })
      ).id;
      const other = (
        await makeOrganisation(db, {
          name: "Other organisation",
          contactEmail: "x@other.example.org",
          members: [ids.other],
        })
      ).id;
      const [c4, c5, c6, c9] = await Promise.all(["C4", "C5", "C6", "C9"].map(cat));
      for (const actor of ["expert", "expert-own"]) {
        await db
          .insertInto("expert_assignments")
          .values({
            edition_id: nom.id,
            user_id: ids[actor],
            category_id: c4,
            stage: "nomination",
            created_at: now.toISOString(),
          })
          .execute();
      }

      const project = async (
        editionId: number,
        organisationId: number,
        categoryCode: string,
        title: string,
        decision: "nominate" | "reject" | null = null,
      ) => makeProject(db, { editionId, organisationId, categoryCode, title, decision });
      const draft = await db
        .updateTable("projects")
        .set({ status: "draft", submitted_at: null })
        .where("id", "=", (await project(sub.id, own, "C4", DRAFT_TITLE)).id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const submitted = await project(sub.id, own, "C8", SUBMITTED_TITLE);
      const candidate = await project(nom.id, own, "C4", CANDIDATE_TITLE);
      const elsewhere = await project(nom.id, other, "C9", ELSEWHERE_TITLE);
      const nominee = await project(pub.id, other, "C4", NOMINEE_TITLE, "nominate");
      const rejected = await project(pub.id, own, "C5", REJECTED_TITLE, "reject");
      const invitation = await inviteMember(
        { userId: ids.own, organisationId: own, email: "colleague@example.org", now },
        db,
      );
      if (!invitation.ok) throw new Error("could not invite");

      // Voting and selection: :sel with its latest tally's champions, experts assigned to C4 for the jury.
      const world = expertStagesWorld(db, now);
      const sel = await world.edition(2087, "selection");
      const champion = await project(sel.id, other, "C4", CHAMPION_TITLE, "nominate");
      const finalist = await project(sel.id, own, "C4", FINALIST_TITLE, "nominate");
      const unassigned = await project(sel.id, other, "C9", UNASSIGNED_TITLE, "nominate");
      await world.tally(sel.id, [
        { projectId: champion.id, categoryId: c4, votes: 30, rank: 1, champion: true },
        { projectId: finalist.id, categoryId: c4, votes: 20, rank: 2, champion: true },
        { projectId: unassigned.id, categoryId: c9, votes: 10, rank: 1, champion: true },
      ]);
      for (const actor of ["expert", "expert-own"]) await world.assign(sel.id, ids[actor], c4, "selection");
      const ready = (await readyContest(db, { now, year: 2086 })).edition;
      // A vote of someone who is none of the actors, for the organisers to invalidate.
      const spareVoter = (await makeUser(db, { roles: ["voter"] })).id;
      const spareVote = (
        await db
          .insertInto("votes")
          .values({
            edition_id: pub.id,
            category_id: c4,
            project_id: nominee.id,
            voter_id: spareVoter,
            ip: "192.0.2.1",
            network: "192.0.2.0/24",
            created_at: now.toISOString(),
          })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;

      const members = () =>
        db
          .selectFrom("organisation_members")
          .select("user_id")
          .where("organisation_id", "=", own)
          .orderBy("user_id")
          .execute();
      const ownProjects = () =>
        db
          .selectFrom("projects")
          .select(["id", "title"])
          .where("organisation_id", "=", own)
          .orderBy("id")
          .execute();
      const organisationForm = (name: string, contactName: string) => ({
        name,
        stakeholderType: "civil_society",
        country: "KE",
        region: "africa",
        website: "",
        contactName,
        contactEmail: "contact@oaktree.example.org",
      });
      /** The questionnaire as a form; one SDG and one GDC objective, since the test client posts single values. */
      const questionnaire = (category: number, title: string, intent: string, answer = "impact") => ({
        ...completeValues(category, { title, impact: words(60, answer) }),
        sdgs: "4",
        gdc_objectives: "1",
        intent,
      });
      /** Posting `intent` on a project's page; each actor starts from the project as it was created. */
      const changeProject = (project: Project, intent: string, flash: string): Route => ({
        path: `/submissions/${project.id}`,
        post: {
          fields: (a) =>
            intent === "withdraw" ? { intent } : questionnaire(project.category_id, project.title, intent, a),
          state: () => db.selectFrom("projects").selectAll().where("id", "=", project.id).executeTakeFirst(),
          done: `/submissions/${project.id}?${flash}=1`,
          reset: async () => {
            const { id, ...row } = project;
            await db.updateTable("projects").set(row).where("id", "=", id).execute();
          },
        },
      });
      /** Nominating `projectId` from its review page; each actor starts from an undecided project. */
      const nominate = (projectId: number): Route => ({
        path: `/review/${projectId}`,
        post: {
          fields: () => ({ decision: "nominate" }),
          state: () =>
            db
              .selectFrom("nomination_decisions")
              .selectAll()
              .where("project_id", "=", projectId)
              .executeTakeFirst(),
          done: `/review/${projectId}?saved=1`,
          reset: async () => {
            await db.deleteFrom("nomination_decisions").where("project_id", "=", projectId).execute();
          },
        },
      });

      /** Saving a full score of `projectId` from its jury page; each actor starts from an unscored project. */
      const score = (projectId: number): Route => ({
        path: `/jury/${projectId}`,
        post: {
          fields: (a) => ({
            intent: "save",
            comment: `Scored by ${a}.`,
            ...Object.fromEntries(CRITERIA.map((c) => [`score_${c}`, "4"])),
          }),
          state: () =>
            db.selectFrom("selection_scores").selectAll().where("project_id", "=", projectId).execute(),
          done: new RegExp(`^/jury/${projectId}\\?saved=`),
          reset: async () => {
            await db.deleteFrom("selection_scores").where("project_id", "=", projectId).execute();
          },
        },
      });

      Object.assign(routes, {
        "GET /organisations": { path: "/organisations", target: OWN_NAME },
        "GET /organisations/new": { path: "/organisations/new" },
        "GET /organisations/:own": { path: `/organisations/${own}`, target: OWN_NAME },
        "POST /organisations/:own update": {
          path: `/organisations/${own}`,
          post: {
            fields: (a) => ({ intent: "update", ...organisationForm(OWN_NAME, `Contact set by ${a}`) }),
            state: () => db.selectFrom("organisations").selectAll().where("id", "=", own).executeTakeFirst(),
            done: `/organisations/${own}?saved=1`,
          },
        },
        "POST /organisations/:own invite": {
          path: `/organisations/${own}`,
          post: {
            fields: (a) => ({ intent: "invite", email: `invitee-${a}@example.org` }),
            state: () =>
              db
                .selectFrom("organisation_invitations")
                .select("email")
                .where("organisation_id", "=", own)
                .orderBy("id")
                .execute(),
            done: `/organisations/${own}?invited=1`,
          },
        },
        "POST /organisations/:own remove": {
          path: `/organisations/${own}`,
          post: {
            fields: (a) => ({ intent: "remove", userId: String(spare[a]) }),
            state: members,
            done: `/organisations/${own}?removed=1`,
          },
        },
        "GET /invitations/:token": { path: `/invitations/${invitation.token}` },
        "POST /invitations/:token": {
          path: `/invitations/${invitation.token}`,
          post: {
            fields: () => ({}),
            state: async () => ({
              members: await members(),
              invitation: await db
                .selectFrom("organisation_invitations")
                .selectAll()
                .where("id", "=", invitation.invitationId)
                .executeTakeFirst(),
            }),
          },
        },
        "GET /submissions": { path: "/submissions", target: DRAFT_TITLE },
        "GET /submissions/new?organisation=:own": {
          path: `/submissions/new?organisation=${own}`,
          target: OWN_NAME,
        },
        "POST /submissions/new?organisation=:own": {
          path: `/submissions/new?organisation=${own}`,
          post: {
            // One project per organisation and category: each allowed actor takes its own category.
            fields: (a) => questionnaire(a === "own" ? c5 : c6, `New project by ${a}`, "save"),
            state: ownProjects,
            done: /^\/submissions\/\d+\?saved=1$/,
          },
        },
        "GET /submissions/:draft": { path: `/submissions/${draft.id}`, target: DRAFT_TITLE },
        "POST /submissions/:draft save": changeProject(draft, "save", "saved"),
        "POST /submissions/:draft submit": changeProject(draft, "submit", "submitted"),
        "POST /submissions/:submitted withdraw": changeProject(submitted, "withdraw", "withdrawn"),
        "GET /review?edition=:nom": { path: `/review?edition=${nom.year}`, target: CANDIDATE_TITLE },
        "GET /review/:candidate": { path: `/review/${candidate.id}`, target: CANDIDATE_TITLE },
        "POST /review/:candidate nominate": nominate(candidate.id),
        "GET /review?edition=:nom&category=C9": {
          path: `/review?edition=${nom.year}&category=C9`,
          target: ELSEWHERE_TITLE,
        },
        "GET /review/:draft": { path: `/review/${draft.id}`, target: DRAFT_TITLE },
        "GET /review/:elsewhere": { path: `/review/${elsewhere.id}`, target: ELSEWHERE_TITLE },
        "POST /review/:elsewhere nominate": nominate(elsewhere.id),
        "GET /review/:nominee": { path: `/review/${nominee.id}`, target: NOMINEE_TITLE },
        "GET /categories": { path: "/categories" },
        "GET /categories/C4?edition=:pub": {
          path: `/categories/C4?edition=${pub.year}`,
          target: NOMINEE_TITLE,
        },
        "GET /categories/C5?edition=:pub": {
          path: `/categories/C5?edition=${pub.year}`,
          target: REJECTED_TITLE,
        },
        "GET /projects?edition=:pub": { path: `/projects?edition=${pub.year}`, target: NOMINEE_TITLE },
        "GET /projects?edition=:sub": { path: `/projects?edition=${sub.year}`, target: DRAFT_TITLE },
        "GET /projects/:nominee": { path: `/projects/${nominee.id}`, target: NOMINEE_TITLE },
        "GET /projects/:draft": { path: `/projects/${draft.id}`, target: DRAFT_TITLE },
        "GET /projects/:candidate": { path: `/projects/${candidate.id}`, target: CANDIDATE_TITLE },
        "GET /projects/:rejected": { path: `/projects/${rejected.id}`, target: REJECTED_TITLE },
        "GET /admin/submissions?edition=:sub": {
          path: `/admin/submissions?edition=${sub.year}`,
          target: DRAFT_TITLE,
        },
        "GET /admin/submissions.csv?edition=:sub": {
          path: `/admin/submissions.csv?edition=${sub.year}`,
          target: DRAFT_TITLE,
        },
        "GET /admin/experts?edition=:nom": { path: `/admin/experts?edition=${nom.year}` },
        "POST /admin/experts assign": {
          path: "/admin/experts",
          post: {
            fields: () => ({ editionId: String(nom.id), userId: String(spareExpert), category: String(c9) }),
            state: () =>
              db.selectFrom("expert_assignments").selectAll().where("user_id", "=", spareExpert).execute(),
            done: new RegExp(`^/admin/experts\\?edition=${nom.year}&saved=${spareExpert}&`),
          },
        },
        "GET /admin/nomination?edition=:nom": { path: `/admin/nomination?edition=${nom.year}` },
        "POST /admin/nomination publish": {
          path: "/admin/nomination",
          post: {
            fields: () => ({ editionId: String(nom.id), includeUndecided: "on" }),
            state: () => db.selectFrom("editions").selectAll().where("id", "=", nom.id).executeTakeFirst(),
            done: `/admin/nomination?edition=${nom.year}&published=1`,
          },
        },
        "POST /vote :nominee": {
          path: "/vote",
          back: `/projects/${nominee.id}`,
          redirect: 303,
          post: {
            fields: () => ({ project: String(nominee.id) }),
            state: () =>
              db
                .selectFrom("votes")
                .select(["id", "voter_id"])
                .where("project_id", "=", nominee.id)
                .orderBy("id")
                .execute(),
            done: /^\/votes\?cast=\d+$/,
          },
        },
        "GET /votes": { path: "/votes", target: NOMINEE_TITLE },
        "GET /jury": { path: "/jury" },
        "GET /jury/:champion": { path: `/jury/${champion.id}`, target: CHAMPION_TITLE },
        "POST /jury/:champion save": score(champion.id),
        "GET /jury/:finalist": { path: `/jury/${finalist.id}`, target: FINALIST_TITLE },
        "POST /jury/:finalist save": score(finalist.id),
        "GET /jury/:unassigned": { path: `/jury/${unassigned.id}`, target: UNASSIGNED_TITLE },
        "POST /jury/:unassigned save": score(unassigned.id),
        "GET /admin/selection?edition=:sel": { path: `/admin/selection?edition=${sel.year}` },
        "POST /admin/selection assign": {
          path: "/admin/selection",
          post: {
            fields: () => ({
              intent: "assign",
              editionId: String(sel.id),
              userId: String(spareExpert),
              category: String(c9),
            }),
            state: () =>
              db
                .selectFrom("expert_assignments")
                .selectAll()
                .where("user_id", "=", spareExpert)
                .where("edition_id", "=", sel.id)
                .execute(),
            done: new RegExp(`saved=${spareExpert}&`),
          },
        },
        "GET /admin/voting?edition=:pub": { path: `/admin/voting?edition=${pub.year}` },
        "POST /admin/voting invalidate-vote": {
          path: `/admin/voting?edition=${pub.year}`,
          post: {
            fields: () => ({ intent: "invalidate-vote", voteId: String(spareVote), reason: "Bought vote." }),
            state: () =>
              db.selectFrom("vote_invalidations").selectAll().where("vote_id", "=", spareVote).execute(),
            done: 200,
          },
        },
        "GET /admin/results?edition=:ready": { path: `/admin/results?edition=${ready.year}` },
        "POST /admin/results publish": {
          path: "/admin/results",
          post: {
            fields: () => ({ intent: "publish", editionId: String(ready.id) }),
            state: () => db.selectFrom("editions").selectAll().where("id", "=", ready.id).executeTakeFirst(),
            done: new RegExp(`^/admin/results\\?edition=${ready.year}&published=1`),
          },
        },
        "GET /admin": { path: "/admin" },
        "GET /admin/outbox": { path: "/admin/outbox" },
        "GET /admin/audit": { path: "/admin/audit" },
        "GET /admin/users": { path: "/admin/users" },
        "POST /admin/users grant": {
          path: "/admin/users",
          post: {
            fields: () => ({ intent: "grant", userId: String(spareVoter), role: "expert" }),
            state: () =>
              db
                .selectFrom("user_roles")
                .select("role")
                .where("user_id", "=", spareVoter)
                .orderBy("role")
                .execute(),
            done: "/admin/users",
          },
        },
        "GET /admin/editions": { path: "/admin/editions" },
        "POST /admin/editions create": {
          path: "/admin/editions",
          post: {
            fields: () => editionForm(2033),
            state: () => db.selectFrom("editions").select("year").orderBy("year").execute(),
            done: "/admin/editions?created=2033",
          },
        },
        "POST /organisations/new": {
          path: "/organisations/new",
          post: {
            fields: (a) => organisationForm(`Organisation of ${a}`, "Someone"),
            state: () => db.selectFrom("organisations").select(["id", "name"]).orderBy("id").execute(),
            done: /^\/organisations\/\d+\?created=1$/,
          },
        },
      } satisfies Record<string, Route>);
      expect(Object.keys(routes).sort()).toEqual(ROWS.map((r) => r.label).sort());
    });

    afterAll(async () => {
      await app?.stop();
      await t?.cleanup();
    });

    for (const row of ROWS) {
      ACTORS.forEach((actor, i) => {
        const outcome = row.outcomes[i];
        it(`${row.label} — ${actor}: ${outcome}`, async () => {
          const route = routes[row.label];
          const client = clients[actor];
          let before: unknown;
          let res: Response;
          if (route.post) {
            await route.post.reset?.();
            before = await route.post.state();
            res = await client.post(route.path, route.post.fields(actor));
          } else {
            res = await client.get(route.path);
          }
          const body = await res.text();
          const where = `${res.status} ${res.headers.get("Location") ?? ""}`;
          if (outcome === "login") {
            expect(res.status, where).toBe(route.redirect ?? 302);
            expect(res.headers.get("Location")).toBe(
              `/login?redirectTo=${encodeURIComponent(route.back ?? route.path)}`,
            );
          } else if (outcome === "done") {
            const done = route.post?.done;
            if (done === 200) expect(res.status, where).toBe(200);
            else expect(res.status, where).toBe(route.redirect ?? 302);
            if (done === 200) expect(res.headers.get("Location")).toBeNull();
            else if (typeof done === "string") expect(res.headers.get("Location")).toBe(done);
            else expect(res.headers.get("Location")).toMatch(done ?? /^$/);
          } else if (outcome === "ok" || outcome === "hides") {
            expect(res.status, where).toBe(200);
          } else {
            expect(res.status, where).toBe(Number(outcome));
          }
          if (outcome === "hides") expect(route.target, "a hides row needs a target").toBeDefined();
          if (route.target) {
            if (outcome === "ok") expect(body).toContain(route.target);
            else expect(body).not.toContain(route.target);
          }
          if (route.post) {
            const after = await route.post.state();
            if (outcome === "done") expect(after).not.toEqual(before);
            else expect(after).toEqual(before);
          }
        });
      });
    }
  });
}
