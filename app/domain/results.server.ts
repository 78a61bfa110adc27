/**
 * The public results (DESIGN §6, issue 5 §2): the results page, a project's award badge and the downloads
 * (JSON, CSV). They read the awards frozen at publication (results-publication.server.ts), never the tally, and
 * show nothing before the results are public.
 */
import type { Db } from "../../db/client";
import type { AwardKind, Edition, ItuRegion, StakeholderType } from "../../db/schema";
import { REGION_LABELS, STAKEHOLDER_LABELS } from "../schemas/catalogue";
import { db } from "../utils/db.server";
import { env } from "../utils/env.server";
import { countryName } from "./catalogue.server";
import { toCsv, type CsvCell } from "./csv";
import { currentEdition, editionsPublished, findEditionByYear, listCategories } from "./editions.server";
import { formatInstant } from "./phases";

export interface ResultEntry {
  projectId: number;
  title: string;
  /** The highest award: a winner is also a champion, but is listed once, as winner. */
  award: AwardKind;
  organisation: string;
  country: string;
  countryName: string;
  region: ItuRegion;
  regionLabel: string;
  stakeholder: StakeholderType;
  stakeholderLabel: string;
}

export interface CategoryResult {
  code: string;
  name: string;
  winners: ResultEntry[];
  /** The other champions (winners are listed under winners only). */
  champions: ResultEntry[];
}

export interface ResultsFilters {
  region?: ItuRegion | null;
  stakeholder?: StakeholderType | null;
}

/**
 * The published results of an edition per category (all 18, in display order), from the awards written at
 * publication; filtered by the organisation's region and stakeholder type. Empty before publication.
 */
export async function publishedResults(
  editionId: number,
  filters: ResultsFilters,
  database: Db = db(),
): Promise<CategoryResult[]> {
  let awards = database
    .selectFrom("awards as a")
    .innerJoin("editions as e", "e.id", "a.edition_id")
    .innerJoin("projects as p", "p.id", "a.project_id")
    .innerJoin("organisations as o", "o.id", "p.organisation_id")
    .select([
      "a.kind",
      "p.id",
      "p.title",
      "p.category_id",
      "p.country",
      "o.name as organisation",
      "o.region",
      "o.stakeholder_type",
    ])
    .where("a.edition_id", "=", editionId)
    .where("e.results_published_at", "is not", null);
  if (filters.region) awards = awards.where("o.region", "=", filters.region);
  if (filters.stakeholder) awards = awards.where("o.stakeholder_type", "=", filters.stakeholder);
  const [categories, rows] = await Promise.all([listCategories(database), awards.execute()]);
  const entries = new Map<number, ResultEntry>();
  const categoryOf = new Map<number, number>();
  for (const r of rows) {
    const existing = entries.get(r.id);
    if (existing) {
      if (r.kind === "winner") existing.award = "winner";
      continue;
    }
    categoryOf.set(r.id, r.category_id);
    entries.set(r.id, {
      projectId: r.id,
      title: r.title,
      award: r.kind,
      organisation: r.organisation,
      country: r.country,
      countryName: countryName(r.country),
      region: r.region,
      regionLabel: REGION_LABELS[r.region] ?? r.region,
      stakeholder: r.stakeholder_type,
      stakeholderLabel: STAKEHOLDER_LABELS[r.stakeholder_type] ?? r.stakeholder_type,
    });
  }
  const all = [...entries.values()].sort(
    (a, b) => a.title.localeCompare(b.title, "en", { sensitivity: "base" }) || a.projectId - b.projectId,
  );
  return categories.map((c) => {
    const own = all.filter((e) => categoryOf.get(e.projectId) === c.id);
    return {
      code: c.code,
      name: c.name,
      winners: own.filter((e) => e.award === "winner"),
      champions: own.filter((e) => e.award === "champion"),
    };
  });
}

/** The award a project holds once its edition's results are public at `now` (winner over champion), or null. */
export async function projectAward(
  projectId: number,
  now: Date,
  database: Db = db(),
): Promise<{ kind: AwardKind; year: number } | null> {
  const rows = await database
    .selectFrom("awards as a")
    .innerJoin("editions as e", "e.id", "a.edition_id")
    .select(["a.kind", "e.year"])
    .where("a.project_id", "=", projectId)
    .where("e.results_published_at", "is not", null)
    .where("e.results_published_at", "<=", now.toISOString())
    .execute();
  const best = rows.find((r) => r.kind === "winner") ?? rows[0];
  return best ? { kind: best.kind, year: best.year } : null;
}

