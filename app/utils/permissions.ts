import type { Role } from "../../db/schema";

/**
 * Every permission of the platform and the roles that hold it (DESIGN §7). Ownership (own organisation,
 * assigned category, conflicts) is checked by the domain functions on top of this table.
 */
export const PERMISSIONS = {
  "vote:cast": ["voter"],
  "vote:read:own": ["voter"],
  "organisation:manage:own": ["submitter"],
  "project:manage:own": ["submitter"],
  "project:review:assigned": ["expert"],
  "project:score:assigned": ["expert"],
  // Organiser: manage editions, phases, experts, nominations, votes' validity, winners, publication; see
  // everything.
  "edition:manage": ["organiser"],
  "expert:manage": ["organiser"],
  "nomination:manage": ["organiser"],
  "vote:manage-validity": ["organiser"],
  "selection:manage": ["organiser"],
  "results:publish": ["organiser"],
  "user:manage-roles": ["organiser"],
  "contest:read:all": ["organiser"],
  "audit:read": ["organiser"],
  "mail:read-dev-outbox": ["organiser"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** True when one of `roles` holds `permission`. */
export function can(roles: readonly Role[], permission: Permission): boolean {
  const allowed: readonly Role[] = PERMISSIONS[permission];
  return roles.some((r) => allowed.includes(r));
}
