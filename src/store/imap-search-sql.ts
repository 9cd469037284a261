// SEARCH keys that depend only on stored columns (flags, size, INTERNALDATE, MODSEQ), as one
// SQL condition on mailbox_messages with the same outcome as search-eval.ts: such a search
// (UNSEEN, FLAGGED SINCE d, …) runs inside SQLite and only the matches come back.

import type { Db } from "../db/client.ts";
import type { InValue } from "@libsql/client";
import type { SearchKey } from "../protocol/imap/types.ts";
import { hasFlag, systemFlagBit, systemFlagTest } from "./imap-sql.ts";

const DAY = 86_400_000;

export type SqlCondition = { sql: string; args: Record<string, InValue> };

/**
 * The key as a condition on mailbox_messages, or null when some part needs the session (message
 * numbers, \Recent, `$`) or the content (headers, body). Flags compare case-insensitively on
 * US-ASCII, which is exact for what search-eval.ts does as long as the flag is US-ASCII.
 */
export function searchCondition(key: SearchKey): SqlCondition | null {
  const args: Record<string, InValue> = {};
  let n = 0;
  const bind = (v: InValue): string => {
    const name = `s${n++}`;
    args[name] = v;
    return `:${name}`;
  };
  const flag = (f: string): string | null => {
    if (!/^[\x01-\x7f]*$/.test(f)) return null;
    // System flags (also as KEYWORD \Seen): the system_flags bitmask, no bound argument.
    if (systemFlagBit(f) !== 0) return systemFlagTest("flags", f, true);
    const p = bind(f);
    return hasFlag("flags", p.slice(1), f);
  };
  const day = (date: string): number | null => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    if (!m) return null;
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY;
  };
  const walk = (k: SearchKey): string | null => {
    switch (k.kind) {
      case "all":
        return "1";
      case "answered":
        return flag("\\Answered");
      case "deleted":
        return flag("\\Deleted");
      case "draft":
        return flag("\\Draft");
      case "flagged":
        return flag("\\Flagged");
      case "seen":
        return flag("\\Seen");
      case "unanswered":
        return systemFlagTest("flags", "\\Answered", false);
      case "undeleted":
        return systemFlagTest("flags", "\\Deleted", false);
      case "undraft":
        return systemFlagTest("flags", "\\Draft", false);
      case "unflagged":
        return systemFlagTest("flags", "\\Flagged", false);
      case "unseen":
        return systemFlagTest("flags", "\\Seen", false);
      case "keyword":
        return flag(k.flag);
      case "unkeyword":
        if (systemFlagBit(k.flag) !== 0) return systemFlagTest("flags", k.flag, false);
        return not(flag(k.flag));
      case "larger":
        return `size > ${bind(k.size)}`;
      case "smaller":
        return `size < ${bind(k.size)}`;
      // INTERNALDATE's day in UTC (search-eval.ts, no zone offset on this path).
      case "before":
      case "on":
      case "since": {
        const d = day(k.date);
        if (d === null || !Number.isFinite(d)) return null;
        const from = d * DAY;
        if (k.kind === "before") return `internal_date < ${bind(from)}`;
        if (k.kind === "since") return `internal_date >= ${bind(from)}`;
        return `(internal_date >= ${bind(from)} AND internal_date < ${bind(from + DAY)})`;
      }
      case "modseq":
        return `modseq >= ${bind(BigInt(k.modseq))}`;
      case "not":
        return not(walk(k.key));
      case "or": {
        const a = walk(k.a);
        const b = a === null ? null : walk(k.b);
        return a === null || b === null ? null : `(${a} OR ${b})`;
      }
      case "and": {
        const parts: string[] = [];
        for (const x of k.keys) {
          const c = walk(x);
          if (c === null) return null;
          parts.push(c);
        }
        return parts.length === 0 ? "1" : `(${parts.join(" AND ")})`;
      }
      default:
        return null;
    }
  };
  const sql = walk(key);
  return sql === null ? null : { sql, args };
}

function not(c: string | null): string | null {
  return c === null ? null : `NOT (${c})`;
}

/**
 * [uid, modseq] of the messages with UIDs in [from, to] that satisfy `cond`, ascending. Without
 * `withModseq` the modseq is 0 and only the UID is read: a partial index on (mailbox_id, uid)
 * then answers the query alone (SEARCH UNSEEN reads no table rows). A SEARCH reports MODSEQ
 * only when its key uses MODSEQ (RFC 7162 §3.1.5).
 */
export async function matchingInRange(db: Db, mailboxId: number, from: number, to: number, cond: SqlCondition, withModseq = true): Promise<[number, number][]> {
  const cols = withModseq ? "uid || ',' || modseq" : "uid";
  const j = await db.read.value(
    `SELECT group_concat(${cols}) AS j FROM ` +
      `(SELECT uid${withModseq ? ", modseq" : ""} FROM mailbox_messages WHERE mailbox_id = :mbx AND uid BETWEEN :lo AND :hi AND ${cond.sql} ORDER BY uid)`,
    { ...cond.args, mbx: mailboxId, lo: from, hi: to },
  );
  if (j === null || j === undefined || j === "") return [];
  const nums = String(j).split(",");
  const out: [number, number][] = [];
  if (withModseq) for (let i = 0; i + 1 < nums.length; i += 2) out.push([Number(nums[i]), Number(nums[i + 1])]);
  else for (const n of nums) out.push([Number(n), 0]);
  // group_concat follows the ordered subquery in SQLite, but that is not a documented promise.
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1]![0] > out[i]![0]) return out.sort((a, b) => a[0] - b[0]);
  }
  return out;
}
