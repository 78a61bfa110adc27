import { getDb, type Db } from "../../db/client";
import { env } from "./env.server";
import { log } from "./log.server";

/** The app's database (SQLite file or PostgreSQL, from DATABASE_URL). */
export function db(): Db {
  return getDb(env().DATABASE_URL, { busyWaitMs: env().SQLITE_WAIT_MS, log });
}
