// CREATE (RFC 9051 §6.3.4, CREATE-SPECIAL-USE RFC 6154 §3) and DELETE (§6.3.5) with the
// hierarchy rules: missing superiors are created; a mailbox with inferiors is not deleted.

import type { InStatement, InValue } from "@libsql/client";
import type { Db } from "../db/client.ts";
import { isUniqueViolation } from "./errors.ts";
import type { MailboxChange } from "./hub.ts";
import { ImapStoreError } from "./imap-errors.ts";
import { inferiorSql, parentsOf, validateMailboxName } from "./imap-names.ts";
import type { SpecialUse } from "./mailboxes.ts";

export const SPECIAL_USES: readonly SpecialUse[] = ["\\Sent", "\\Drafts", "\\Junk", "\\Trash", "\\Archive"];

export type CreateOptions = {
  /** Guard both statements: skip when the name exists (superiors another op may have made). */
  ifMissing?: boolean;
  /** Extra SQL condition for both statements, with its named args. */
  when?: { sql: string; args: Record<string, InValue> };
};

/**
 * Bump the account's UIDVALIDITY counter, then insert the mailbox with it (never reused,
 * RFC 9051 §2.3.1.1). Without `ifMissing` a duplicate fails the op with a UNIQUE violation,
 * which callers map to ALREADYEXISTS — the constraint, not an earlier read, decides.
 */
export function createStatements(accountId: number, name: string, specialUse: SpecialUse | null, now: number, opts: CreateOptions = {}): InStatement[] {
  const args = { ...opts.when?.args, acct: accountId, name, use: specialUse, now };
  let guard = opts.ifMissing ? " AND NOT EXISTS (SELECT 1 FROM mailboxes WHERE account_id = :acct AND name = :name)" : "";
  if (opts.when) guard += ` AND ${opts.when.sql}`;
  return [
    { sql: `UPDATE accounts SET uidvalidity_last = MAX(unixepoch(), uidvalidity_last + 1) WHERE id = :acct${guard}`, args },
    {
      // subscribed mirrors the subscriptions table: a name may be subscribed before it exists.
      sql:
        "INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, uid_next, highest_modseq, subscribed, created_at) " +
        "SELECT id, :name, :use, uidvalidity_last, 1, 1, " +
        "EXISTS (SELECT 1 FROM subscriptions WHERE account_id = :acct AND name = :name), :now " +
        `FROM accounts WHERE id = :acct${guard} RETURNING id, uidvalidity`,
      args,
    },
  ];
}

export type CreatedMailbox = { id: number; name: string; uidValidity: number };

/**
 * Creates `name` and any missing superiors. A trailing "/" only declares the intent to
 * create inferiors (RFC 9051 §6.3.4) and is dropped. INBOX (any case) always exists.
 */
export async function createMailbox(db: Db, accountId: number, name: string, specialUse?: SpecialUse | string | null): Promise<CreatedMailbox> {
  const n = validateMailboxName(name.endsWith("/") ? name.slice(0, -1) : name);
  if (specialUse != null && !SPECIAL_USES.includes(specialUse as SpecialUse)) {
    throw new ImapStoreError("USEATTR", `special-use attribute ${specialUse} is not supported`);
  }
  if (n === "INBOX") throw new ImapStoreError("ALREADYEXISTS", "INBOX always exists");
  const now = Date.now();
  const parents = parentsOf(n).flatMap((p) => createStatements(accountId, p, null, now, { ifMissing: true }));
  let res;
  try {
    res = await db.writer.write([...parents, ...createStatements(accountId, n, (specialUse ?? null) as SpecialUse | null, now)]);
  } catch (e) {
    if (isUniqueViolation(e)) throw new ImapStoreError("ALREADYEXISTS", `mailbox ${JSON.stringify(n)} already exists`);
    throw e;
  }
  const row = res[res.length - 1].rows[0];
  if (!row) throw new ImapStoreError("NONEXISTENT", `account ${accountId} does not exist`);
  return { id: Number(row.id), name: n, uidValidity: Number(row.uidvalidity) };
}

export type DeletedMailbox = { id: number; changes: MailboxChange[] };

/**
 * Deletes a mailbox and its messages. INBOX → CANNOT (RFC 9051 §6.3.5). A mailbox with
 * inferiors → HASCHILDREN (RFC 5530): we refuse rather than keep it as a \Noselect shell,
 * so every listed name is selectable and deliverable. Subscriptions stay (§6.3.7).
 * The change is "deleted", carrying the UIDs it held, for sessions that have it selected.
 */
export async function deleteMailbox(db: Db, accountId: number, name: string): Promise<DeletedMailbox> {
  const n = validateMailboxName(name);
  if (n === "INBOX") throw new ImapStoreError("CANNOT", "INBOX cannot be deleted");
  const args = { acct: accountId, name: n };
  // Re-checked in SQL inside the op: a CREATE of an inferior since any read of ours wins.
  const target = `account_id = :acct AND name = :name AND NOT EXISTS (SELECT 1 FROM mailboxes c WHERE c.account_id = :acct AND ${inferiorSql("c.name", "name")})`;
  const res = await db.writer.write([
    { sql: "SELECT id FROM mailboxes WHERE account_id = :acct AND name = :name", args },
    { sql: `SELECT uid FROM mailbox_messages WHERE mailbox_id = (SELECT id FROM mailboxes WHERE ${target}) ORDER BY uid`, args },
    { sql: `DELETE FROM mailboxes WHERE ${target} RETURNING id, highest_modseq`, args },
  ]);
  const gone = res[2].rows[0];
  if (!gone) {
    if (res[0].rows.length === 0) throw new ImapStoreError("NONEXISTENT", `mailbox ${JSON.stringify(n)} does not exist`);
    throw new ImapStoreError("HASCHILDREN", `mailbox ${JSON.stringify(n)} has inferior mailboxes`);
  }
  const id = Number(gone.id);
  const uids = res[1].rows.map((r) => Number(r.uid));
  return { id, changes: [{ mailboxId: id, kind: "deleted", uids, modseq: Number(gone.highest_modseq) }] };
}
