// STORE (RFC 9051 §6.4.6) with CONDSTORE UNCHANGEDSINCE (RFC 7162 §3.1.3): one write op
// whose flag edits are SQL on the row's current JSON, so concurrent STOREs compose.

import type { Db } from "../db/client.ts";
import type { MailboxChange } from "./hub.ts";
import { flagEdit, uidFilter } from "./imap-sql.ts";

export const SYSTEM_FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"] as const;
const SYSTEM_BY_LOWER = new Map<string, string>(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));

/**
 * Flags as stored: system flags in their RFC spelling, duplicates (case-insensitive,
 * RFC 9051 §9 rule 2) dropped keeping the first spelling, and \Recent removed — it is a
 * session property, never stored (RFC 9051 §2.3.2 dropped it; RFC 3501 forbids STORE of it).
 */
export function canonicalFlags(flags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of flags) {
    const lower = f.toLowerCase();
    if (lower === "\\recent" || seen.has(lower)) continue;
    seen.add(lower);
    out.push(SYSTEM_BY_LOWER.get(lower) ?? f);
  }
  return out;
}

export type FlagState = { uid: number; flags: string[]; modseq: number };

export type StoreResult = {
  /** Messages whose flags changed, ascending by UID, with their new flags and MODSEQ. */
  updated: FlagState[];
  /** Messages in the set that exist but needed no change (still owed a FETCH unless .SILENT). */
  unchanged: FlagState[];
  /** UIDs that failed UNCHANGEDSINCE — the MODIFIED response code (RFC 7162 §3.1.3). */
  modified: number[];
  /** HIGHESTMODSEQ after the op. */
  highestModseq: number;
  /** The "flags" change to publish after this resolved, or none when nothing changed. */
  changes: MailboxChange[];
};

/**
 * Applies a STORE to the listed UIDs (those no longer present are skipped — a concurrent
 * EXPUNGE). Changed messages share one new MODSEQ = ++HIGHESTMODSEQ; a no-op STORE does not
 * bump it. With `unchangedSince`, a message whose MODSEQ is above it is left alone and
 * reported in `modified`; the test runs in the same transaction as the update, so two
 * conditional STOREs racing on one message cannot both win.
 */
export async function storeFlags(
  db: Db,
  mailboxId: number,
  uids: readonly number[],
  op: "set" | "add" | "remove",
  flags: readonly string[],
  unchangedSince?: number | bigint | null,
): Promise<StoreResult> {
  if (uids.length === 0) {
    const hms = await db.read.value("SELECT highest_modseq FROM mailboxes WHERE id = ?", [mailboxId]);
    return { updated: [], unchanged: [], modified: [], highestModseq: Number(hms ?? 0), changes: [] };
  }
  const edit = flagEdit(op);
  const inSet = uidFilter(uids, "uids", "mailbox_messages.uid");
  const cond = unchangedSince === undefined || unchangedSince === null ? "" : " AND mailbox_messages.modseq <= :since";
  const args = { mbx: mailboxId, flags: JSON.stringify(canonicalFlags(flags)), since: unchangedSince ?? null, ...inSet.args };
  const target = `mailbox_messages.mailbox_id = :mbx${inSet.sql}${cond} AND ${edit.changed}`;
  const res = await db.writer.write([
    // [0] Fails the condition; read before the update, inside the same transaction.
    cond === ""
      ? { sql: "SELECT 1 WHERE 0", args: [] }
      : { sql: `SELECT uid FROM mailbox_messages WHERE mailbox_messages.mailbox_id = :mbx${inSet.sql} AND modseq > :since ORDER BY uid`, args },
    // [1] One new MODSEQ for the op, only if some row will change (RFC 7162 §3.1).
    { sql: `UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = :mbx AND EXISTS (SELECT 1 FROM mailbox_messages WHERE ${target})`, args },
    // [2] Same predicate on the same rows as [1]: exactly the rows counted there.
    {
      sql:
        `UPDATE mailbox_messages SET flags = ${edit.value}, modseq = (SELECT highest_modseq FROM mailboxes WHERE id = :mbx) ` +
        `WHERE ${target} RETURNING uid`,
      args,
    },
    // [3] The set's state after the op, for the untagged FETCH responses.
    { sql: `SELECT uid, flags, modseq FROM mailbox_messages WHERE mailbox_messages.mailbox_id = :mbx${inSet.sql} ORDER BY uid`, args },
    { sql: "SELECT highest_modseq FROM mailboxes WHERE id = :mbx", args },
  ]);
  const modified = res[0].rows.map((r) => Number(r.uid));
  const changed = new Set(res[2].rows.map((r) => Number(r.uid)));
  const failed = new Set(modified);
  const updated: FlagState[] = [];
  const unchanged: FlagState[] = [];
  for (const r of res[3].rows) {
    const s = { uid: Number(r.uid), flags: JSON.parse(String(r.flags)) as string[], modseq: Number(r.modseq) };
    if (changed.has(s.uid)) updated.push(s);
    else if (!failed.has(s.uid)) unchanged.push(s);
  }
  const highestModseq = Number(res[4].rows[0]?.highest_modseq ?? 0);
  const changes: MailboxChange[] =
    updated.length > 0 ? [{ mailboxId, kind: "flags", uids: updated.map((u) => u.uid), modseq: highestModseq }] : [];
  return { updated, unchanged, modified, highestModseq, changes };
}
