import countries from "i18n-iso-countries";
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from "kysely";
import type { Db } from "../../db/client";
import type { Database, Edition, ItuRegion, StakeholderType } from "../../db/schema";
import {
  CATALOGUE_PAGE_SIZE,
  REGION_LABELS,
  STAKEHOLDER_LABELS,
  parseCatalogueQuery,
  querySearch,
  type CatalogueQuery,
  type SubmissionsQuery,
} from "../schemas/catalogue";
import { db } from "../utils/db.server";
import { env } from "../utils/env.server";
import { findEditionByYear, currentEdition, editionsPublished, listCategories } from "./editions.server";

// Country names come straight from i18n-iso-countries until app/domain/countries.ts (helper E) exists.

/** True when `code` is an ISO 3166-1 alpha-2 code. */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && countries.isValid(code);
}

/** The English name of an ISO 3166-1 alpha-2 code, or the code itself when unknown. */
export function countryName(code: string): string {
  return countries.getName(code, "en", { select: "official" }) ?? code;
}

/** Filters shared by the public catalogue and the organiser's submissions list. */
export interface ProjectFilters {
  /** Free text: every word must appear in the title, the short description or the organisation's name. */
  q?: string;
  region?: ItuRegion | null;
  stakeholder?: StakeholderType | null;
  /** ISO-2 code of the project's country of implementation. */
  country?: string | null;
  categoryId?: number | null;
}

/** At most this many words of a search are used; more would only slow the query down. */
const MAX_SEARCH_TERMS = 8;

/** Escapes LIKE wildcards so that `%`, `_` and `\` in a search match themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The words of a search, de-duplicated, at most MAX_SEARCH_TERMS. */
export function searchTerms(q: string | undefined): string[] {
  if (!q) return [];
  return [...new Set(q.trim().split(/\s+/u).filter(Boolean))].slice(0, MAX_SEARCH_TERMS);
}

type ProjectScope = ExpressionBuilder<Database, "projects" | "organisations">;

/**
 * The WHERE condition for `filters` over projects joined with their organisations. The search is a portable
 * `lower(column) LIKE lower(pattern)` on SQLite and PostgreSQL alike: enough for ~1,000 projects per edition.
 */
export function projectFilterCondition(eb: ProjectScope, filters: ProjectFilters): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  if (filters.region) conditions.push(eb("organisations.region", "=", filters.region));
  if (filters.stakeholder) conditions.push(eb("organisations.stakeholder_type", "=", filters.stakeholder));
  if (filters.country) conditions.push(eb("projects.country", "=", filters.country));
  if (filters.categoryId) conditions.push(eb("projects.category_id", "=", filters.categoryId));
  for (const term of searchTerms(filters.q)) {
    const pattern = `%${escapeLike(term)}%`;
    const like = (column: "projects.title" | "projects.short_description" | "organisations.name") =>
      sql<SqlBool>`lower(${eb.ref(column)}) like lower(${pattern}) escape '\\'`;
    conditions.push(
      eb.or([like("projects.title"), like("projects.short_description"), like("organisations.name")]),
    );
  }
  return eb.and(conditions);
}

/** Projects the public may see at `now`: submitted, nominated, in an edition whose nominees are published. */
function publicProjects(database: Db, now: Date) {
  return database
    .selectFrom("projects")
    .innerJoin("editions", "editions.id", "projects.edition_id")
    .innerJoin("nomination_decisions", "nomination_decisions.project_id", "projects.id")
    .innerJoin("organisations", "organisations.id", "projects.organisation_id")
    .innerJoin("categories", "categories.id", "projects.category_id")
    .where("projects.status", "=", "submitted")
    .where("nomination_decisions.decision", "=", "nominate")
    .where("editions.nominees_published_at", "is not", null)
    .where("editions.nominees_published_at", "<=", now.toISOString());
}

export type PublicEdition = Pick<Edition, "id" | "year" | "name" | "nominees_published_at">;

/** Which edition a catalogue page shows. */
export type CatalogueEdition =
  | { kind: "published"; edition: PublicEdition }
  /** The current edition, whose nominees are not public yet. */
  | { kind: "not-published"; edition: PublicEdition }
  /** No edition exists at all. */
  | { kind: "none" }
  /** `?edition=YEAR` names no edition with published nominees. */
  | { kind: "not-found"; year: number };

