// SQL fragments shared by the IMAP store ops: UID sets, flag tests and edits on the stored
// JSON flag array, and the copy/expunge statement builders every mutating op is made of.

import type { InStatement, InValue } from "@libsql/client";
import { SYSTEM_FLAG_BITS } from "../db/schema/mailboxes.ts";

/** A SQL expression yielding one mailbox id (a bound id, or a lookup by name). */
export type MailboxRef = { sql: string; args: Record<string, InValue> };

export function mailboxById(id: number, key = "mbx"): MailboxRef {
  return { sql: `:${key}`, args: { [key]: id } };
}

/** Which messages of a mailbox: listed UIDs, or all of them. */
export type UidSelection = readonly number[] | "all";

/**
 * `AND uid …` for a UID set: `= :key` for one UID, `BETWEEN` for an ascending run without
 * gaps (FETCH n, STORE u, FETCH a:b — most sets), otherwise `IN` over a JSON array argument,
 * one statement text whatever the set size. The first two cost about half of json_each for
 * a single UID and less for a run (measured on the bench corpus).
 */
export function uidFilter(sel: UidSelection, key: string, col = "uid"): { sql: string; args: Record<string, InValue> } {
  if (sel === "all") return { sql: "", args: {} };
  if (sel.length === 1 && Number.isInteger(sel[0])) return { sql: ` AND ${col} = :${key}`, args: { [key]: sel[0]! } };
  if (sel.length > 1 && isRun(sel)) return { sql: ` AND ${col} BETWEEN :${key}_lo AND :${key}_hi`, args: { [`${key}_lo`]: sel[0]!, [`${key}_hi`]: sel[sel.length - 1]! } };
  return { sql: ` AND ${col} IN (SELECT value FROM json_each(:${key}))`, args: { [key]: JSON.stringify(sel) } };
}

/** u, u+1, u+2, …: exactly the integers of [first, last]. */
function isRun(uids: readonly number[]): boolean {
  const first = uids[0]!;
  if (!Number.isInteger(first)) return false;
  for (let i = 1; i < uids.length; i++) if (uids[i] !== first + i) return false;
  return true;
}

/**
 * "message has flag :key". System flags are stored canonically by our writes, but lower()
 * also matches any spelling another writer stored (flags are case-insensitive, RFC 9051 §9).
 */
export function hasFlag(flagsCol: string, key: string, known?: string): string {
  // A system flag known when the SQL is built: a test on the system_flags bitmask.
  if (known !== undefined && systemFlagBit(known) !== 0) return systemFlagTest(flagsCol, known, true);
  const exact = `EXISTS (SELECT 1 FROM json_each(${flagsCol}) WHERE lower(value) = lower(:${key}))`;
  // With the flag known when the SQL is built: a plain substring test on the JSON text first
  // (LIKE ignores ASCII case, as lower() does), so json_each runs only on rows that may have
  // it — EXPUNGE tests every message of the mailbox, three times.
  return known !== undefined && LIKE_SAFE.test(known) ? `(${flagsCol} LIKE '%${known.replace(/^\\/, "")}%' AND ${exact})` : exact;
}

const BITS = new Map<string, number>(Object.entries(SYSTEM_FLAG_BITS));

/** The system_flags bit of a system flag (any case), 0 for a keyword. */
export function systemFlagBit(flag: string): number {
  return BITS.get(flag.toLowerCase()) ?? 0;
}

/**
 * "has" (or "lacks") a system flag, on the system_flags column next to `flagsCol`. Spelt
 * exactly like the WHERE of the partial indexes (src/db/schema/mailboxes.ts) for \Deleted
 * (`(system_flags & 8) != 0`) and unseen (`(system_flags & 1) = 0`): SQLite uses a partial
 * index only for a query term identical to its WHERE.
 */
export function systemFlagTest(flagsCol: string, flag: string, has: boolean): string {
  const bit = systemFlagBit(flag);
  if (bit === 0) throw new Error(`not a system flag: ${flag}`);
  const col = flagsCol.replace(/flags$/, "system_flags");
  return `(${col} & ${bit}) ${has ? "!=" : "="} 0`;
}

/** Flags whose JSON text contains them verbatim and that are no LIKE wildcards or quotes. */
const LIKE_SAFE = /^\\?[A-Za-z0-9$.-]+$/;

const F = "mailbox_messages.flags";
const IN_STORED = `(SELECT lower(value) FROM json_each(${F}))`;
const IN_GIVEN = "(SELECT lower(value) FROM json_each(:flags))";
const ADDS = `EXISTS (SELECT 1 FROM json_each(:flags) AS f WHERE lower(f.value) NOT IN ${IN_STORED})`;
const REMOVES = `EXISTS (SELECT 1 FROM json_each(${F}) AS o WHERE lower(o.value) IN ${IN_GIVEN})`;
const DROPS = `EXISTS (SELECT 1 FROM json_each(${F}) AS o WHERE lower(o.value) NOT IN ${IN_GIVEN})`;

/**
 * STORE as SQL on the row's current JSON (RFC 9051 §6.4.6): `changed` is true only when
 * the flag set really changes (no MODSEQ bump for a no-op), `value` is the new array.
 * Evaluated per row at execution, so two ops grouped into one commit compose.
 */
