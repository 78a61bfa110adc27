import type { Migration } from "kysely";
import * as m20261124000001 from "./2026_11_24_000001_create_foundation";
import * as m20261124000002 from "./2026_11_24_000002_create_nomination";
import * as m20261124000003 from "./2026_11_24_000003_create_voting";
import * as m20261124000004 from "./2026_11_24_000004_create_selection";
import * as m20261124000005 from "./2026_11_24_000005_index_votes_by_time";
import * as m20261125000006 from "./2026_11_25_000006_index_votes_by_voter";
import * as m20261203000001 from "./2026_12_03_000001_create_role_revocations";
import * as m20261203000002 from "./2026_12_03_000002_create_app_meta";

/** Every migration, by name. Static imports so migrations run the same from the CLI, the server and tests. */
export const migrations: Record<string, Migration> = {
  "2026_11_24_000001_create_foundation": m20261124000001,
  "2026_11_24_000002_create_nomination": m20261124000002,
  "2026_11_24_000003_create_voting": m20261124000003,
  "2026_11_24_000004_create_selection": m20261124000004,
  "2026_11_24_000005_index_votes_by_time": m20261124000005,
  "2026_11_25_000006_index_votes_by_voter": m20261125000006,
  "2026_12_03_000001_create_role_revocations": m20261203000001,
  "2026_12_03_000002_create_app_meta": m20261203000002,
};
