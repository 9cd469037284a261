// DKIM signing keys per domain (RFC 6376; rotation as in M3AAWG's DKIM key rotation BCP):
// several selectors per domain, a key signs until retired, and a retired key is kept so its
// record can still be printed until the operator unpublishes it and deletes the row.

import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { dkimKeys } from "../db/schema/mod.ts";
import { normalizeDomain, requireDomain } from "./address.ts";
import { isUniqueViolation } from "./errors.ts";

export type DkimKey = typeof dkimKeys.$inferSelect;
export type DkimAlgorithm = DkimKey["algorithm"];

export const DKIM_ALGORITHMS: readonly DkimAlgorithm[] = ["rsa-sha256", "ed25519-sha256"];

// RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ), sub-domain as in RFC 5321 §4.1.2
// (letters, digits, inner hyphens); each label at most 63 octets (RFC 1035 §2.3.4).
const SELECTOR_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lower-case selector (DNS names compare case-insensitively), or null when not valid. */
export function normalizeSelector(selector: string): string | null {
  const s = selector.trim().toLowerCase();
  if (s === "" || s.length > 200) return null;
  return s.split(".").every((l) => SELECTOR_LABEL.test(l)) ? s : null;
}

export type NewDkimKey = {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  /** PKCS#8 PEM. */
  privateKey: string;
  /** base64 for the record's p= tag. */
  publicKey: string;
  /** ms; defaults to now. */
  createdAt?: number;
};

/** Expected DKIM store failures, with a stable `code` (DESIGN §8). */
export class DkimKeyError extends Error {
  readonly code: "DKIM_KEY_EXISTS" | "INVALID_SELECTOR" | "INVALID_ALGORITHM";
  constructor(code: DkimKeyError["code"], message: string) {
    super(message);
    this.name = "DkimKeyError";
    this.code = code;
  }
}

export function requireSelector(selector: string): string {
  const s = normalizeSelector(selector);
  if (s === null) throw new DkimKeyError("INVALID_SELECTOR", `not a valid DKIM selector: ${JSON.stringify(selector)}`);
  return s;
}

/** Adds all keys in one write op: either every selector is stored or none is. */
export async function addDkimKeys(db: Db, keys: readonly NewDkimKey[]): Promise<DkimKey[]> {
  if (keys.length === 0) return [];
  const now = Date.now();
  const rows = keys.map((k) => {
    if (!DKIM_ALGORITHMS.includes(k.algorithm)) throw new DkimKeyError("INVALID_ALGORITHM", `unknown DKIM algorithm: ${String(k.algorithm)}`);
    return {
      domain: requireDomain(k.domain),
      selector: requireSelector(k.selector),
      algorithm: k.algorithm,
      privateKey: k.privateKey,
      publicKey: k.publicKey,
      createdAt: k.createdAt ?? now,
      retiredAt: null,
    };
  });
  try {
    const results = await db.writer.write(rows.map((r) => db.orm.insert(dkimKeys).values(r).returning({ id: dkimKeys.id })));
    return rows.map((r, i) => ({ ...r, id: Number(results[i].rows[0].id) }));
  } catch (e) {
    if (isUniqueViolation(e)) {
      const names = rows.map((r) => `${r.selector}._domainkey.${r.domain}`).join(", ");
      throw new DkimKeyError("DKIM_KEY_EXISTS", `a DKIM key already exists for ${names}`);
    }
    throw e;
  }
}

export async function addDkimKey(db: Db, key: NewDkimKey): Promise<DkimKey> {
  const [k] = await addDkimKeys(db, [key]);
  return k;
}

/** Every key (retired ones too), by domain, then oldest first. */
export async function listDkimKeys(db: Db, domain?: string): Promise<DkimKey[]> {
  const q = db.orm.select().from(dkimKeys);
  const order = [asc(dkimKeys.domain), asc(dkimKeys.createdAt), asc(dkimKeys.selector)] as const;
  if (domain === undefined) return q.orderBy(...order);
  const d = normalizeDomain(domain);
  if (d === null) return [];
  return q.where(eq(dkimKeys.domain, d)).orderBy(...order);
}

export async function getDkimKey(db: Db, domain: string, selector: string): Promise<DkimKey | null> {
  const d = normalizeDomain(domain);
  const s = normalizeSelector(selector);
  if (d === null || s === null) return null;
  const [k] = await db.orm.select().from(dkimKeys).where(and(eq(dkimKeys.domain, d), eq(dkimKeys.selector, s))).limit(1);
  return k ?? null;
}

/** The keys that sign mail for `domain` now: every key not retired. */
export async function activeDkimKeys(db: Db, domain: string): Promise<DkimKey[]> {
  const d = normalizeDomain(domain);
  if (d === null) return [];
  return db.orm
    .select()
    .from(dkimKeys)
    .where(and(eq(dkimKeys.domain, d), isNull(dkimKeys.retiredAt)))
    .orderBy(asc(dkimKeys.createdAt), asc(dkimKeys.selector));
}

/**
 * Stops signing with the key; the row stays (its record may still be published, and
 * verifiers of mail already sent look it up). False when no active key matched.
 */
export async function retireDkimKey(db: Db, domain: string, selector: string, now = Date.now()): Promise<boolean> {
  const d = normalizeDomain(domain);
  const s = normalizeSelector(selector);
  if (d === null || s === null) return false;
  const [res] = await db.writer.write([
    db.orm
      .update(dkimKeys)
      .set({ retiredAt: now })
      .where(and(eq(dkimKeys.domain, d), eq(dkimKeys.selector, s), isNull(dkimKeys.retiredAt))),
  ]);
  return res.rowsAffected > 0;
}

/** Removes the key for good (active or retired). False when there was none. */
export async function deleteDkimKey(db: Db, domain: string, selector: string): Promise<boolean> {
  const d = normalizeDomain(domain);
  const s = normalizeSelector(selector);
  if (d === null || s === null) return false;
  const [res] = await db.writer.write([db.orm.delete(dkimKeys).where(and(eq(dkimKeys.domain, d), eq(dkimKeys.selector, s)))]);
  return res.rowsAffected > 0;
}
