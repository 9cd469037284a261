// Local delivery and message reads. A delivery is one write op: the body once (content-
// addressed) plus, per target mailbox, a UID/MODSEQ allocation and the mailbox entry.

import { createHash } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import type { InStatement, ResultSet } from "@libsql/client";
import type { Db } from "../db/client.ts";
import type { WriteOp } from "../db/writer.ts";
import { mailboxMessages, mailboxes } from "../db/schema/mod.ts";
import { DEFAULT_MAILBOXES, normalizeMailboxName } from "./mailboxes.ts";
import { blobBytes } from "./imap-messages.ts";
import type { Mailbox } from "./mailboxes.ts";

export type BodyInput = { bodyHash: string; raw: Uint8Array; mimeJson: string };

export type DeliveryTarget = { accountId: number; mailbox: "INBOX" | "Junk" | (string & {}) };

export type DeliverInput = BodyInput & {
  targets: readonly DeliveryTarget[];
  /** INTERNALDATE, ms since the epoch (RFC 3501 §2.3.3). */
  internalDate: number;
  queueId: string;
  flags?: readonly string[];
};

export type Delivered = { messageId: number; mailboxId: number; uid: number };

export type StoredMessage = {
  id: number;
  uid: number;
  bodyHash: string;
  flags: string[];
  modseq: number;
  internalDate: number;
  size: number;
  queueId: string | null;
};

/** sha256 hex of the raw message: the bodies primary key. */
export function hashBody(raw: Uint8Array): string {
  return createHash("sha256").update(raw).digest("hex");
}

/** Stores a body once; a second insert of the same hash is a no-op. */
export function bodyOp(b: BodyInput): InStatement[] {
  return [
    {
      sql: "INSERT OR IGNORE INTO bodies (hash, size, content, mime, created_at) VALUES (?, ?, ?, ?, ?)",
      args: [b.bodyHash, b.raw.byteLength, b.raw, b.mimeJson, Date.now()],
    },
  ];
}

/**
 * The target mailbox, resolved inside SQL: by name, else by the special-use attribute the
 * default mailbox of that name has (a renamed Junk still gets junk), else INBOX — a message
 * whose 250 was sent must never be dropped because a folder was deleted.
 */
function mailboxRef(accountId: number, name: string): { sql: string; args: (string | number | null)[] } {
  const special = DEFAULT_MAILBOXES.find((m) => m.name === name)?.specialUse ?? null;
  return {
    sql:
      "COALESCE((SELECT id FROM mailboxes WHERE account_id = ? AND name = ?), " +
      "(SELECT id FROM mailboxes WHERE account_id = ? AND special_use = ? ORDER BY id LIMIT 1), " +
      "(SELECT id FROM mailboxes WHERE account_id = ? AND name = 'INBOX'))",
    args: [accountId, name, accountId, special, accountId],
  };
}

/**
 * One self-contained op (no reads in JS): the UPDATE bumps uid_next and highest_modseq,
 * the INSERT … SELECT reads them back in the same transaction, so concurrent deliveries
 * grouped into one commit still get distinct, increasing UIDs. Results: see readDeliveries.
 */
