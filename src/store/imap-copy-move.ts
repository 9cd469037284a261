// COPY (RFC 9051 §6.4.7) with COPYUID (UIDPLUS, RFC 4315 §3) and MOVE (RFC 6851): one write
// op each, so a MOVE is never half done and a COPY never allocates UIDs twice.

import type { Db } from "../db/client.ts";
import type { ResultSet } from "@libsql/client";
import type { MailboxChange } from "./hub.ts";
import { ImapStoreError } from "./imap-errors.ts";
import { copyStatements, expungeStatements, mailboxById, uidFilter } from "./imap-sql.ts";

export type CopyResult = {
  /** UIDVALIDITY of the target, for COPYUID. */
  uidValidity: number;
  /** [source UID, new target UID], ascending; empty when none of the UIDs still existed. */
  pairs: [number, number][];
  changes: MailboxChange[];
};

export type MoveResult = CopyResult & {
  /** Source UIDs expunged (equal to the pairs' sources), ascending. */
  expunged: number[];
};

const byNumber = (a: number, b: number) => a - b;

/** Copies messages with their flags; throws TRYCREATE if the target is gone or foreign. */
export async function copyMessages(db: Db, fromMailboxId: number, uids: readonly number[], toMailboxId: number): Promise<CopyResult> {
  const src = mailboxById(fromMailboxId, "src");
  const dst = mailboxById(toMailboxId, "dst");
  const res = await db.writer.write([...copyStatements(src, dst, uids, Date.now()), targetInfo(fromMailboxId, toMailboxId)]);
  return copied(res, 0, 3, fromMailboxId, toMailboxId);
}

/**
 * COPY then EXPUNGE of the sources, atomically (RFC 6851 §3.3). The sources get a new
 * MODSEQ and are remembered in `expunged`. Into the same mailbox, the expunge shares the
 * copy's MODSEQ and is limited to rows older than it, so the new copies stay.
 */
export async function moveMessages(db: Db, fromMailboxId: number, uids: readonly number[], toMailboxId: number): Promise<MoveResult> {
  const src = mailboxById(fromMailboxId, "src");
  const dst = mailboxById(toMailboxId, "dst");
  const same = fromMailboxId === toMailboxId;
  const f = uidFilter(uids, "uids", "mailbox_messages.uid");
  const guard = same
    ? " AND mailbox_messages.modseq < (SELECT highest_modseq FROM mailboxes WHERE id = :src)"
    : " AND EXISTS (SELECT 1 FROM mailboxes d WHERE d.id = :dst AND d.account_id = (SELECT account_id FROM mailboxes WHERE id = :src))";
  const res = await db.writer.write([
    ...copyStatements(src, dst, uids, Date.now()),
    targetInfo(fromMailboxId, toMailboxId),
    ...expungeStatements(src, { sql: f.sql + guard, args: { ...f.args, ...dst.args } }, !same),
    { sql: "SELECT highest_modseq FROM mailboxes WHERE id = ?", args: [fromMailboxId] },
  ]);
  const result = copied(res, 0, 3, fromMailboxId, toMailboxId);
  const expunged = res[5].rows.map((r) => Number(r.uid)).sort(byNumber);
  const srcModseq = Number(res[7].rows[0]?.highest_modseq ?? 0);
  const changes = [...result.changes];
  if (expunged.length > 0) changes.push({ mailboxId: fromMailboxId, kind: "expunge", uids: expunged, modseq: srcModseq });
  return { ...result, expunged, changes };
}

function targetInfo(fromMailboxId: number, toMailboxId: number): { sql: string; args: number[] } {
  return {
    sql: "SELECT uidvalidity, highest_modseq FROM mailboxes WHERE id = ? AND account_id = (SELECT account_id FROM mailboxes WHERE id = ?)",
    args: [toMailboxId, fromMailboxId],
  };
}

/** Reads copyStatements' results at `at` and the target row at `info`. */
export function copied(res: ResultSet[], at: number, info: number, fromMailboxId: number, toMailboxId: number): CopyResult {
  const target = res[info].rows[0];
  if (!target) throw new ImapStoreError("TRYCREATE", `mailbox ${toMailboxId} does not exist`);
  const sources = res[at].rows.map((r) => Number(r.uid)).sort(byNumber);
  // RETURNING order is unspecified in SQLite; UIDs were ranked by source UID, so sort both.
  const created = res[at + 1].rows.map((r) => Number(r.uid)).sort(byNumber);
  if (created.length !== sources.length) throw new Error(`copy ${fromMailboxId}→${toMailboxId}: ${sources.length} sources, ${created.length} copies`);
  const pairs = sources.map((s, i): [number, number] => [s, created[i]]);
  const modseq = Number(target.highest_modseq);
  const changes: MailboxChange[] = created.length > 0 ? [{ mailboxId: toMailboxId, kind: "exists", uids: created, modseq }] : [];
  return { uidValidity: Number(target.uidvalidity), pairs, changes };
}
