import { randomBytes } from "node:crypto";
import type { Db } from "./client";

const cache = new WeakMap<Db, Promise<string>>();

async function read(db: Db): Promise<string> {
  const find = () =>
    db.selectFrom("app_meta").select("value").where("key", "=", "instance_id").executeTakeFirst();
  const found = await find();
  if (found) return found.value;
  // The migration draws it; a database whose row was deleted gets a new one (every process agrees on the first).
  await db
    .insertInto("app_meta")
    .values({ key: "instance_id", value: randomBytes(6).toString("hex") })
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
  const drawn = await find();
  if (!drawn) throw new Error("app_meta has no instance_id");
  return drawn.value;
}

/**
 * The database's instance id: 12 hex digits drawn once per database (migration 2026_12_03_000002), read once
 * per process. Job ids derived from row ids include it, so two databases sharing a Redis key prefix (a second
 * environment, a database recreated from scratch) never mistake each other's jobs for their own. A database
 * restored from a backup keeps its id; the outbox sweeper catches the jobs that restore makes stale.
 */
export function instanceId(db: Db): Promise<string> {
  let id = cache.get(db);
  if (!id) {
    id = read(db);
    // A failed read (database down) is not remembered: the next call tries again.
    id.catch(() => cache.delete(db));
    cache.set(db, id);
  }
  return id;
}