export function deliverOp(input: DeliverInput): WriteOp {
  const flags = JSON.stringify([...new Set(input.flags ?? [])]);
  const now = Date.now();
  const seen = new Set<string>();
  const stmts: InStatement[] = bodyOp(input);
  for (const t of input.targets) {
    const name = normalizeMailboxName(t.mailbox) ?? "INBOX";
    const key = `${t.accountId}\0${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ref = mailboxRef(t.accountId, name);
    stmts.push(
      { sql: `UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 WHERE id = ${ref.sql}`, args: ref.args },
      {
        sql:
          "INSERT INTO mailbox_messages (mailbox_id, uid, body_hash, flags, modseq, internal_date, size, queue_id, created_at) " +
          `SELECT id, uid_next - 1, ?, ?, highest_modseq, ?, ?, ?, ? FROM mailboxes WHERE id = ${ref.sql} ` +
          "RETURNING id, mailbox_id, uid",
        args: [input.bodyHash, flags, input.internalDate, input.raw.byteLength, input.queueId, now, ...ref.args],
      },
    );
  }
  return stmts;
}

/** The mailbox entries a deliverOp created (a target whose account vanished yields none). */
export function readDeliveries(results: readonly ResultSet[]): Delivered[] {
  const out: Delivered[] = [];
  for (const r of results) {
    // Only deliverOp's INSERT … RETURNING has exactly these columns.
    if (r.columns.join() !== "id,mailbox_id,uid") continue;
    for (const row of r.rows) out.push({ messageId: Number(row.id), mailboxId: Number(row.mailbox_id), uid: Number(row.uid) });
  }
  return out;
}

/**
 * Deletes messages by UID (EXPUNGE, POP3 DELE); uid_next is untouched, so UIDs are never
 * reused, and each UID is recorded in `expunged` for QRESYNC.
 * Returns [] for no UIDs: concatenate it into a larger op rather than writing it alone.
 */
export function expungeOp(mailboxId: number, uids: readonly number[]): WriteOp {
  if (uids.length === 0) return [];
  return [
    { sql: "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ?", args: [mailboxId] },
    // Remembered with the expunge's MODSEQ so IMAP QRESYNC can report VANISHED (RFC 7162 §3.2.10).
    {
      sql:
        "INSERT INTO expunged (mailbox_id, uid, modseq) SELECT mailbox_id, uid, (SELECT highest_modseq FROM mailboxes WHERE id = ?) " +
        "FROM mailbox_messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?))",
      args: [mailboxId, mailboxId, JSON.stringify(uids)],
    },
    { sql: `DELETE FROM mailbox_messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?))`, args: [mailboxId, JSON.stringify(uids)] },
  ];
}

export async function listMessages(db: Db, mailboxId: number): Promise<StoredMessage[]> {
  const rows = await db.orm
    .select({
      id: mailboxMessages.id,
      uid: mailboxMessages.uid,
      bodyHash: mailboxMessages.bodyHash,
      flags: mailboxMessages.flags,
      modseq: mailboxMessages.modseq,
      internalDate: mailboxMessages.internalDate,
      size: mailboxMessages.size,
      queueId: mailboxMessages.queueId,
    })
    .from(mailboxMessages)
    .where(eq(mailboxMessages.mailboxId, mailboxId))
    .orderBy(asc(mailboxMessages.uid));
  return rows.map((r) => ({ ...r, flags: JSON.parse(r.flags) as string[] }));
}

export async function getBody(db: Db, hash: string): Promise<{ hash: string; size: number; content: Uint8Array; mime: string } | null> {
  // The driver directly, not the ORM: its row mapping copied the content once more (a whole
  // message per FETCH BODY[]); the blob comes back as an ArrayBuffer viewed without a copy.
  const r = await db.read.get("SELECT hash, size, content, mime FROM bodies WHERE hash = ? LIMIT 1", [hash]);
  if (!r) return null;
  return { hash: String(r[0]), size: Number(r[1]), content: blobBytes(r[2]), mime: String(r[3]) };
}

/** Only the raw message (FETCH BODY[] needs no MIME JSON). */
export async function getContent(db: Db, hash: string): Promise<Uint8Array | null> {
  const r = await db.read.get("SELECT content FROM bodies WHERE hash = ? LIMIT 1", [hash]);
  return r ? blobBytes(r[0]) : null;
}


/** By exact name; "INBOX" in any case (RFC 3501 §5.1). */
export async function findMailbox(db: Db, accountId: number, name: string): Promise<Mailbox | null> {
  const n = normalizeMailboxName(name);
  if (n === null) return null;
  const rows = await db.orm
    .select()
    .from(mailboxes)
    .where(and(eq(mailboxes.accountId, accountId), eq(mailboxes.name, n)))
    .limit(1);
  return rows[0] ?? null;
}
