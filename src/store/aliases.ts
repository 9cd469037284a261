// Aliases: a source address (or catch-all "@domain") forwards to destination addresses,
// local or remote. Expansion rules live in resolve.ts.

import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { aliases } from "../db/schema/mod.ts";
import { normalizeDomain, requireAddress, requireDomain, splitAddress } from "./address.ts";
import { isLocalDomain } from "./domains.ts";
import { StoreError, isUniqueViolation } from "./errors.ts";

export type Alias = { id: number; source: string; destination: string; createdAt: number };

/** `x@d` or `@d` (catch-all) → normalised form, or null. */
export function normalizeAliasSource(source: string): string | null {
  if (source.startsWith("@")) {
    const d = normalizeDomain(source.slice(1));
    return d === null ? null : `@${d}`;
  }
  return splitAddress(source)?.address ?? null;
}

function requireSource(source: string): { source: string; domain: string } {
  if (source.startsWith("@")) {
    const d = requireDomain(source.slice(1));
    return { source: `@${d}`, domain: d };
  }
  const a = requireAddress(source);
  return { source: a.address, domain: a.domain };
}

/**
 * The source's domain must be local: an alias for a foreign domain would never match.
 * The destination keeps its local part's case, which only the remote side may interpret.
 */
export async function addAlias(db: Db, source: string, destination: string): Promise<Alias> {
  const s = requireSource(source);
  const d = requireAddress(destination);
  if (!(await isLocalDomain(db, s.domain))) throw new StoreError("DOMAIN_NOT_FOUND", `domain ${s.domain} is not a local domain`);
  try {
    const [res] = await db.writer.write([
      db.orm.insert(aliases).values({ source: s.source, destination: d.verbatim, createdAt: Date.now() }).returning(),
    ]);
    const row = res.rows[0];
    return { id: Number(row.id), source: s.source, destination: d.verbatim, createdAt: Number(row.created_at) };
  } catch (e) {
    if (isUniqueViolation(e)) throw new StoreError("ALIAS_EXISTS", `alias ${s.source} -> ${d.verbatim} already exists`);
    throw e;
  }
}

/** Removes one source → destination pair, or every pair of `source` when no destination is given. */
export async function removeAlias(db: Db, source: string, destination?: string): Promise<number> {
  const s = normalizeAliasSource(source);
  if (s === null) return 0;
  let where = eq(aliases.source, s);
  if (destination !== undefined) {
    const d = splitAddress(destination);
    if (d === null) return 0;
    where = and(where, eq(aliases.destination, d.verbatim)) ?? where;
  }
  const [res] = await db.writer.write([db.orm.delete(aliases).where(where)]);
  return res.rowsAffected;
}

export async function listAliases(db: Db): Promise<Alias[]> {
  return db.orm.select().from(aliases).orderBy(asc(aliases.source), asc(aliases.destination));
}

/** Destinations of one exact source (`x@d` or `@d`), already normalised. */
export async function aliasDestinations(db: Db, source: string): Promise<string[]> {
  const res = await db.client.execute({ sql: "SELECT destination FROM aliases WHERE source = ? ORDER BY id", args: [source] });
  return res.rows.map((r) => String(r.destination));
}
