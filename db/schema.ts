import type { Generated, Insertable, Selectable, Updateable } from "kysely";

/** Timestamps are ISO-8601 UTC strings ("2026-11-24T10:00:00.000Z") on both SQLite and PostgreSQL. */
type Timestamp = string;

export type Role = "voter" | "submitter" | "expert" | "organiser";
export const ROLES: readonly Role[] = ["voter", "submitter", "expert", "organiser"];

export interface UsersTable {
  id: Generated<number>;
  /** Canonical form used for uniqueness (lower-cased; Gmail dots and +tags removed). */
  email_canonical: string;
  /** The address as typed, where mail is sent. */
  email: string;
  name: string;
  password_hash: string;
  email_verified_at: Timestamp | null;
  created_at: Timestamp;
  /** Address awaiting confirmation after a change of email; the old one stays in use until then. */
  pending_email: string | null;
}

export interface UserRolesTable {
  user_id: number;
  role: Role;
  granted_by: number | null;
  created_at: Timestamp;
}

/** A role an organiser withdrew: self-service paths may not grant it again while the row exists. */
export interface RoleRevocationsTable {
  user_id: number;
  role: Role;
  revoked_by: number | null;
  revoked_at: Timestamp;
}

export interface SessionsTable {
  /** SHA-256 of the cookie token: a database leak does not hand out live sessions. */
  id: string;
  user_id: number;
  created_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export type TokenKind = "verify_email" | "reset_password" | "change_email";

export interface TokensTable {
  id: Generated<number>;
  user_id: number;
  kind: TokenKind;
  /** SHA-256 of the token sent by email. */
  token_hash: string;
  new_email: string | null;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: Timestamp;
}

export interface CategoriesTable {
  id: Generated<number>;
  code: string;
  name: string;
  position: number;
}

export interface EditionsTable {
  id: Generated<number>;
  year: number;
  name: string;
  timezone: string;
  submission_opens_at: Timestamp;
  submission_closes_at: Timestamp;
  nomination_opens_at: Timestamp;
  nomination_closes_at: Timestamp;
  voting_opens_at: Timestamp;
  voting_closes_at: Timestamp;
  selection_opens_at: Timestamp;
  selection_closes_at: Timestamp;
  announcement_opens_at: Timestamp;
  announcement_closes_at: Timestamp;
  min_long_answer_words: number;
  created_at: Timestamp;
  /** Set when organisers publish the nominee list: nominated projects become public, submitters are told. */
  nominees_published_at: Timestamp | null;
  results_published_at: Timestamp | null;
}

export type StakeholderType =
  "government" | "private_sector" | "civil_society" | "international_organisation" | "academia" | "other";

export type ItuRegion =
  "africa" | "americas" | "arab_states" | "asia_pacific" | "cis" | "europe" | "international";

export interface OrganisationsTable {
  id: Generated<number>;
  name: string;
  stakeholder_type: StakeholderType;
  country: string;
  region: ItuRegion;
  website: string | null;
  contact_name: string;
  contact_email: string;
  created_by: number | null;
  created_at: Timestamp;
}

export interface OrganisationMembersTable {
  organisation_id: number;
  user_id: number;
  created_at: Timestamp;
}

export type ProjectStatus = "draft" | "submitted" | "withdrawn";
export type ImplementationStatus = "completed" | "major_phase_ended";

export interface ProjectsTable {
  id: Generated<number>;
  edition_id: number;
  organisation_id: number;
  category_id: number;
  status: ProjectStatus;
  title: string;
  website: string | null;
  country: string;
  start_year: number | null;
  implementation_status: ImplementationStatus | null;
  short_description: string;
  /** Comma-separated SDG numbers, e.g. "1,4,17". */
  sdgs: string;
  /** Comma-separated Global Digital Compact objective numbers (1..5). */
  gdc_objectives: string;
  action_line_linkage: string;
  sdg_linkage: string;
  gdc_linkage: string;
  impact: string;
  partnerships: string;
  challenges: string;
  /** Normalised title + description, used to refuse exact duplicates. */
  fingerprint: string;
  /** Normalised title, for "similar title" checks against earlier winners. */
  title_normalised: string;
  submitted_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type OutboxStatus = "queued" | "sent" | "failed";

export interface OutboxTable {
  id: Generated<number>;
  /** Unique per recipient and kind (and subject where relevant): the database refuses a second copy. */
  idempotency_key: string;
  kind: string;
  to_address: string;
  subject: string;
  html: string;
  text: string;
  status: OutboxStatus;
  attempts: number;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  /** The project and edition an award notification is about (delivery panel); null for account emails. */
  project_id: number | null;
  edition_id: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  actor_user_id: number | null;
  action: string;
  entity: string;
  entity_id: string | null;
  before_json: string | null;
  after_json: string | null;
  created_at: Timestamp;
}

export interface OrganisationInvitationsTable {
  id: Generated<number>;
  organisation_id: number;
  email_canonical: string;
  email: string;
  token_hash: string;
  invited_by: number | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
}

export type ExpertStage = "nomination" | "selection";

export interface ExpertAssignmentsTable {
  edition_id: number;
  user_id: number;
  category_id: number;
  stage: ExpertStage;
  created_at: Timestamp;
}

export type Decision = "nominate" | "reject";
export type RejectReason =
  "incomplete" | "out_of_scope" | "not_implemented" | "duplicate" | "previous_winner" | "other";

export interface NominationDecisionsTable {
  project_id: number;
  decision: Decision;
  reason: RejectReason | null;
  reason_text: string | null;
  decided_by: number | null;
  decided_at: Timestamp;
}

export type FlagKind = "near_duplicate" | "previous_winner";

export interface ProjectFlagsTable {
  id: Generated<number>;
  project_id: number;
  kind: FlagKind;
  match_project_id: number | null;
  score: number;
  created_at: Timestamp;
}

export type AwardKind = "champion" | "winner";

export interface AwardsTable {
  project_id: number;
  kind: AwardKind;
  edition_id: number;
  created_at: Timestamp;
}

export interface VotesTable {
  id: Generated<number>;
  edition_id: number;
  category_id: number;
  project_id: number;
  voter_id: number;
  ip: string;
  network: string;
  created_at: Timestamp;
}

export interface VoteInvalidationsTable {
  id: Generated<number>;
  vote_id: number;
  reason: string;
  flag_id: number | null;
  created_by: number | null;
  created_at: Timestamp;
}

export interface LiveCountsTable {
  project_id: number;
  edition_id: number;
  category_id: number;
  cast_votes: number;
  invalid_votes: number;
}

export interface TallyStateTable {
  edition_id: number;
  last_vote_id: number;
  last_invalidation_id: number;
  updated_at: Timestamp;
}

export interface TallyRunsTable {
  id: Generated<number>;
  edition_id: number;
  trigger: "close" | "rerun";
  votes_counted: number;
  valid_votes: number;
  started_at: Timestamp;
  finished_at: Timestamp;
  requested_by: number | null;
}

export interface TallyResultsTable {
  run_id: number;
  project_id: number;
  category_id: number;
  cast_votes: number;
  valid_votes: number;
  rank: number;
  /** 1 when in the top five of its category (ties at fifth place included). */
  champion: number;
  /** 1 when tied at the fifth place: flagged for organisers, never broken silently. */
  tied_at_cutoff: number;
}

export type FraudFlagStatus = "open" | "invalidated" | "dismissed";

export interface FraudFlagsTable {
  id: Generated<number>;
  edition_id: number;
  kind: string;
  subject: string;
  project_id: number | null;
  vote_count: number;
  evidence_json: string;
  status: FraudFlagStatus;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The nine criteria of DESIGN §4, scored 1–10 by experts during selection. */
export type Criterion =
  | "compliance"
  | "relevance"
  | "impact"
  | "empowerment"
  | "sdgs"
  | "replication"
  | "sustainability"
  | "partnerships"
  | "values";

export type SelectionScoresTable = {
  edition_id: number;
  project_id: number;
  expert_id: number;
  comment: string;
  updated_at: Timestamp;
} & { [C in Criterion as `score_${C}`]: number | null };

export interface SelectionSubmissionsTable {
  edition_id: number;
  category_id: number;
  expert_id: number;
  submitted_at: Timestamp;
}

export interface ConflictsTable {
  project_id: number;
  expert_id: number;
  reason: string;
  declared_at: Timestamp;
}

export interface WinnersTable {
  edition_id: number;
  category_id: number;
  project_id: number;
  override_reason: string | null;
  confirmed_by: number | null;
  confirmed_at: Timestamp;
}

/** Facts about the database itself (key `instance_id`: see db/instance.ts). */
export interface AppMetaTable {
  key: string;
  value: string;
}

export interface Database {
  users: UsersTable;
  user_roles: UserRolesTable;
  role_revocations: RoleRevocationsTable;
  sessions: SessionsTable;
  tokens: TokensTable;
  categories: CategoriesTable;
  editions: EditionsTable;
  organisations: OrganisationsTable;
  organisation_members: OrganisationMembersTable;
  projects: ProjectsTable;
  outbox: OutboxTable;
  audit_log: AuditLogTable;
  organisation_invitations: OrganisationInvitationsTable;
  expert_assignments: ExpertAssignmentsTable;
  nomination_decisions: NominationDecisionsTable;
  project_flags: ProjectFlagsTable;
  awards: AwardsTable;
  votes: VotesTable;
  vote_invalidations: VoteInvalidationsTable;
  live_counts: LiveCountsTable;
  tally_state: TallyStateTable;
  tally_runs: TallyRunsTable;
  tally_results: TallyResultsTable;
  fraud_flags: FraudFlagsTable;
  selection_scores: SelectionScoresTable;
  selection_submissions: SelectionSubmissionsTable;
  conflicts: ConflictsTable;
  winners: WinnersTable;
  app_meta: AppMetaTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type Edition = Selectable<EditionsTable>;
export type NewEdition = Insertable<EditionsTable>;
export type EditionUpdate = Updateable<EditionsTable>;
export type Category = Selectable<CategoriesTable>;
export type Organisation = Selectable<OrganisationsTable>;
export type Project = Selectable<ProjectsTable>;
export type NewProject = Insertable<ProjectsTable>;
export type OutboxMessage = Selectable<OutboxTable>;
