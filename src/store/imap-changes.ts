// CONDSTORE/QRESYNC resynchronisation reads (RFC 7162): messages changed since a MODSEQ
// (FETCH CHANGEDSINCE, §3.1.4) and UIDs expunged since one (VANISHED (EARLIER), §3.2.10).

import type { Db } from "../db/client.ts";
import type { FlagState } from "./imap-flags.ts";

/** Messages with MODSEQ > `modseq` (new or flag-changed), ascending by UID. */
export async function changedSince(db: Db, mailboxId: number, modseq: number | bigint): Promise<FlagState[]> {
  const rows = await db.read.all("SELECT uid, flags, modseq FROM mailbox_messages WHERE mailbox_id = ? AND modseq > ? ORDER BY uid", [mailboxId, modseq]);
  return rows.map((r) => ({ uid: Number(r[0]), flags: JSON.parse(String(r[1])) as string[], modseq: Number(r[2]) }));
}

/**
 * UIDs expunged with MODSEQ > `modseq`, ascending. Exact, not a superset: every expunge
 * is remembered (no compaction yet), so a client is never told of UIDs it already saw go.
 */
export async function vanishedSince(db: Db, mailboxId: number, modseq: number | bigint): Promise<number[]> {
  const rows = await db.read.all("SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid", [mailboxId, modseq]);
  return rows.map((r) => Number(r[0]));
}