function isPublished(edition: PublicEdition, now: Date): boolean {
  return edition.nominees_published_at !== null && edition.nominees_published_at <= now.toISOString();
}

function publicPart(e: Edition): PublicEdition {
  return { id: e.id, year: e.year, name: e.name, nominees_published_at: e.nominees_published_at };
}

/** The edition to show: `year` when given (it must have published nominees), else currentEdition(now). */
export async function catalogueEdition(
  year: number | null,
  now: Date,
  database: Db = db(),
): Promise<CatalogueEdition> {
  if (year !== null) {
    const edition = await findEditionByYear(year, database);
    if (!edition || !isPublished(edition, now)) return { kind: "not-found", year };
    return { kind: "published", edition: publicPart(edition) };
  }
  const edition = await currentEdition(now, database);
  if (!edition) return { kind: "none" };
  return { kind: isPublished(edition, now) ? "published" : "not-published", edition: publicPart(edition) };
}

export interface CategoryWithCount {
  id: number;
  code: string;
  name: string;
  nominees: number;
}

/** The 18 categories in display order with the number of public nominees of `editionId` in each. */
export async function categoriesWithNomineeCounts(
  editionId: number,
  now: Date,
  database: Db = db(),
): Promise<CategoryWithCount[]> {
  const [categories, counts] = await Promise.all([
    listCategories(database),
    publicProjects(database, now)
      .where("projects.edition_id", "=", editionId)
      .select((eb) => ["projects.category_id", eb.fn.countAll<number>().as("n")])
      .groupBy("projects.category_id")
      .execute(),
  ]);
  const byCategory = new Map(counts.map((c) => [c.category_id, Number(c.n)]));
  return categories.map((c) => ({ ...c, nominees: byCategory.get(c.id) ?? 0 }));
}

/** A category by code (case-insensitive), or undefined. */
export async function findCategory(code: string, database: Db = db()) {
  return database
    .selectFrom("categories")
    .select(["id", "code", "name"])
    .where("code", "=", code.toUpperCase())
    .executeTakeFirst();
}

export interface NomineeSummary {
  id: number;
  title: string;
  excerpt: string;
  organisation: string;
  country: string;
  countryName: string;
  region: ItuRegion;
  regionLabel: string;
  stakeholder: StakeholderType;
  stakeholderLabel: string;
  categoryCode: string;
  categoryName: string;
}

export interface ResultPage<T> {
  items: T[];
  total: number;
  /** The page shown: the one asked for, or the last one when that was beyond the end. */
  page: number;
  /** The page asked for (differs from `page` when it was out of range). */
  requestedPage: number;
  pageCount: number;
  pageSize: number;
}

