// Local domains: the set this server accepts mail for as final destination. Anything
// else is "remote" and needs authentication to relay (DESIGN §5, no open relay).

import { asc, count, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { accounts, domains } from "../db/schema/mod.ts";
import { normalizeDomain, requireDomain } from "./address.ts";
import { StoreError, isForeignKeyViolation, isUniqueViolation } from "./errors.ts";

export type Domain = { id: number; name: string; createdAt: number };

export async function addDomain(db: Db, name: string): Promise<Domain> {
  const d = requireDomain(name);
  try {
    const [res] = await db.writer.write([
      db.orm.insert(domains).values({ name: d, createdAt: Date.now() }).returning(),
    ]);
    const row = res.rows[0];
    return { id: Number(row.id), name: String(row.name), createdAt: Number(row.created_at) };
  } catch (e) {
    if (isUniqueViolation(e)) throw new StoreError("DOMAIN_EXISTS", `domain ${d} already exists`);
    throw e;
  }
}

/** Removes the domain and its aliases; refuses while accounts still live in it. */
export async function removeDomain(db: Db, name: string): Promise<boolean> {
  const d = normalizeDomain(name);
  if (d === null) return false;
  const [used] = await db.orm
    .select({ n: count() })
    .from(accounts)
    .innerJoin(domains, eq(accounts.domainId, domains.id))
    .where(eq(domains.name, d));
  if (used.n > 0) throw new StoreError("DOMAIN_IN_USE", `domain ${d} still has ${used.n} account(s)`);
  const suffix = `@${d}`;
  try {
    const res = await db.writer.write([
      { sql: "DELETE FROM aliases WHERE substr(source, -?2) = ?1", args: [suffix, suffix.length] },
      db.orm.delete(domains).where(eq(domains.name, d)),
    ]);
    return res[1].rowsAffected > 0;
  } catch (e) {
    // An account was added between the check and the delete: FK RESTRICT caught it.
    if (isForeignKeyViolation(e)) throw new StoreError("DOMAIN_IN_USE", `domain ${d} still has accounts`);
    throw e;
  }
}

export async function listDomains(db: Db): Promise<Domain[]> {
  return db.orm.select().from(domains).orderBy(asc(domains.name));
}

/** Case-insensitive; accepts U-labels and a trailing dot. */
export async function isLocalDomain(db: Db, name: string): Promise<boolean> {
  const d = normalizeDomain(name);
  if (d === null) return false;
  // Raw SQL: this runs for every RCPT, where the query builder's cost shows.
  const res = await db.client.execute({ sql: "SELECT 1 FROM domains WHERE name = ? LIMIT 1", args: [d] });
  return res.rows.length > 0;
}
