import type { Db } from "../../db/client";
import type { Decision, ItuRegion, ProjectStatus } from "../../db/schema";
import {
  parseSubmissionsQuery,
  type SubmissionsQuery,
  DECISION_LABELS,
  PROJECT_STATUS_LABELS,
  REGION_LABELS,
  REGIONS,
  STAKEHOLDER_LABELS,
  STAKEHOLDER_TYPES,
  type DecisionFilter,
} from "../schemas/catalogue";
import { db } from "../utils/db.server";
import { audit } from "./audit.server";
import {
  countryName,
  findCategory,
  isCountryCode,
  pageBounds,
  projectFilterCondition,
  type ProjectFilters,
  type ResultPage,
} from "./catalogue.server";
import { toCsv } from "./csv";
import { currentEdition, findEditionByYear, listEditions } from "./editions.server";
import { formatInstant } from "./phases";

/** Counts of one row of the dashboard: projects by status, and the review outcome of the submitted ones. */
export interface StatusCounts {
  draft: number;
  submitted: number;
  withdrawn: number;
  total: number;
  /** Among submitted projects. */
  nominated: number;
  rejected: number;
  undecided: number;
}

export interface CountRow extends StatusCounts {
  /** The filter value this row stands for (category code, region, stakeholder type). */
  key: string;
  label: string;
}

export interface SubmissionsDashboard {
  byCategory: CountRow[];
  byRegion: CountRow[];
  byStakeholder: CountRow[];
  totals: StatusCounts;
}

function zero(): StatusCounts {
  return { draft: 0, submitted: 0, withdrawn: 0, total: 0, nominated: 0, rejected: 0, undecided: 0 };
}

function add(into: StatusCounts, status: ProjectStatus, decision: Decision | null, n: number): void {
  into[status] += n;
  into.total += n;
  if (status !== "submitted") return;
  if (decision === "nominate") into.nominated += n;
  else if (decision === "reject") into.rejected += n;
  else into.undecided += n;
}

/**
 * Submissions of an edition counted per category, region, stakeholder type and status, in one grouped query
 * (at most 18 × 7 × 6 × 3 × 3 groups, whatever the number of projects).
 */
export async function submissionsDashboard(
  editionId: number,
  database: Db = db(),
): Promise<SubmissionsDashboard> {
  const [categories, groups] = await Promise.all([
    database.selectFrom("categories").select(["code", "name"]).orderBy("position").execute(),
    database
      .selectFrom("projects")
      .innerJoin("organisations", "organisations.id", "projects.organisation_id")
      .innerJoin("categories", "categories.id", "projects.category_id")
      .leftJoin("nomination_decisions", "nomination_decisions.project_id", "projects.id")
      .where("projects.edition_id", "=", editionId)
      .select((eb) => [
        "categories.code",
        "organisations.region",
        "organisations.stakeholder_type",
        "projects.status",
        "nomination_decisions.decision",
        eb.fn.countAll<number>().as("n"),
      ])
      .groupBy([
        "categories.code",
        "organisations.region",
        "organisations.stakeholder_type",
        "projects.status",
        "nomination_decisions.decision",
      ])
      .execute(),
  ]);
  const byCategory = new Map(categories.map((c) => [c.code, { key: c.code, label: c.name, ...zero() }]));
  const byRegion = new Map<string, CountRow>(
    REGIONS.map((r) => [r, { key: r, label: REGION_LABELS[r], ...zero() }]),
  );
  const byStakeholder = new Map<string, CountRow>(
    STAKEHOLDER_TYPES.map((s) => [s, { key: s, label: STAKEHOLDER_LABELS[s], ...zero() }]),
  );
  const totals = zero();
  for (const g of groups) {
    const n = Number(g.n);
    for (const row of [
      byCategory.get(g.code),
      byRegion.get(g.region),
      byStakeholder.get(g.stakeholder_type),
    ]) {
      if (row) add(row, g.status, g.decision, n);
    }
    add(totals, g.status, g.decision, n);
  }
  return {
    byCategory: [...byCategory.values()],
    byRegion: [...byRegion.values()],
    byStakeholder: [...byStakeholder.values()],
    totals,
  };
}

/** The organiser's filters: the catalogue's plus status and review decision. */
export interface SubmissionFilters extends ProjectFilters {
  status?: ProjectStatus | null;
  decision?: DecisionFilter | null;
}