export function flagEdit(op: "set" | "add" | "remove"): { changed: string; value: string } {
  switch (op) {
    case "add":
      return {
        changed: ADDS,
        value:
          `(SELECT json_group_array(v) FROM (SELECT value AS v FROM json_each(${F}) ` +
          `UNION ALL SELECT f.value FROM json_each(:flags) AS f WHERE lower(f.value) NOT IN ${IN_STORED}))`,
      };
    case "remove":
      return { changed: REMOVES, value: `(SELECT json_group_array(value) FROM json_each(${F}) WHERE lower(value) NOT IN ${IN_GIVEN})` };
    case "set":
      return { changed: `(${ADDS} OR ${DROPS})`, value: "json(:flags)" };
  }
}

/**
 * Copies the selected messages of `src` into `dst` (COPY, MOVE, RENAME INBOX), as one
 * statement list for a write op. New UIDs are dst.uid_next + rank in source-UID order, all
 * with MODSEQ dst.highest_modseq + 1; then uid_next/highest_modseq move past them. Bodies
 * are shared by hash, never copied; \Recent is not carried over (RFC 9051 §2.3.2).
 * Results: [0] the source UIDs that exist, [1] the new UIDs (RETURNING), [2] the counters.
 * Nothing is inserted if dst is missing or belongs to another account.
 */
export function copyStatements(src: MailboxRef, dst: MailboxRef, sel: UidSelection, now: number): InStatement[] {
  const f = uidFilter(sel, "uids", "s.uid");
  const args = { ...src.args, ...dst.args, ...f.args };
  const dstOk = `EXISTS (SELECT 1 FROM mailboxes d WHERE d.id = ${dst.sql} AND d.account_id = (SELECT account_id FROM mailboxes WHERE id = ${src.sql}))`;
  return [
    { sql: `SELECT s.uid FROM mailbox_messages s WHERE s.mailbox_id = ${src.sql}${f.sql} ORDER BY s.uid`, args: { ...src.args, ...f.args } },
    {
      // A same-table INSERT … SELECT is materialised first (SQLite), so copying into the
      // source mailbox never reads its own new rows.
      sql:
        "INSERT INTO mailbox_messages (mailbox_id, uid, body_hash, flags, modseq, internal_date, size, queue_id, created_at) " +
        `SELECT ${dst.sql}, (SELECT uid_next FROM mailboxes WHERE id = ${dst.sql}) + ROW_NUMBER() OVER (ORDER BY s.uid) - 1, s.body_hash, ` +
        "(SELECT json_group_array(value) FROM json_each(s.flags) WHERE lower(value) != '\\recent'), " +
        `(SELECT highest_modseq + 1 FROM mailboxes WHERE id = ${dst.sql}), s.internal_date, s.size, s.queue_id, :now ` +
        `FROM mailbox_messages s WHERE s.mailbox_id = ${src.sql}${f.sql} AND ${dstOk} ORDER BY s.uid RETURNING uid`,
      args: { ...args, now },
    },
    {
      // Rows at or above uid_next exist only if the INSERT above added them.
      sql:
        "UPDATE mailboxes SET highest_modseq = highest_modseq + 1, " +
        "uid_next = (SELECT MAX(uid) + 1 FROM mailbox_messages WHERE mailbox_id = mailboxes.id) " +
        `WHERE id = ${dst.sql} AND EXISTS (SELECT 1 FROM mailbox_messages WHERE mailbox_id = mailboxes.id AND uid >= mailboxes.uid_next) ` +
        "RETURNING uidvalidity, uid_next, highest_modseq",
      args: dst.args,
    },
  ];
}

/**
 * Expunges the messages of `mbx` matching `where` (a condition on mailbox_messages): one
 * new MODSEQ for the op, each UID remembered in `expunged` with it (QRESYNC VANISHED,
 * RFC 7162 §3.2.10), then the rows deleted. `where` is evaluated three times on the same
 * unchanged rows, so the three statements agree. Results: [1] RETURNING the expunged UIDs.
 * `bump: false` reuses the MODSEQ a preceding statement of the op already allocated.
 */
export function expungeStatements(mbx: MailboxRef, where: { sql: string; args: Record<string, InValue> }, bump = true): InStatement[] {
  const cond = `mailbox_messages.mailbox_id = ${mbx.sql}${where.sql}`;
  const args = { ...mbx.args, ...where.args };
  const bumpStmt: InStatement = {
    sql: `UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ${mbx.sql} AND EXISTS (SELECT 1 FROM mailbox_messages WHERE ${cond}) RETURNING highest_modseq`,
    args,
  };
  return [
    bump ? bumpStmt : { sql: `SELECT highest_modseq FROM mailboxes WHERE id = ${mbx.sql}`, args: mbx.args },
    {
      sql:
        `INSERT INTO expunged (mailbox_id, uid, modseq) SELECT mailbox_id, uid, (SELECT highest_modseq FROM mailboxes WHERE id = ${mbx.sql}) ` +
        `FROM mailbox_messages WHERE ${cond} ORDER BY uid RETURNING uid`,
      args,
    },
    { sql: `DELETE FROM mailbox_messages WHERE ${cond}`, args },
  ];
}
