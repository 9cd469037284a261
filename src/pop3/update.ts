// The UPDATE state (RFC 1939 §6): what QUIT commits — DELE'd messages expunged and retrieved
// ones marked \Seen — as ONE write op, durable before the +OK (DESIGN §4).

import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import type { Bus } from "../events/bus.ts";
import type { Logger } from "../log/logger.ts";
import type { MailboxChange, MailboxHub } from "../store/hub.ts";
import { expungeStatements, flagEdit, mailboxById, uidFilter } from "../store/imap-sql.ts";

/**
 * Returns the changes to publish once it resolved (the write is durable then). UIDs already
 * expunged by an IMAP session meanwhile are simply absent from the result.
 */
export async function commitUpdate(db: Db, mailboxId: number, expunge: readonly number[], seen: readonly number[]): Promise<MailboxChange[]> {
  const stmts: InStatement[] = [];
  let flagsAt = -1;
  if (seen.length > 0) {
    // Same SQL as IMAP STORE +FLAGS (\Seen): a message already seen gets no new MODSEQ.
    const edit = flagEdit("add");
    const inSet = uidFilter(seen, "seen", "mailbox_messages.uid");
    const args = { mbx: mailboxId, flags: JSON.stringify(["\\Seen"]), ...inSet.args };
    const target = `mailbox_messages.mailbox_id = :mbx${inSet.sql} AND ${edit.changed}`;
    flagsAt = stmts.length;
    stmts.push(
      { sql: `UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = :mbx AND EXISTS (SELECT 1 FROM mailbox_messages WHERE ${target})`, args },
      {
        sql: `UPDATE mailbox_messages SET flags = ${edit.value}, modseq = (SELECT highest_modseq FROM mailboxes WHERE id = :mbx) WHERE ${target} RETURNING uid, modseq`,
        args,
      },
    );
  }
  let expungeAt = -1;
  if (expunge.length > 0) {
    expungeAt = stmts.length;
    stmts.push(...expungeStatements(mailboxById(mailboxId), uidFilter(expunge, "uids", "mailbox_messages.uid")));
  }
  if (stmts.length === 0) return [];
  const res = await db.writer.write(stmts);
  const changes: MailboxChange[] = [];
  if (flagsAt >= 0) {
    const rows = res[flagsAt + 1].rows;
    const uids = rows.map((r) => Number(r.uid)).sort((a, b) => a - b);
    if (uids.length > 0) changes.push({ mailboxId, kind: "flags", uids, modseq: Number(rows[0].modseq) });
  }
  if (expungeAt >= 0) {
    // expungeStatements: [0] RETURNING the op's MODSEQ, [1] RETURNING the expunged UIDs.
    const uids = res[expungeAt + 1].rows.map((r) => Number(r.uid)).sort((a, b) => a - b);
    const modseq = Number(res[expungeAt].rows[0]?.highest_modseq ?? 0);
    if (uids.length > 0) changes.push({ mailboxId, kind: "expunge", uids, modseq });
  }
  return changes;
}

/**
 * Commits, then — durable now — tells selected IMAP sessions (EXPUNGE, FETCH FLAGS) through
 * the hub and the `mailbox.changed` notification handlers (DESIGN §3, §4).
 */
export async function applyUpdate(
  deps: { readonly db: Db; readonly hub: MailboxHub; readonly bus: Bus },
  mailboxId: number,
  expunge: readonly number[],
  seen: readonly number[],
  origin: string,
  log: Logger,
): Promise<void> {
  const changes = await commitUpdate(deps.db, mailboxId, expunge, seen);
  deps.hub.publishAll(changes.map((c) => ({ ...c, origin })));
}
