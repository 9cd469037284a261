// Mailbox state for SELECT/EXAMINE, STATUS (RFC 9051 §6.3.11, STATUS=SIZE RFC 8438) and
// LIST-STATUS: counters from the mailbox row, counts aggregated from its messages.

import type { Db } from "../db/client.ts";
import type { SpecialUse } from "./mailboxes.ts";
import { lookupName } from "./imap-names.ts";

export type MailboxStatus = {
  id: number;
  name: string;
  specialUse: SpecialUse | null;
  /** From the subscriptions table (the authoritative list, RFC 9051 §6.3.7). */
  subscribed: boolean;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  messages: number;
  unseen: number;
  deleted: number;
  /** Sum of RFC822.SIZE (STATUS SIZE). */
  size: number;
};

const COLUMNS =
  "m.id, m.name, m.special_use, m.uidvalidity, m.uid_next, m.highest_modseq, " +
  "EXISTS (SELECT 1 FROM subscriptions s WHERE s.account_id = m.account_id AND s.name = m.name) AS subscribed";

// One pass over the messages of each mailbox (LIST-STATUS); the flag tests read the
// system_flags bitmask (case-insensitive by construction, src/db/schema/mailboxes.ts).
const COUNTS =
  "count(*) AS messages, " +
  "coalesce(sum((x.system_flags & 1) = 0), 0) AS unseen, " +
  "coalesce(sum((x.system_flags & 8) != 0), 0) AS deleted, " +
  "coalesce(sum(x.size), 0) AS size";

// One mailbox (STATUS): each count from its own index — the unseen and \Deleted partial
// indexes hold only those messages; the size needs the rows.
const ONE_COUNTS =
  "(SELECT count(*) FROM mailbox_messages x WHERE x.mailbox_id = :id) AS messages, " +
  "(SELECT count(*) FROM mailbox_messages x WHERE x.mailbox_id = :id AND (x.system_flags & 1) = 0) AS unseen, " +
  "(SELECT count(*) FROM mailbox_messages x WHERE x.mailbox_id = :id AND (x.system_flags & 8) != 0) AS deleted, " +
  "(SELECT coalesce(sum(x.size), 0) FROM mailbox_messages x WHERE x.mailbox_id = :id) AS size";

/** Columns 0-6 as in COLUMNS, then with `counts` 7-10: messages, unseen, deleted, size. */
function toStatus(r: readonly unknown[], counts: boolean): MailboxStatus {
  return {
    id: Number(r[0]),
    name: String(r[1]),
    specialUse: (r[2] ?? null) as SpecialUse | null,
    subscribed: Number(r[6]) === 1,
    uidValidity: Number(r[3]),
    uidNext: Number(r[4]),
    highestModseq: Number(r[5]),
    messages: counts ? Number(r[7] ?? 0) : 0,
    unseen: counts ? Number(r[8] ?? 0) : 0,
    deleted: counts ? Number(r[9] ?? 0) : 0,
    size: counts ? Number(r[10] ?? 0) : 0,
  };
}

/**
 * All mailboxes of the account, INBOX first then by name. `counts: false` skips the scan of
 * every message (a plain LIST needs none); the count fields are then 0.
 */
export async function listMailboxes(db: Db, accountId: number, opts: { counts?: boolean } = {}): Promise<MailboxStatus[]> {
  const counts = opts.counts ?? true;
  const sql = counts
    ? `SELECT ${COLUMNS}, c.messages, c.unseen, c.deleted, c.size FROM mailboxes m LEFT JOIN ` +
      `(SELECT x.mailbox_id, ${COUNTS} FROM mailbox_messages x WHERE x.mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = :acct) GROUP BY x.mailbox_id) c ` +
      "ON c.mailbox_id = m.id WHERE m.account_id = :acct ORDER BY m.name = 'INBOX' DESC, m.name"
    : `SELECT ${COLUMNS} FROM mailboxes m WHERE m.account_id = :acct ORDER BY m.name = 'INBOX' DESC, m.name`;
  const rows = await db.read.all(sql, { acct: accountId });
  return rows.map((r) => toStatus(r, counts));
}

/** STATUS / SELECT data for one mailbox, or null if it does not exist. */
export async function statusOf(db: Db, mailboxId: number): Promise<MailboxStatus | null> {
  // Aggregates without GROUP BY always yield one row, so an empty mailbox gets zeros.
  const row = await db.read.get(`SELECT ${COLUMNS}, ${ONE_COUNTS} FROM mailboxes m WHERE m.id = :id`, { id: mailboxId });
  return row ? toStatus(row, true) : null;
}

/**
 * Resolves a client-supplied name (INBOX in any case) of this account; null if absent or
 * invalid. `counts: false` (SELECT) reads only the mailbox row: no scan of its messages.
 */
export async function mailboxByName(db: Db, accountId: number, name: string, opts: { counts?: boolean } = {}): Promise<MailboxStatus | null> {
  const n = lookupName(name);
  if (n === null) return null;
  if (opts.counts === false) {
    const row = await db.read.get(`SELECT ${COLUMNS} FROM mailboxes m WHERE m.account_id = ? AND m.name = ?`, [accountId, n]);
    return row ? toStatus(row, false) : null;
  }
  const id = await db.read.value("SELECT id FROM mailboxes WHERE account_id = ? AND name = ?", [accountId, n]);
  return id === undefined ? null : statusOf(db, Number(id));
}
