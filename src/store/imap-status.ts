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

function toStatus(r: Record<string, unknown>, counts: boolean): MailboxStatus {
  return {
    id: Number(r.id),
    name: String(r.name),
    specialUse: (r.special_use ?? null) as SpecialUse | null,
    subscribed: Number(r.subscribed) === 1,
    uidValidity: Number(r.uidvalidity),
    uidNext: Number(r.uid_next),
    highestModseq: Number(r.highest_modseq),
    messages: counts ? Number(r.messages ?? 0) : 0,
    unseen: counts ? Number(r.unseen ?? 0) : 0,
    deleted: counts ? Number(r.deleted ?? 0) : 0,
    size: counts ? Number(r.size ?? 0) : 0,
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
  const res = await db.client.execute({ sql, args: { acct: accountId } });
  return res.rows.map((r) => toStatus(r, counts));
}

/** STATUS / SELECT data for one mailbox, or null if it does not exist. */
export async function statusOf(db: Db, mailboxId: number): Promise<MailboxStatus | null> {
  const res = await db.client.execute({
    // Aggregates without GROUP BY always yield one row, so an empty mailbox gets zeros.
    sql: `SELECT ${COLUMNS}, ${ONE_COUNTS} FROM mailboxes m WHERE m.id = :id`,
    args: { id: mailboxId },
  });
  return res.rows[0] ? toStatus(res.rows[0], true) : null;
}

/**
 * Resolves a client-supplied name (INBOX in any case) of this account; null if absent or
 * invalid. `counts: false` (SELECT) reads only the mailbox row: no scan of its messages.
 */
export async function mailboxByName(db: Db, accountId: number, name: string, opts: { counts?: boolean } = {}): Promise<MailboxStatus | null> {
  const n = lookupName(name);
  if (n === null) return null;
  if (opts.counts === false) {
    const row = (await db.client.execute({ sql: `SELECT ${COLUMNS} FROM mailboxes m WHERE m.account_id = ? AND m.name = ?`, args: [accountId, n] })).rows[0];
    return row ? toStatus(row, false) : null;
  }
  const res = await db.client.execute({ sql: "SELECT id FROM mailboxes WHERE account_id = ? AND name = ?", args: [accountId, n] });
  return res.rows[0] ? statusOf(db, Number(res.rows[0].id)) : null;
}
