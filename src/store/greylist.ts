// Greylisting state in libSQL (table greylist): one row per triplet, decided by one SQL upsert
// per triplet so that concurrent sessions with the same new triplet cannot both pass, and
// expired rows are removed lazily in the same write (bounded).

import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";

export type GreylistTimes = {
  /** A retry passes once this long after the first attempt. */
  readonly delayMs: number;
  /** An unpassed triplet not retried (after the delay) within this long starts over. */
  readonly retryWindowMs: number;
  /** A passed triplet unused for this long is forgotten; each use refreshes it. */
  readonly expiryMs: number;
};

export type GreylistStatus =
  /** First sight (or the old entry had expired): refuse. */
  | { readonly kind: "new"; readonly retryAt: number }
  /** Seen, but the delay has not passed: refuse again. */
  | { readonly kind: "early"; readonly retryAt: number; readonly attempts: number }
  /** Passed now or before: accept. */
  | { readonly kind: "pass"; readonly firstSeen: number; readonly passedAt: number };

const CLEANUP_BATCH = 100;

/**
 * Records one attempt for every key in one atomic write and returns each key's status. All
 * decisions are made in SQL (the writer runs no JS between statements): in an UPDATE, column
 * names refer to the row as it was, so each CASE sees the state before this attempt.
 */
export async function greylistCheck(db: Db, keys: readonly string[], now: number, t: GreylistTimes): Promise<GreylistStatus[]> {
  if (keys.length === 0) return [];
  const expired = "((passed_at IS NULL AND :now > first_seen + :retry) OR (passed_at IS NOT NULL AND :now > last_seen + :expiry))";
  const stmts: InStatement[] = keys.map((key) => ({
    sql: `INSERT INTO greylist (key, first_seen, last_seen, passed_at, blocked) VALUES (:key, :now, :now, NULL, 1)
      ON CONFLICT (key) DO UPDATE SET
        first_seen = CASE WHEN ${expired} THEN :now ELSE first_seen END,
        passed_at = CASE WHEN ${expired} THEN NULL
                         WHEN passed_at IS NOT NULL THEN passed_at
                         WHEN :now >= first_seen + :delay THEN :now
                         ELSE NULL END,
        blocked = CASE WHEN ${expired} THEN 1
                       WHEN passed_at IS NULL AND :now < first_seen + :delay THEN blocked + 1
                       ELSE blocked END,
        last_seen = :now
      RETURNING first_seen, passed_at, blocked`,
    args: { key, now, delay: t.delayMs, retry: t.retryWindowMs, expiry: t.expiryMs },
  }));
  stmts.push(cleanupStatement(now, t));
  const rs = await db.writer.write(stmts);
  return keys.map((_, i) => {
    const row = rs[i]!.rows[0]!;
    const firstSeen = Number(row["first_seen"]);
    const passedAt = row["passed_at"] === null ? null : Number(row["passed_at"]);
    const blocked = Number(row["blocked"]);
    if (passedAt !== null) return { kind: "pass", firstSeen, passedAt };
    // A fresh row (or one reset on expiry) has blocked = 1: this attempt is its first.
    if (blocked <= 1) return { kind: "new", retryAt: firstSeen + t.delayMs };
    return { kind: "early", retryAt: firstSeen + t.delayMs, attempts: blocked };
  });
}

/**
 * Lazy expiry, at most CLEANUP_BATCH rows per write, through the last_seen index: unpassed rows
 * past the retry window (their last attempt is older than that, so is their first) and passed
 * rows unused for `expiry`. The upsert treats such rows as new anyway; this only frees space.
 */
function cleanupStatement(now: number, t: GreylistTimes): InStatement {
  return {
    sql: `DELETE FROM greylist WHERE key IN (SELECT key FROM greylist WHERE last_seen < :unpassed
      AND (passed_at IS NULL OR last_seen < :passed) LIMIT ${CLEANUP_BATCH})`,
    args: { unpassed: now - Math.max(t.retryWindowMs, t.delayMs), passed: now - t.expiryMs },
  };
}

/** Number of stored triplets (for tests and the admin view). */
export async function greylistSize(db: Db): Promise<number> {
  const rs = await db.client.execute("SELECT count(*) AS n FROM greylist");
  return Number(rs.rows[0]!["n"]);
}
