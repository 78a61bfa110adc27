import { describe, expect, it } from "vitest";
import type { Role } from "../../db/schema";
import { ROLES } from "../../db/schema";
import { PERMISSIONS, can, type Permission } from "../../app/utils/permissions";

// DESIGN §7, written out by hand: one row per permission, one column per role (V S E O). Changing who may do
// what means changing this table on purpose.
const MATRIX: Record<
  Permission,
  { voter: boolean; submitter: boolean; expert: boolean; organiser: boolean }
> = {
  "vote:cast": { voter: true, submitter: false, expert: false, organiser: false },
  "vote:read:own": { voter: true, submitter: false, expert: false, organiser: false },
  "organisation:manage:own": { voter: false, submitter: true, expert: false, organiser: false },
  "project:manage:own": { voter: false, submitter: true, expert: false, organiser: false },
  "project:review:assigned": { voter: false, submitter: false, expert: true, organiser: false },
  "project:score:assigned": { voter: false, submitter: false, expert: true, organiser: false },
  "edition:manage": { voter: false, submitter: false, expert: false, organiser: true },
  "expert:manage": { voter: false, submitter: false, expert: false, organiser: true },
  "nomination:manage": { voter: false, submitter: false, expert: false, organiser: true },
  "vote:manage-validity": { voter: false, submitter: false, expert: false, organiser: true },
  "selection:manage": { voter: false, submitter: false, expert: false, organiser: true },
  "results:publish": { voter: false, submitter: false, expert: false, organiser: true },
  "user:manage-roles": { voter: false, submitter: false, expert: false, organiser: true },
  "contest:read:all": { voter: false, submitter: false, expert: false, organiser: true },
  "audit:read": { voter: false, submitter: false, expert: false, organiser: true },
  "mail:read-dev-outbox": { voter: false, submitter: false, expert: false, organiser: true },
};

const isPermission = (key: string): key is Permission => Object.hasOwn(PERMISSIONS, key);
const permissions: Permission[] = Object.keys(PERMISSIONS).filter(isPermission);

describe("PERMISSIONS (role × permission)", () => {
  it("lists exactly the permissions of the matrix", () => {
    expect([...permissions].sort()).toEqual(Object.keys(MATRIX).sort());
  });

  it("names only known roles", () => {
    for (const p of permissions) for (const r of PERMISSIONS[p]) expect(ROLES).toContain(r);
  });

  for (const permission of Object.keys(MATRIX).filter(isPermission)) {
    for (const role of ROLES) {
      const allowed = MATRIX[permission][role];
      it(`${role} ${allowed ? "may" : "may not"} ${permission}`, () => {
        expect(can([role], permission)).toBe(allowed);
      });
    }
  }

  it("refuses everything to a user with no role (anonymous or unverified)", () => {
    for (const p of permissions) expect(can([], p)).toBe(false);
  });

  it("grants the union of a user's roles, and nothing more", () => {
    const roles: Role[] = ["voter", "expert"];
    for (const p of permissions) {
      expect(can(roles, p), p).toBe(MATRIX[p].voter || MATRIX[p].expert);
    }
    const everyone: Role[] = [...ROLES];
    for (const p of permissions) expect(can(everyone, p), p).toBe(true);
  });

  it("keeps organiser-only powers away from every other role, even combined", () => {
    const others: Role[] = ["voter", "submitter", "expert"];
    for (const p of [
      "edition:manage",
      "expert:manage",
      "nomination:manage",
      "vote:manage-validity",
      "selection:manage",
      "results:publish",
      "user:manage-roles",
      "contest:read:all",
      "audit:read",
      "mail:read-dev-outbox",
    ] as const) {
      expect(can(others, p), p).toBe(false);
      expect(can(["organiser"], p), p).toBe(true);
    }
  });
});
