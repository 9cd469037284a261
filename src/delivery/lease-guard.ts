// Makes a write op conditional on the worker still holding its lease on some queue rows, in
// SQL (a write op has no JS between statements). The worker uses it for the DSN of a batch:
// a worker whose lease lapsed and was taken over records nothing (recordResultsOp is owner-
// only), so it must not send the DSN either — the new owner reports what it decides.

import type { InStatement, InValue } from "@libsql/client";
import type { WriteOp } from "../db/writer.ts";
import { placeholders } from "../store/queue-rows.ts";

export type LeaseGuard = { sql: string; args: InValue[] };

/**
 * True while `owner` holds the in-flight lease on EVERY one of `ids`. Must be evaluated
 * before the results UPDATE in the same commit clears those leases: put the guarded
 * statements first. (Rows of one batch are claimed and renewed together, so "all" and
 * "any" differ only if a takeover split a batch; then no DSN is better than one listing
 * recipients another worker is still deciding.)
 */
export function leaseGuard(owner: string, ids: readonly number[]): LeaseGuard {
  if (ids.length === 0) throw new RangeError("leaseGuard: no recipient ids");
  return {
    sql: `(SELECT COUNT(*) FROM queue_recipients WHERE lease_owner = ? AND state = 'inflight' AND id IN (${placeholders(ids.length)})) = ${ids.length}`,
    args: [owner, ...ids],
  };
}

const INSERT_VALUES = /^(INSERT(?:\s+OR\s+\w+)?\s+INTO\s+\w+\s*\([^)]*\))\s*VALUES\s*([\s\S]+)$/i;
const INSERT_SELECT = /^INSERT(?:\s+OR\s+\w+)?\s+INTO\s+\w+\s*\([^)]*\)\s*SELECT\s/i;
const UPDATE = /^UPDATE\s+\w+\s+SET\s/i;
const RETURNING = /\sRETURNING\s[^?]*$/i;

/**
 * Each statement of `op` runs only if the guard holds. Understands the shapes our store ops
 * use — INSERT … VALUES, INSERT … SELECT … WHERE, UPDATE … WHERE (each optionally with a
 * parameter-free RETURNING) — and throws on anything else, so a new shape fails loudly in
 * tests instead of being written unguarded. Positional (`?`) arguments only: the guard's
 * arguments are appended, and every rewrite puts the guard after all existing placeholders.
 */
export function guardOp(op: WriteOp, guard: LeaseGuard): InStatement[] {
  return op.map((s) => {
    if (typeof s !== "object" || s === null || !("sql" in s) || typeof s.sql !== "string" || (s.args !== undefined && !Array.isArray(s.args))) {
      throw new TypeError("guardOp: only { sql, args: [] } statements can be guarded");
    }
    const args = [...((s.args as InValue[] | undefined) ?? []), ...guard.args];
    const sql = s.sql.trim();
    const ret = RETURNING.exec(sql);
    const head = ret ? sql.slice(0, ret.index) : sql;
    const tail = ret ? ret[0] : "";
    const values = INSERT_VALUES.exec(head);
    if (values) {
      // INSERT … VALUES (…), (…) → INSERT … SELECT * FROM (VALUES (…), (…)) WHERE guard
      return { sql: `${values[1]} SELECT * FROM (VALUES ${values[2]}) WHERE ${guard.sql}${tail}`, args };
    }
    const where = INSERT_SELECT.test(head) || UPDATE.test(head) ? topLevelWhere(head) : -1;
    // WHERE (existing condition) AND guard: the parentheses keep a top-level OR intact.
    if (where >= 0) return { sql: `${head.slice(0, where)}WHERE (${head.slice(where + 5).trim()}) AND ${guard.sql}${tail}`, args };
    throw new TypeError(`guardOp: cannot guard statement ${sql.slice(0, 60)}…`);
  });
}

/** Index of the statement's own WHERE keyword (outside parentheses and quotes), or -1. */
function topLevelWhere(sql: string): number {
  let depth = 0;
  let quote: string | null = null;
  let found = -1;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && /^WHERE\b/i.test(sql.slice(i, i + 6)) && /\s/.test(sql[i - 1] ?? "")) found = i;
  }
  return found;
}
