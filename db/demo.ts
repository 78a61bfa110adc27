import { CATEGORIES } from "../app/domain/categories";
import { scheduleWithPhaseOpen } from "../app/domain/phases";
import { fingerprint, normaliseText } from "../app/domain/text";
import { createUser } from "../app/domain/users.server";
import type { Db } from "./client";
import type { ItuRegion, Role, StakeholderType } from "./schema";

/** Demo accounts, one per role; the README lists them. */
export const DEMO_PASSWORD = "wsis-demo-2027!";
export const DEMO_ACCOUNTS: ReadonlyArray<{ email: string; name: string; role: Role }> = [
  { email: "organiser@wsis.test", name: "Olga Organiser", role: "organiser" },
  { email: "expert@wsis.test", name: "Esther Expert", role: "expert" },
  { email: "submitter@wsis.test", name: "Samuel Submitter", role: "submitter" },
  { email: "voter@wsis.test", name: "Valentina Voter", role: "voter" },
];

/** Deterministic pseudo-random numbers (mulberry32), so every demo database is the same. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES: ReadonlyArray<[string, ItuRegion]> = [
  ["KE", "africa"],
  ["NG", "africa"],
  ["GH", "africa"],
  ["RW", "africa"],
  ["SN", "africa"],
  ["ZA", "africa"],
  ["UG", "africa"],
  ["ET", "africa"],
  ["BR", "americas"],
  ["MX", "americas"],
  ["CO", "americas"],
  ["CA", "americas"],
  ["US", "americas"],
  ["AR", "americas"],
  ["PE", "americas"],
  ["EG", "arab_states"],
  ["AE", "arab_states"],
  ["SA", "arab_states"],
  ["JO", "arab_states"],
  ["TN", "arab_states"],
  ["OM", "arab_states"],
  ["IN", "asia_pacific"],
  ["ID", "asia_pacific"],
  ["PH", "asia_pacific"],
  ["BD", "asia_pacific"],
  ["MY", "asia_pacific"],
  ["TH", "asia_pacific"],
  ["PK", "asia_pacific"],
  ["CN", "asia_pacific"],
  ["KZ", "cis"],
  ["UZ", "cis"],
  ["AZ", "cis"],
  ["KG", "cis"],
  ["AM", "cis"],
  ["CH", "europe"],
  ["PL", "europe"],
  ["PT", "europe"],
  ["EE", "europe"],
  ["DE", "europe"],
  ["ES", "europe"],
  ["RO", "europe"],
];

const STAKEHOLDERS: readonly StakeholderType[] = [
  "government",
  "private_sector",
  "civil_society",
  "international_organisation",
  "academia",
  "other",
];

const ORG_PREFIX: Record<StakeholderType, string[]> = {
  government: [
    "Ministry of ICT",
    "National Digital Agency",
    "Regional Authority for Innovation",
    "Office of e-Government",
  ],
  private_sector: ["Connect", "Digital Bridges", "Sahel Networks", "OpenGrid Solutions", "BrightPath Tech"],
  civil_society: [
    "Women in Tech Alliance",
    "Rural Connectivity Network",
    "Youth Code Foundation",
    "Access for All",
  ],
  international_organisation: [
    "Regional Telecommunity",
    "Development Partnership",
    "Global Health Data Initiative",
  ],
  academia: [
    "University of Technology",
    "Institute for Digital Research",
    "Polytechnic School",
    "Open Science Lab",
  ],
  other: [
    "Community Radio Cooperative",
    "Library Consortium",
    "Farmers' Digital Union",
    "Heritage Archive Trust",
  ],
};

const TOPIC: Record<string, [string, string]> = {
  C1: ["multi-stakeholder digital strategy", "policy makers and citizens"],
  C2: ["community broadband network", "remote villages"],
  C3: ["open public library portal", "students and researchers"],
  C4: ["digital skills academy", "young women and teachers"],
  C5: ["cybersecurity awareness programme", "small businesses and schools"],
  C6: ["regulatory sandbox for digital services", "start-ups and regulators"],
  "C7-EGOV": ["one-stop online public services platform", "citizens and civil servants"],
  "C7-EBUS": ["mobile marketplace for artisans", "micro-entrepreneurs"],
  "C7-ELEARN": ["offline-first e-learning platform", "secondary school pupils"],
  "C7-EHEALTH": ["telemedicine network", "rural clinics and patients"],
  "C7-EEMPLOY": ["job-matching service", "job seekers and employers"],
  "C7-EENV": ["air-quality sensor network", "city dwellers and planners"],
  "C7-EAGRI": ["weather and market information service", "smallholder farmers"],
  "C7-ESCI": ["shared research data infrastructure", "universities and laboratories"],
  C8: ["local-language content archive", "indigenous communities"],
  C9: ["community media hub", "local journalists"],
  C10: ["AI ethics observatory", "developers and the public"],
  C11: ["cross-border data exchange programme", "neighbouring countries"],
};

const TITLE_WORDS = [
  "Bridge",
  "Horizon",
  "Open",
  "Smart",
  "Together",
  "Rise",
  "Pathways",
  "Link",
  "Spark",
  "Roots",
  "Wave",
  "Compass",
];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

/** A paragraph of exactly `words` words built from varied, plausible sentences about the project. */
function paragraph(r: () => number, topic: [string, string], country: string, words: number): string {
  const [what, who] = topic;
  const sentences = [
    `The project delivers a ${what} designed with and for ${who}.`,
    `It started as a pilot in ${country} and now reaches thousands of people every month.`,
    `Local partners run the service day to day, which keeps costs low and decisions close to users.`,
    `Training sessions, help desks and printed guides make sure nobody is left behind.`,
    `All software components are open source and documented so that others can reuse them.`,
    `Data is collected with consent, stored securely and published only in aggregated form.`,
    `An independent evaluation measured faster access to services and lower travel costs for families.`,
    `Women make up more than half of the trainers and of the people who use the service.`,
    `The team works with ministries, universities and community groups on every new release.`,
    `Solar power and low-bandwidth design let the service run where electricity and networks are unreliable.`,
    `Feedback from users is reviewed every quarter and shapes the priorities of the next phase.`,
    `Three neighbouring districts have asked to replicate the approach with their own budgets.`,
    `The project contributes directly to the Sustainable Development Goals on education, health and equality.`,
    `Its governance model gives users a seat on the steering committee alongside funders.`,
    `Costs per user fell by a third between the first and the second year of operation.`,
  ];
  const out: string[] = [];
  let count = 0;
  while (count < words) {
    for (const w of pick(r, sentences).split(/\s+/)) {
      if (count >= words) break;
      out.push(w);
      count++;
    }
  }
  const text = out.join(" ");
  return text.endsWith(".") ? text : `${text}.`;
}

