// RENAME (RFC 9051 §6.3.6): a mailbox moves with its inferiors and keeps its UIDs and
// UIDVALIDITY; renaming INBOX instead moves its messages into a new mailbox.

import type { Db } from "../db/client.ts";
import { isUniqueViolation } from "./errors.ts";
import type { MailboxChange } from "./hub.ts";
import { copied } from "./imap-copy-move.ts";
import { ImapStoreError } from "./imap-errors.ts";
import { createStatements } from "./imap-mailboxes.ts";
import { inferiorSql, isSelfOrInferior, parentsOf, validateMailboxName } from "./imap-names.ts";
import { copyStatements, expungeStatements } from "./imap-sql.ts";

export type RenameResult = {
  /** The mailbox now called `to` (for INBOX: the new mailbox holding its former messages). */
  id: number;
  name: string;
  uidValidity: number;
  changes: MailboxChange[];
};

/**
 * Missing superiors of `to` are created (§6.3.6 SHOULD). Errors: NONEXISTENT source,
 * ALREADYEXISTS target (or target of an inferior), CANNOT for a rename below itself.
 * Subscriptions of the renamed names follow them, so a client that does not re-subscribe
 * keeps seeing its folders in LSUB (UPDATE OR IGNORE: an existing one for a new name stays).
 */
export async function renameMailbox(db: Db, accountId: number, from: string, to: string): Promise<RenameResult> {
  const f = validateMailboxName(from);
  const t = validateMailboxName(to.endsWith("/") ? to.slice(0, -1) : to);
  if (t === "INBOX") throw new ImapStoreError("ALREADYEXISTS", "INBOX always exists");
  if (f === "INBOX") return renameInbox(db, accountId, t);
  if (isSelfOrInferior(t, f)) throw new ImapStoreError(t === f ? "ALREADYEXISTS" : "CANNOT", `cannot rename ${f} to ${t}`);
  const now = Date.now();
  const args = { acct: accountId, from: f, to: t };
  const moved = `account_id = :acct AND (name = :from OR ${inferiorSql("name", "from")})`;
  const renamed = `account_id = :acct AND (name = :to OR ${inferiorSql("name", "to")})`;
  const newName = ":to || substr(name, length(:from) + 1)";
  const sourceExists = { sql: "EXISTS (SELECT 1 FROM mailboxes WHERE account_id = :acct AND name = :from)", args: { from: f } };
  let res;
  try {
    res = await db.writer.write([
      { sql: "SELECT id FROM mailboxes WHERE account_id = :acct AND name = :from", args },
      // Superiors are created only if the source exists, else the op must change nothing.
      ...parentsOf(t).flatMap((p) => createStatements(accountId, p, null, now, { ifMissing: true, when: sourceExists })),
      // A clash with an existing name is a UNIQUE violation: the whole op rolls back.
      { sql: `UPDATE mailboxes SET name = ${newName} WHERE ${moved}`, args },
      { sql: `UPDATE OR IGNORE subscriptions SET name = ${newName} WHERE ${moved}`, args },
      { sql: `UPDATE mailboxes SET subscribed = EXISTS (SELECT 1 FROM subscriptions s WHERE s.account_id = :acct AND s.name = mailboxes.name) WHERE ${renamed}`, args },
      { sql: "SELECT id, uidvalidity FROM mailboxes WHERE account_id = :acct AND name = :to", args },
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw new ImapStoreError("ALREADYEXISTS", `mailbox ${JSON.stringify(t)} (or an inferior) already exists`);
    throw e;
  }
  if (res[0].rows.length === 0) throw new ImapStoreError("NONEXISTENT", `mailbox ${JSON.stringify(f)} does not exist`);
  const row = res[res.length - 1].rows[0];
  return { id: Number(row.id), name: t, uidValidity: Number(row.uidvalidity), changes: [] };
}

/**
 * RFC 9051 §6.3.6: "renaming INBOX … moves all messages in INBOX to a new mailbox with the
 * given name, leaving INBOX empty"; inferiors of INBOX are unaffected. One op: create the
 * target (fresh UIDVALIDITY, UIDs from 1 in the old order), copy, expunge INBOX (its
 * UIDVALIDITY and uid_next stay, its expunges are remembered for QRESYNC).
 */
async function renameInbox(db: Db, accountId: number, to: string): Promise<RenameResult> {
  const now = Date.now();
  const src = { sql: "(SELECT id FROM mailboxes WHERE account_id = :acct AND name = 'INBOX')", args: { acct: accountId } };
  const dst = { sql: "(SELECT id FROM mailboxes WHERE account_id = :acct AND name = :to)", args: { acct: accountId, to } };
  const stmts = [
    ...parentsOf(to).flatMap((p) => createStatements(accountId, p, null, now, { ifMissing: true })),
    ...createStatements(accountId, to, null, now),
  ];
  const at = stmts.length;
  let res;
  try {
    res = await db.writer.write([
      ...stmts,
      ...copyStatements(src, dst, "all", now),
      { sql: `SELECT m.id, m.uidvalidity, m.highest_modseq, i.id AS inbox FROM mailboxes m, mailboxes i WHERE m.id = ${dst.sql} AND i.id = ${src.sql}`, args: dst.args },
      ...expungeStatements(src, { sql: "", args: {} }),
      { sql: `SELECT highest_modseq FROM mailboxes WHERE id = ${src.sql}`, args: src.args },
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) throw new ImapStoreError("ALREADYEXISTS", `mailbox ${JSON.stringify(to)} already exists`);
    throw e;
  }
  const info = res[at + 3].rows[0];
  if (!info) throw new ImapStoreError("NONEXISTENT", `account ${accountId} has no INBOX`);
  const id = Number(info.id);
  const inbox = Number(info.inbox);
  const result = copied(res, at, at + 3, inbox, id);
  const expunged = res[at + 5].rows.map((r) => Number(r.uid)).sort((a, b) => a - b);
  const changes = [...result.changes];
  if (expunged.length > 0) changes.push({ mailboxId: inbox, kind: "expunge", uids: expunged, modseq: Number(res[at + 7].rows[0].highest_modseq) });
  return { id, name: to, uidValidity: result.uidValidity, changes };
}
