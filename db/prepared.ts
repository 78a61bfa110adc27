import type { Compilable, CompiledQuery } from "kysely";
import type { Db } from "./client";

const SLOT = "\u0000wsis-slot:";

/**
 * A query written with Kysely but compiled once per database instead of on every call — for the hot paths
 * (every vote runs five queries; building and compiling them cost more than SQLite running them). `build`
 * receives stand-ins for the arguments; every later call runs the same SQL text with the real arguments in
 * their places, so the statement cache of db/client.ts (SQLite) or the server's plan (PostgreSQL) is reused.
 * Arguments may appear only as values (where Kysely makes parameters), never as identifiers.
 */
export function prepared<A extends unknown[], R>(
  build: (database: Db, ...args: A) => Compilable<R>,
): (database: Db, ...args: A) => Promise<R[]> {
  const compiled = new WeakMap<Db, { query: CompiledQuery<R>; slots: number[] }>();
  return async (database, ...args) => {
    let entry = compiled.get(database);
    if (!entry) {
      const query = build(database, ...(args.map((_, i) => `${SLOT}${i}`) as A)).compile();
      const slots = query.parameters.map((p) =>
        typeof p === "string" && p.startsWith(SLOT) ? Number(p.slice(SLOT.length)) : -1,
      );
      entry = { query, slots };
      compiled.set(database, entry);
    }
    const { query, slots } = entry;
    const parameters = slots.map((slot, i) => (slot < 0 ? query.parameters[i] : args[slot]));
    const result = await database.executeQuery<R>({ ...query, parameters });
    return result.rows;
  };
}