/** Cuts `text` at a word boundary near `max` characters, adding an ellipsis when it was cut. */
export function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/gu, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s.,;:]+$/u, "")}…`;
}

/** The page numbers to show for `total` rows: `requested` clamped into 1..pageCount. */
export function pageBounds(total: number, requested: number, pageSize: number) {
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(Math.max(1, Math.floor(requested) || 1), pageCount);
  return { page, pageCount, offset: (page - 1) * pageSize };
}

/** One page of the public nominees of an edition matching `filters`, ordered by title. */
export async function searchNominees(
  args: { editionId: number; filters: ProjectFilters; page: number; pageSize?: number; now: Date },
  database: Db = db(),
): Promise<ResultPage<NomineeSummary>> {
  const pageSize = args.pageSize ?? CATALOGUE_PAGE_SIZE;
  const base = publicProjects(database, args.now)
    .where("projects.edition_id", "=", args.editionId)
    .where((eb) => projectFilterCondition(eb, args.filters));
  const counted = await base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirst();
  const total = Number(counted?.n ?? 0);
  const { page, pageCount, offset } = pageBounds(total, args.page, pageSize);
  const rows =
    total === 0
      ? []
      : await base
          .select([
            "projects.id",
            "projects.title",
            "projects.short_description",
            "projects.country",
            "organisations.name as organisation",
            "organisations.region",
            "organisations.stakeholder_type",
            "categories.code as category_code",
            "categories.name as category_name",
          ])
          .orderBy(sql`lower(${sql.ref("projects.title")})`)
          .orderBy("projects.id")
          .limit(pageSize)
          .offset(offset)
          .execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      title: r.title,
      excerpt: excerpt(r.short_description, 280),
      organisation: r.organisation,
      country: r.country,
      countryName: countryName(r.country),
      region: r.region,
      regionLabel: REGION_LABELS[r.region] ?? r.region,
      stakeholder: r.stakeholder_type,
      stakeholderLabel: STAKEHOLDER_LABELS[r.stakeholder_type] ?? r.stakeholder_type,
      categoryCode: r.category_code,
      categoryName: r.category_name,
    })),
    total,
    page,
    requestedPage: args.page,
    pageCount,
    pageSize,
  };
}

/** Countries of implementation of the public nominees (of one category, if given), sorted by name. */
export async function nomineeCountries(
  args: { editionId: number; categoryId?: number | null; now: Date },
  database: Db = db(),
): Promise<Array<{ code: string; name: string }>> {
  let query = publicProjects(database, args.now).where("projects.edition_id", "=", args.editionId);
  if (args.categoryId) query = query.where("projects.category_id", "=", args.categoryId);
  const rows = await query.select("projects.country").distinct().execute();
  return rows
    .map((r) => ({ code: r.country, name: countryName(r.country) }))
    .sort((a, b) => a.name.localeCompare(b.name, "en"));
}

/** Splits a comma-separated list of numbers ("1,4,17"), keeping only those within 1..max, sorted. */
export function numberList(value: string, max: number): number[] {
  const out = new Set<number>();
  for (const part of value.split(",")) {
    const n = Number(part.trim());
    if (Number.isInteger(n) && n >= 1 && n <= max) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

/** Largest id PostgreSQL's `integer` holds: a bigger one cannot exist and must not reach the query. */
const MAX_ID = 2_147_483_647;

/** A route parameter as a positive database id, or null. */
export function parseId(value: string | undefined): number | null {
  if (!value || !/^[1-9]\d{0,9}$/.test(value)) return null;
  const n = Number(value);
  return n <= MAX_ID ? n : null;
}

/**
 * A project as the public sees it, or undefined when it is not public at `now` (draft, withdrawn, rejected,
 * undecided, or its edition's nominees are not published): callers answer 404, whatever the reason.
 */
export async function findPublicProject(id: number, now: Date, database: Db = db()) {
  const row = await publicProjects(database, now)
    .where("projects.id", "=", id)
    .select([
      "projects.id",
      "projects.title",
      "projects.website",
      "projects.country",
      "projects.start_year",
      "projects.implementation_status",
      "projects.short_description",
      "projects.sdgs",
      "projects.gdc_objectives",
      "projects.action_line_linkage",
      "projects.sdg_linkage",
      "projects.gdc_linkage",
      "projects.impact",
      "projects.partnerships",
      "projects.challenges",
      "organisations.name as organisation_name",
      "organisations.stakeholder_type",
      "organisations.country as organisation_country",
      "organisations.region",
      "organisations.website as organisation_website",
      "categories.code as category_code",
      "categories.name as category_name",
      "editions.year as edition_year",
      "editions.name as edition_name",
      "projects.edition_id",
      "projects.category_id",
    ])
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...row,
    countryName: countryName(row.country),
    organisationCountryName: countryName(row.organisation_country),
    regionLabel: REGION_LABELS[row.region] ?? row.region,
    stakeholderLabel: STAKEHOLDER_LABELS[row.stakeholder_type] ?? row.stakeholder_type,
    sdgList: numberList(row.sdgs, 17),
    gdcList: numberList(row.gdc_objectives, 5),
  };
}

export type PublicProject = NonNullable<Awaited<ReturnType<typeof findPublicProject>>>;

/** The absolute address of a public page, from APP_URL: shared links never depend on the request's Host. */
export function publicUrl(pathAndSearch: string): string {
  return new URL(pathAndSearch, env().APP_URL).href;
}

export interface CatalogueListing {
  selected: CatalogueEdition;
  /** Editions with published nominees, newest first. */
  editions: Array<{ year: number; name: string }>;
  /** The filters in force (bad parameters dropped, page clamped to the results). */
  query: CatalogueQuery;
  /** Why a parameter of the address was ignored or changed. */
  notices: string[];
  /** Null when the edition's nominees are not public. */
  results: ResultPage<NomineeSummary> | null;
  countries: Array<{ code: string; name: string }>;
}

/**
 * Everything a catalogue listing shows (/projects, /categories/:code): the edition, the filters read from the
 * address, one page of matching nominees and the countries to filter by. Never throws on bad parameters.
 */
export async function catalogueListing(
  args: { params: URLSearchParams; categoryId: number | null; now: Date },
  database: Db = db(),
): Promise<CatalogueListing> {
  const { query, notices } = parseCatalogueQuery(args.params, isCountryCode);
  const [selected, editions] = await Promise.all([
    catalogueEdition(query.edition, args.now, database),
    editionsPublished("nominees_published_at", args.now, database),
  ]);
  if (selected.kind !== "published")
    return { selected, editions, query, notices, results: null, countries: [] };
  const editionId = selected.edition.id;
  const [results, countries] = await Promise.all([
    searchNominees(
      {
        editionId,
        filters: { ...query, categoryId: args.categoryId },
        page: query.page,
        now: args.now,
      },
      database,
    ),
    nomineeCountries({ editionId, categoryId: args.categoryId, now: args.now }, database),
  ]);
  if (results.page !== query.page) {
    notices.push(`There is no page ${query.page} of these results; showing page ${results.page}.`);
  }
  return { selected, editions, query: { ...query, page: results.page }, notices, results, countries };
}

/** The canonical address of a listing page with its filters, for og:url and the canonical link. */
export function listingUrl(pathname: string, query: Partial<CatalogueQuery>): string {
  return publicUrl(pathname + querySearch(query));
}

/** The categories page: the edition shown, and the 18 categories with their public nominee counts. */
export async function categoriesOverview(args: { params: URLSearchParams; now: Date }, database: Db = db()) {
  const { query, notices } = parseCatalogueQuery(args.params, isCountryCode);
  const [selected, editions] = await Promise.all([
    catalogueEdition(query.edition, args.now, database),
    editionsPublished("nominees_published_at", args.now, database),
  ]);
  // Before publication the categories are still listed, without counts.
  const categories: Array<{ code: string; name: string; nominees: number | null }> =
    selected.kind === "published"
      ? await categoriesWithNomineeCounts(selected.edition.id, args.now, database)
      : (await database.selectFrom("categories").select(["code", "name"]).orderBy("position").execute()).map(
          (c) => ({
            ...c,
            nominees: null,
          }),
        );
  return { selected, editions, edition: query.edition, notices, categories };
}

/** The 404 message for `?edition=YEAR` naming no edition with public nominees. */
export function editionNotFound(year: number): Response {
  return new Response(`No nominees have been published for a ${year} edition.`, {
    status: 404,
    statusText: "Not Found",
  });
}

/** A listing reduced to what its page renders (and what is safe to send to the browser). */
export function listingView(listing: CatalogueListing, pathname: string) {
  const { selected } = listing;
  const edition =
    selected.kind === "published" || selected.kind === "not-published" ? selected.edition : null;
  return {
    edition: edition ? { year: edition.year, name: edition.name } : null,
    published: selected.kind === "published",
    editions: listing.editions,
    notices: listing.notices,
    query: listing.query,
    results: listing.results,
    countries: listing.countries,
    pathname,
    url: listingUrl(pathname, listing.query),
  };
}

/**
 * Where to redirect a listing address that is valid but not in its canonical form (blank fields left by a
 * GET form, another parameter order, unknown parameters), so shared links stay short; null when it already is.
 * Addresses with a notice are left alone: the notice explains what was ignored.
 */
export function canonicalRedirect(
  url: URL,
  listing: { query: Partial<SubmissionsQuery>; notices: readonly string[] },
): string | null {
  if (listing.notices.length) return null;
  const canonical = querySearch(listing.query);
  if (new URLSearchParams(url.search).toString() === canonical.replace(/^\?/, "")) return null;
  return url.pathname + canonical;
}