/** True when the edition's results are public at `now`. */
export function resultsArePublic(edition: Pick<Edition, "results_published_at">, now: Date): boolean {
  return edition.results_published_at !== null && edition.results_published_at <= now.toISOString();
}

/** What the public results page and downloads show. */
export type ResultsListing =
  /** `?edition=YEAR` names no edition. */
  | { kind: "not-found"; year: number }
  /** No edition exists at all. */
  | { kind: "none"; editions: Array<{ year: number; name: string }> }
  | {
      kind: "edition";
      edition: { id: number; year: number; name: string };
      /** When the results were published (ISO), or null until they are public. */
      publishedAt: string | null;
      /** The same instant as "5 Jun 2027, 12:00 (Europe/Zurich)". */
      publishedAtText: string | null;
      /** "5 Jun 2027, 12:00 (Europe/Zurich)": when the announcement phase opens. */
      announcement: string;
      announcementPassed: boolean;
      categories: CategoryResult[];
      /** Editions with public results, newest first. */
      editions: Array<{ year: number; name: string }>;
    };

/**
 * The results of `year` (or of the current edition) filtered by `filters`: an empty list of categories until
 * they are published.
 */
export async function resultsListing(
  args: { year: number | null; filters: ResultsFilters; now: Date },
  database: Db = db(),
): Promise<ResultsListing> {
  const [edition, editions] = await Promise.all([
    args.year !== null ? findEditionByYear(args.year, database) : currentEdition(args.now, database),
    editionsPublished("results_published_at", args.now, database),
  ]);
  if (!edition)
    return args.year !== null ? { kind: "not-found", year: args.year } : { kind: "none", editions };
  const published = resultsArePublic(edition, args.now);
  return {
    kind: "edition",
    edition: { id: edition.id, year: edition.year, name: edition.name },
    publishedAt: published ? edition.results_published_at : null,
    publishedAtText:
      published && edition.results_published_at
        ? formatInstant(edition.results_published_at, edition.timezone)
        : null,
    announcement: formatInstant(edition.announcement_opens_at, edition.timezone),
    announcementPassed: edition.announcement_opens_at <= args.now.toISOString(),
    categories: published ? await publishedResults(edition.id, args.filters, database) : [],
    editions,
  };
}

/** The CSV download of published results: one row per project, its highest award. */
export function resultsCsv(
  edition: { year: number; name: string },
  categories: readonly CategoryResult[],
  appUrl: string = env().APP_URL,
): string {
  const rows: CsvCell[][] = [];
  for (const c of categories) {
    for (const e of [...c.winners, ...c.champions]) {
      rows.push([
        edition.year,
        c.code,
        c.name,
        e.award,
        e.projectId,
        e.title,
        e.organisation,
        e.stakeholderLabel,
        e.regionLabel,
        e.countryName,
        `${appUrl}/projects/${e.projectId}`,
      ]);
    }
  }
  return toCsv(
    [
      "edition",
      "category_code",
      "category",
      "award",
      "project_id",
      "project",
      "organisation",
      "stakeholder_type",
      "region",
      "country",
      "url",
    ],
    rows,
  );
}

/**
 * The published results for a download (JSON or CSV): a bad filter is refused (400) rather than dropped — a
 * file must contain what was asked for — and unpublished results are a 404.
 */
export async function resultsDownload(
  args: { query: ResultsFilters & { edition: number | null }; notices: string[]; now: Date },
  database: Db = db(),
): Promise<
  | {
      ok: true;
      edition: { year: number; name: string; publishedAt: string };
      categories: CategoryResult[];
    }
  | { ok: false; status: 400 | 404; message: string }
> {
  if (args.notices.length) return { ok: false, status: 400, message: args.notices.join(" ") };
  const listing = await resultsListing(
    { year: args.query.edition, filters: args.query, now: args.now },
    database,
  );
  if (listing.kind === "not-found") {
    return { ok: false, status: 404, message: `There is no ${listing.year} edition of the WSIS Prizes.` };
  }
  if (listing.kind === "none")
    return { ok: false, status: 404, message: "No results have been published yet." };
  if (!listing.publishedAt) {
    return {
      ok: false,
      status: 404,
      message: `The results of the ${listing.edition.name} have not been published yet.`,
    };
  }
  return {
    ok: true,
    edition: { year: listing.edition.year, name: listing.edition.name, publishedAt: listing.publishedAt },
    categories: listing.categories,
  };
}