function submissionsQuery(database: Db, editionId: number, filters: SubmissionFilters) {
  let query = database
    .selectFrom("projects")
    .innerJoin("organisations", "organisations.id", "projects.organisation_id")
    .innerJoin("categories", "categories.id", "projects.category_id")
    .leftJoin("nomination_decisions", "nomination_decisions.project_id", "projects.id")
    .where("projects.edition_id", "=", editionId)
    .where((eb) => projectFilterCondition(eb, filters));
  if (filters.status) query = query.where("projects.status", "=", filters.status);
  if (filters.decision === "undecided") query = query.where("nomination_decisions.decision", "is", null);
  else if (filters.decision) query = query.where("nomination_decisions.decision", "=", filters.decision);
  return query;
}

export interface SubmissionSummary {
  id: number;
  title: string;
  organisation: string;
  categoryCode: string;
  status: ProjectStatus;
  statusLabel: string;
  decision: Decision | null;
  decisionLabel: string;
  region: ItuRegion;
  regionLabel: string;
  stakeholderLabel: string;
  countryName: string;
  submittedAt: string | null;
  updatedAt: string;
}

/** One page of an edition's projects (every status) matching `filters`, newest change first. */
export async function listSubmissions(
  args: { editionId: number; filters: SubmissionFilters; page: number; pageSize?: number },
  database: Db = db(),
): Promise<ResultPage<SubmissionSummary>> {
  const pageSize = args.pageSize ?? 50;
  const base = submissionsQuery(database, args.editionId, args.filters);
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
            "projects.status",
            "projects.country",
            "projects.submitted_at",
            "projects.updated_at",
            "organisations.name as organisation",
            "organisations.region",
            "organisations.stakeholder_type",
            "categories.code as category_code",
            "nomination_decisions.decision",
          ])
          .orderBy("projects.updated_at", "desc")
          .orderBy("projects.id", "desc")
          .limit(pageSize)
          .offset(offset)
          .execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      title: r.title,
      organisation: r.organisation,
      categoryCode: r.category_code,
      status: r.status,
      statusLabel: PROJECT_STATUS_LABELS[r.status] ?? r.status,
      decision: r.decision,
      decisionLabel: r.status === "submitted" ? DECISION_LABELS[r.decision ?? "undecided"] : "",
      region: r.region,
      regionLabel: REGION_LABELS[r.region] ?? r.region,
      stakeholderLabel: STAKEHOLDER_LABELS[r.stakeholder_type] ?? r.stakeholder_type,
      countryName: countryName(r.country),
      submittedAt: r.submitted_at,
      updatedAt: r.updated_at,
    })),
    total,
    page,
    requestedPage: args.page,
    pageCount,
    pageSize,
  };
}

/** Columns of the CSV export, in order. */
export const CSV_COLUMNS = [
  "project_id",
  "edition",
  "category_code",
  "category_name",
  "status",
  "decision",
  "reject_reason",
  "reject_reason_text",
  "decided_at",
  "title",
  "website",
  "country_code",
  "country",
  "start_year",
  "implementation_status",
  "short_description",
  "sdgs",
  "gdc_objectives",
  "action_line_linkage",
  "sdg_linkage",
  "gdc_linkage",
  "impact",
  "partnerships",
  "challenges",
  "created_at",
  "updated_at",
  "submitted_at",
  "organisation_id",
  "organisation_name",
  "stakeholder_type",
  "organisation_country_code",
  "organisation_country",
  "region",
  "organisation_website",
  "contact_name",
  "contact_email",
] as const;

/**
 * The CSV of an edition's submissions (all statuses, or those matching `filters`) with their organisations,
 * every text cell neutralised against formula injection. The export of contact data is audit-logged.
 */
