// MTA-STS policy cache (RFC 8461 §5.1): read the cached policy of a recipient domain, and
// replace it after a successful fetch. Writes go through the single writer (DESIGN §4).

import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { mtaStsPolicies } from "../db/schema/mod.ts";

export type StsMode = "enforce" | "testing" | "none";

export type CachedStsPolicy = {
  /** Lower-case A-label recipient domain. */
  domain: string;
  /** The TXT record's `id=` the policy was fetched under (RFC 8461 §3.1). */
  policyId: string;
  mode: StsMode;
  mx: string[];
  /** Seconds, as published (after the §3.2 cap). */
  maxAge: number;
  /** Unix milliseconds. */
  fetchedAt: number;
  /** Unix milliseconds: fetchedAt + maxAge seconds. */
  expiresAt: number;
};

const MODES: readonly StsMode[] = ["enforce", "testing", "none"];

/** The cached policy for `domain` (expired or not: callers compare expiresAt with their clock). */
export async function getCachedStsPolicy(db: Db, domain: string): Promise<CachedStsPolicy | null> {
  const [row] = await db.orm.select().from(mtaStsPolicies).where(eq(mtaStsPolicies.domain, domain)).limit(1);
  if (row === undefined) return null;
  // A row that does not decode is treated as absent; the next fetch overwrites it.
  const mx = decodeMx(row.mx);
  if (mx === null || !MODES.includes(row.mode)) return null;
  return {
    domain: row.domain,
    policyId: row.policyId,
    mode: row.mode,
    mx,
    maxAge: row.maxAge,
    fetchedAt: row.fetchedAt,
    expiresAt: row.expiresAt,
  };
}

/** Inserts or replaces the policy of `p.domain` (one per domain: RFC 8461 §5.1 keeps the newest). */
export async function putCachedStsPolicy(db: Db, p: CachedStsPolicy): Promise<void> {
  const values = {
    domain: p.domain,
    policyId: p.policyId,
    mode: p.mode,
    mx: JSON.stringify(p.mx),
    maxAge: p.maxAge,
    fetchedAt: p.fetchedAt,
    expiresAt: p.expiresAt,
  };
  const { domain: _pk, ...update } = values;
  await db.writer.write([
    db.orm.insert(mtaStsPolicies).values(values).onConflictDoUpdate({ target: mtaStsPolicies.domain, set: update }),
  ]);
}

/** Removes the cached policy of `domain`; true if there was one. */
export async function deleteCachedStsPolicy(db: Db, domain: string): Promise<boolean> {
  const [res] = await db.writer.write([db.orm.delete(mtaStsPolicies).where(eq(mtaStsPolicies.domain, domain))]);
  return res.rowsAffected > 0;
}

function decodeMx(json: string): string[] | null {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) && v.every((s) => typeof s === "string") ? v : null;
  } catch {
    return null;
  }
}
