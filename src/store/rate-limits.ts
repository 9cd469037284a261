// Rate counters in libSQL (table rate_counters), so limits hold across restarts and across
// every session of the process: one row per key and fixed window; the sliding estimate is
// computed from the current and the previous window (src/trust/rate-window.ts).

import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import { slidingCount, windowStart } from "../trust/rate-window.ts";

/** One counter to bump: `key` names what is counted and for whom, e.g. "messages:ip:192.0.2.1". */
export type RateHit = { readonly key: string; readonly windowMs: number };

/** Rows older than the previous window are dead; at most this many go per statement. */
const CLEANUP_BATCH = 100;

/**
 * Counts one event for every hit in one atomic write and returns each key's sliding estimate,
 * this event included. The increment is an upsert (`ON CONFLICT DO UPDATE … RETURNING`), so
 * concurrent sessions never lose a count and each sees its own position.
 */
export async function countHits(db: Db, hits: readonly RateHit[], now: number): Promise<number[]> {
  if (hits.length === 0) return [];
  const stmts: InStatement[] = [];
  for (const h of hits) {
    const start = windowStart(now, h.windowMs);
    stmts.push(
      {
        sql: "INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1) ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count",
        args: [h.key, start],
      },
      { sql: "SELECT count FROM rate_counters WHERE key = ? AND window_start = ?", args: [h.key, start - h.windowMs] },
      cleanup(h.key, start - h.windowMs),
    );
  }
  const rs = await db.writer.write(stmts);
  return hits.map((h, i) => {
    const current = Number(rs[i * 3]!.rows[0]?.["count"] ?? 0);
    const previous = Number(rs[i * 3 + 1]!.rows[0]?.["count"] ?? 0);
    return slidingCount(current, previous, now, h.windowMs);
  });
}

/** The sliding estimate of each key without counting anything (a read; no write). */
export async function peekHits(db: Db, hits: readonly RateHit[], now: number): Promise<number[]> {
  const out: number[] = [];
  for (const h of hits) {
    const start = windowStart(now, h.windowMs);
    const rs = await db.client.execute({
      sql: "SELECT window_start, count FROM rate_counters WHERE key = ? AND window_start IN (?, ?)",
      args: [h.key, start, start - h.windowMs],
    });
    let current = 0;
    let previous = 0;
    for (const r of rs.rows) {
      if (Number(r["window_start"]) === start) current = Number(r["count"]);
      else previous = Number(r["count"]);
    }
    out.push(slidingCount(current, previous, now, h.windowMs));
  }
  return out;
}

/**
 * Lazy expiry: windows before `oldestKept` no longer matter for keys of the same kind and
 * scope (the key up to its last ':'-separated id, e.g. "messages:ip:"). Bounded per call, and
 * served by the window_start index.
 */
function cleanup(key: string, oldestKept: number): InStatement {
  const family = key.split(":").slice(0, 2).join(":") + ":";
  return {
    sql: `DELETE FROM rate_counters WHERE rowid IN (SELECT rowid FROM rate_counters WHERE window_start < ? AND substr(key, 1, ?) = ? LIMIT ${CLEANUP_BATCH})`,
    args: [oldestKept, family.length, family],
  };
}
