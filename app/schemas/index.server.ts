/**
 * The schemas routes parse requests with. Routes import them from here, never from the schema modules: a
 * `.server` module is left out of the browser build, so zod stays out of every page's JavaScript (the
 * compiler cannot drop a schema module a route imports, even when only the action uses it). Components and
 * route components take constants and pure helpers from the zod-free `*-options` modules.
 */
export { AuditFilterParam, OutboxStatusParam, PageParam, RoleChangeSchema, SearchParam } from "./admin";
export {
  AccountActionSchema,
  ForgotPasswordSchema,
  LoginSchema,
  RegisterSchema,
  ResetPasswordSchema,
  TokenSchema,
} from "./auth";
export { parseCatalogueQuery, parseSubmissionsQuery } from "./catalogue";
export { EditionCreateSchema, EditionUpdateSchema, OpenPhaseSchema } from "./edition";
export { AssignmentFormSchema, DecisionFormSchema, PublishFormSchema, parseQueueQuery } from "./nomination";
export {
  InvitationTokenParam,
  InviteSchema,
  OrganisationIdParam,
  OrganisationSchema,
  RemoveMemberSchema,
} from "./organisation";
export { draftProjectSchema, submitProjectSchema } from "./project";
export { ResultsActionSchema, parseResultsQuery } from "./results";
export {
  ConflictFormSchema,
  SelectionAdminFormSchema,
  SubmitCategoryFormSchema,
  scoreFormSchema,
} from "./selection";
export { VotingAdminAction } from "./voting";
