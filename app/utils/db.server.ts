import { getDb, type Db } from "../../db/client";
import { env } from "./env.server";

/** The app's database (SQLite file or PostgreSQL, from DATABASE_URL). */
export function db(): Db {
  return getDb(env().DATABASE_URL);
}