export async function exportSubmissionsCsv(
  args: { editionId: number; filters: SubmissionFilters; actorUserId: number; now: Date },
  database: Db = db(),
): Promise<{ csv: string; rows: number; year: number }> {
  const edition = await database
    .selectFrom("editions")
    .select(["id", "year"])
    .where("id", "=", args.editionId)
    .executeTakeFirstOrThrow();
  const rows = await submissionsQuery(database, args.editionId, args.filters)
    .select([
      "projects.id",
      "categories.code as category_code",
      "categories.name as category_name",
      "projects.status",
      "nomination_decisions.decision",
      "nomination_decisions.reason",
      "nomination_decisions.reason_text",
      "nomination_decisions.decided_at",
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
      "projects.created_at",
      "projects.updated_at",
      "projects.submitted_at",
      "organisations.id as organisation_id",
      "organisations.name as organisation_name",
      "organisations.stakeholder_type",
      "organisations.country as organisation_country",
      "organisations.region",
      "organisations.website as organisation_website",
      "organisations.contact_name",
      "organisations.contact_email",
    ])
    .orderBy("categories.position")
    .orderBy("projects.id")
    .execute();
  const csv = toCsv(
    CSV_COLUMNS,
    rows.map((r) => [
      r.id,
      edition.year,
      r.category_code,
      r.category_name,
      r.status,
      r.decision,
      r.reason,
      r.reason_text,
      r.decided_at,
      r.title,
      r.website,
      r.country,
      countryName(r.country),
      r.start_year,
      r.implementation_status,
      r.short_description,
      r.sdgs,
      r.gdc_objectives,
      r.action_line_linkage,
      r.sdg_linkage,
      r.gdc_linkage,
      r.impact,
      r.partnerships,
      r.challenges,
      r.created_at,
      r.updated_at,
      r.submitted_at,
      r.organisation_id,
      r.organisation_name,
      r.stakeholder_type,
      r.organisation_country,
      countryName(r.organisation_country),
      r.region,
      r.organisation_website,
      r.contact_name,
      r.contact_email,
    ]),
  );
  await audit(database, {
    actorUserId: args.actorUserId,
    action: "submissions.export",
    entity: "edition",
    entityId: edition.id,
    after: { rows: rows.length, filters: args.filters },
    now: args.now,
  });
  return { csv, rows: rows.length, year: edition.year };
}

/** Countries of implementation of an edition's projects (any status), sorted by name. */
export async function projectCountries(editionId: number, database: Db = db()) {
  const rows = await database
    .selectFrom("projects")
    .select("country")
    .distinct()
    .where("edition_id", "=", editionId)
    .where("country", "!=", "")
    .execute();
  return rows
    .map((r) => ({ code: r.country, name: countryName(r.country) }))
    .sort((a, b) => a.name.localeCompare(b.name, "en"));
}

/** Organiser's filters read from an address, resolved against an edition and the categories. */
export async function resolveSubmissionsQuery(
  args: { params: URLSearchParams; now: Date },
  database: Db = db(),
) {
  const { query, notices } = parseSubmissionsQuery(args.params, isCountryCode);
  const edition = query.edition
    ? await findEditionByYear(query.edition, database)
    : await currentEdition(args.now, database);
  let category: { id: number; code: string; name: string } | undefined;
  if (query.category) {
    category = await findCategory(query.category, database);
    if (!category) notices.push("Unknown category; the category filter was ignored.");
  }
  const resolved: SubmissionsQuery = { ...query, category: category?.code ?? null };
  const filters: SubmissionFilters = { ...query, categoryId: category?.id ?? null };
  return { edition, query: resolved, filters, notices };
}

/**
 * The organiser's submissions page for the edition named in the address (or the current one): counts per
 * category, region, stakeholder type and status, plus one page of the submissions matching the filters.
 */
export async function submissionsOverview(args: { params: URLSearchParams; now: Date }, database: Db = db()) {
  const { edition, query, filters, notices } = await resolveSubmissionsQuery(args, database);
  const editions = (await listEditions(database)).map((e) => ({ year: e.year, name: e.name }));
  if (!edition)
    return { edition: null, editions, query, notices, dashboard: null, list: null, countries: [] };
  const [dashboard, list, countries] = await Promise.all([
    submissionsDashboard(edition.id, database),
    listSubmissions({ editionId: edition.id, filters, page: query.page }, database),
    projectCountries(edition.id, database),
  ]);
  if (list.page !== query.page) {
    notices.push(`There is no page ${query.page} of these submissions; showing page ${list.page}.`);
  }
  return {
    edition: { id: edition.id, year: edition.year, name: edition.name },
    editions,
    query: { ...query, page: list.page },
    notices,
    dashboard,
    countries,
    list: {
      ...list,
      items: list.items.map((item) => ({
        ...item,
        updated: formatInstant(item.updatedAt, edition.timezone),
      })),
    },
  };
}
