import { CATEGORIES } from "../app/domain/categories";
import type { Db } from "./client";

/** Inserts or renames the 18 categories of DESIGN §2 (idempotent). */
export async function seedCategories(db: Db): Promise<void> {
  for (const [i, c] of CATEGORIES.entries()) {
    await db
      .insertInto("categories")
      .values({ code: c.code, name: c.name, position: i + 1 })
      .onConflict((oc) => oc.column("code").doUpdateSet({ name: c.name, position: i + 1 }))
      .execute();
  }
}