/** Chooses the demo edition's year: the next contest year after `now`. */
export function demoYear(now: Date): number {
  return now.getUTCFullYear() + 1;
}

/**
 * Creates the demo edition in its public-voting phase: one account per role, about 600 organisations of every
 * stakeholder type and region, about 1,000 submitted projects over the 18 categories, three in four nominated
 * (published) and the rest rejected with a reason, the demo expert assigned to every category, and 300 demo
 * voters' votes. Move the phases with `npm run wsis -- edition:phase`. Returns false when demo data already
 * exists (idempotent); everything but the demo accounts is written in one transaction.
 */
export async function seedDemo(
  db: Db,
  now: Date,
  options: { projects?: number; voters?: number } = {},
): Promise<boolean> {
  const year = demoYear(now);
  const existing = await db.selectFrom("editions").select("id").where("year", "=", year).executeTakeFirst();
  if (existing) return false;

  for (const account of DEMO_ACCOUNTS) {
    await createUser(
      {
        email: account.email,
        name: account.name,
        password: DEMO_PASSWORD,
        roles: [account.role],
        verified: true,
        now,
      },
      db,
    );
  }
  const submitter = await db
    .selectFrom("users")
    .select("id")
    .where("email_canonical", "=", "submitter@wsis.test")
    .executeTakeFirstOrThrow();

  const createdAt = now.toISOString();
  const categories = await db.selectFrom("categories").select(["id", "code"]).orderBy("position").execute();
  if (categories.length !== CATEGORIES.length) throw new Error("categories are missing: run migrate first");

  const r = rng(year);
  const total = options.projects ?? 1000;
  const orgCount = Math.ceil(total * 0.6);
  const expert = await db
    .selectFrom("users")
    .select("id")
    .where("email_canonical", "=", "expert@wsis.test")
    .executeTakeFirstOrThrow();
  await db.transaction().execute(async (trx) => {
    const edition = await trx
      .insertInto("editions")
      .values({
        year,
        name: `WSIS Prizes ${year}`,
        timezone: "Europe/Zurich",
        ...scheduleWithPhaseOpen("voting", now, 28),
        nominees_published_at: createdAt,
        min_long_answer_words: 50,
        created_at: createdAt,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const orgIds: number[] = [];
    for (let i = 0; i < orgCount; i++) {
      const type = STAKEHOLDERS[i % STAKEHOLDERS.length];
      const [country, region] = COUNTRIES[(i * 7) % COUNTRIES.length];
      const name = `${pick(r, ORG_PREFIX[type])} ${country}-${100 + i}`;
      const org = await trx
        .insertInto("organisations")
        .values({
          name,
          stakeholder_type: type,
          country,
          region: i % 29 === 0 ? "international" : region,
          website: `https://org${i + 1}.example.org`,
          contact_name: `Contact ${i + 1}`,
          contact_email: `contact${i + 1}@org${i + 1}.example.org`,
          created_by: i === 0 ? submitter.id : null,
          created_at: createdAt,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      orgIds.push(org.id);
    }
    await trx
      .insertInto("organisation_members")
      .values({ organisation_id: orgIds[0], user_id: submitter.id, created_at: createdAt })
      .execute();

    const used = new Set<string>();
    const rows = [];
    for (let i = 0; i < total; i++) {
      const category = categories[i % categories.length];
      let orgIndex = Math.floor(r() * orgIds.length);
      while (used.has(`${orgIndex}:${category.id}`)) orgIndex = (orgIndex + 1) % orgIds.length;
      used.add(`${orgIndex}:${category.id}`);
      const [country] = COUNTRIES[(orgIndex * 7) % COUNTRIES.length];
      const topic = TOPIC[category.code];
      const title = `${pick(r, TITLE_WORDS)} ${topic[0].replace(/^./, (c) => c.toUpperCase())} ${i + 1}`;
      const shortDescription = paragraph(r, topic, country, 150 + Math.floor(r() * 51));
      const sdgs = [...new Set([1 + Math.floor(r() * 17), 1 + Math.floor(r() * 17), 17])].sort(
        (a, b) => a - b,
      );
      rows.push({
        edition_id: edition.id,
        organisation_id: orgIds[orgIndex],
        category_id: category.id,
        status: "submitted" as const,
        title,
        website: r() < 0.7 ? `https://project${i + 1}.example.org` : null,
        country,
        start_year: 2015 + Math.floor(r() * 10),
        implementation_status: r() < 0.6 ? ("completed" as const) : ("major_phase_ended" as const),
        short_description: shortDescription,
        sdgs: sdgs.join(","),
        gdc_objectives: [1 + Math.floor(r() * 5)].join(","),
        action_line_linkage: paragraph(r, topic, country, 60),
        sdg_linkage: paragraph(r, topic, country, 55),
        gdc_linkage: paragraph(r, topic, country, 55),
        impact: paragraph(r, topic, country, 80),
        partnerships: paragraph(r, topic, country, 55),
        challenges: paragraph(r, topic, country, 60),
        fingerprint: fingerprint(title, shortDescription),
        title_normalised: normaliseText(title),
        submitted_at: createdAt,
        created_at: createdAt,
        updated_at: createdAt,
      });
    }
    const projectIds: Array<{ id: number; category_id: number }> = [];
    for (let i = 0; i < rows.length; i += 40) {
      const inserted = await trx
        .insertInto("projects")
        .values(rows.slice(i, i + 40))
        .returning(["id", "category_id"])
        .execute();
      projectIds.push(...inserted);
    }

    // Nomination is done and published: three in four nominated, the rest rejected with a reason.
    const reasons = ["incomplete", "out_of_scope", "not_implemented", "duplicate"] as const;
    const decisions = projectIds.map((p, i) => ({
      project_id: p.id,
      decision: i % 4 === 3 ? ("reject" as const) : ("nominate" as const),
      reason: i % 4 === 3 ? reasons[Math.floor(i / 4) % reasons.length] : null,
      reason_text: null,
      decided_by: expert.id,
      decided_at: createdAt,
    }));
    for (let i = 0; i < decisions.length; i += 100) {
      await trx
        .insertInto("nomination_decisions")
        .values(decisions.slice(i, i + 100))
        .execute();
    }
    // The demo expert reviews and scores every category.
    await trx
      .insertInto("expert_assignments")
      .values(
        (["nomination", "selection"] as const).flatMap((stage) =>
          categories.map((c) => ({
            edition_id: edition.id,
            user_id: expert.id,
            category_id: c.id,
            stage,
            created_at: createdAt,
          })),
        ),
      )
      .execute();

    // Some public votes already cast, so organisers' live leaderboards have numbers.
    const nominees = projectIds.filter((_, i) => i % 4 !== 3);
    const voterCount = options.voters ?? 300;
    for (let v = 0; v < voterCount; v++) {
      const email = `demo-voter-${v + 1}@voters.example.org`;
      const voter = await trx
        .insertInto("users")
        .values({
          email,
          email_canonical: email,
          name: `Demo voter ${v + 1}`,
          password_hash: "disabled",
          email_verified_at: createdAt,
          pending_email: null,
          created_at: createdAt,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await trx
        .insertInto("user_roles")
        .values({ user_id: voter.id, role: "voter", granted_by: null, created_at: createdAt })
        .execute();
      const votes = categories
        .filter(() => r() < 0.5)
        .map((c) => {
          const inCategory = nominees.filter((p) => p.category_id === c.id);
          // Skewed choice, so some projects lead.
          const project = inCategory[Math.floor(r() * r() * inCategory.length)];
          const ip = `198.51.100.${1 + (v % 250)}`;
          return {
            edition_id: edition.id,
            category_id: c.id,
            project_id: project.id,
            voter_id: voter.id,
            ip,
            network: "198.51.100.0/24",
            created_at: createdAt,
          };
        });
      if (votes.length) await trx.insertInto("votes").values(votes).execute();
    }
  });
  return true;
}
