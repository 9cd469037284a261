// EXPUNGE and UID EXPUNGE (RFC 9051 §6.4.3, UIDPLUS RFC 4315 §2.1): removes messages that
// carry \Deleted, remembering each UID with the MODSEQ of its expunge for QRESYNC.

import type { Db } from "../db/client.ts";
import type { MailboxChange } from "./hub.ts";
import { expungeStatements, hasFlag, mailboxById, uidFilter } from "./imap-sql.ts";

export type ExpungeResult = { uids: number[]; highestModseq: number; changes: MailboxChange[] };

/**
 * Expunges the \Deleted messages, restricted to `uids` for UID EXPUNGE. The \Deleted test
 * runs inside the op: a message undeleted by another session since our last look stays.
 */
export async function expunge(db: Db, mailboxId: number, uids?: readonly number[]): Promise<ExpungeResult> {
  if (uids !== undefined && uids.length === 0) return { uids: [], highestModseq: await highest(db, mailboxId), changes: [] };
  const f = uidFilter(uids ?? "all", "uids", "mailbox_messages.uid");
  const where = { sql: `${f.sql} AND ${hasFlag("mailbox_messages.flags", "deleted", "\\Deleted")}`, args: { ...f.args, deleted: "\\Deleted" } };
  const res = await db.writer.write([...expungeStatements(mailboxById(mailboxId), where), modseqOf(mailboxId)]);
  const expunged = res[1].rows.map((r) => Number(r.uid)).sort((a, b) => a - b);
  const highestModseq = Number(res[3].rows[0]?.highest_modseq ?? 0);
  const changes: MailboxChange[] = expunged.length > 0 ? [{ mailboxId, kind: "expunge", uids: expunged, modseq: highestModseq }] : [];
  return { uids: expunged, highestModseq, changes };
}

export function modseqOf(mailboxId: number): { sql: string; args: number[] } {
  return { sql: "SELECT highest_modseq FROM mailboxes WHERE id = ?", args: [mailboxId] };
}

async function highest(db: Db, mailboxId: number): Promise<number> {
  const q = modseqOf(mailboxId);
  return Number((await db.read.value(q.sql, q.args)) ?? 0);
}
