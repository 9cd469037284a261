// Mailbox creation and listing. UIDVALIDITY comes from a per-account counter bumped in
// the same op, so a mailbox deleted and re-created never reuses one (RFC 3501 §2.3.1.1).

import { asc, eq } from "drizzle-orm";
import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import type { WriteOp } from "../db/writer.ts";
import { mailboxes } from "../db/schema/mod.ts";
import { StoreError, isUniqueViolation } from "./errors.ts";

export type SpecialUse = "\\Sent" | "\\Drafts" | "\\Junk" | "\\Trash" | "\\Archive";

/** Created for every new account, all subscribed (RFC 6154 special-use attributes). */
export const DEFAULT_MAILBOXES: readonly { name: string; specialUse: SpecialUse | null }[] = [
  { name: "INBOX", specialUse: null },
  { name: "Sent", specialUse: "\\Sent" },
  { name: "Drafts", specialUse: "\\Drafts" },
  { name: "Junk", specialUse: "\\Junk" },
  { name: "Trash", specialUse: "\\Trash" },
  { name: "Archive", specialUse: "\\Archive" },
];

export type Mailbox = typeof mailboxes.$inferSelect;

/** Identifies the owning account inside SQL, by id or (before its id is known) by address. */
export type AccountRef = { id: number } | { address: string };

/**
 * "INBOX" is case-insensitive (RFC 3501 §5.1), so it and its children are stored with
 * the canonical upper-case prefix; every other name is kept exactly.
 */
export function normalizeMailboxName(name: string): string | null {
  if (name === "" || name.length > 1024 || name.startsWith("/") || name.endsWith("/") || name.includes("//")) return null;
  if (/[\u0000-\u001f\u007f]/.test(name)) return null;
  const first = name.split("/", 1)[0];
  return first.toUpperCase() === "INBOX" ? "INBOX" + name.slice(first.length) : name;
}

/** Two statements: bump the account's UIDVALIDITY counter, insert the mailbox using it. */
export function createMailboxStatements(
  account: AccountRef,
  name: string,
  specialUse: SpecialUse | null,
  subscribed: boolean,
  now: number,
): InStatement[] {
  const [where, key] = "id" in account ? ["id = ?", account.id] : ["address = ?", account.address];
  return [
    // Seconds since the epoch, but strictly above any value this account has had.
    { sql: `UPDATE accounts SET uidvalidity_last = MAX(unixepoch(), uidvalidity_last + 1) WHERE ${where}`, args: [key] },
    {
      sql:
        "INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, uid_next, highest_modseq, subscribed, created_at) " +
        `SELECT id, ?, ?, uidvalidity_last, 1, 1, ?, ? FROM accounts WHERE ${where} RETURNING id`,
      args: [name, specialUse, subscribed ? 1 : 0, now, key],
    },
    // The subscriptions table is authoritative for IMAP (src/store/imap-subscriptions.ts).
    ...(subscribed
      ? [{ sql: `INSERT OR IGNORE INTO subscriptions (account_id, name, created_at) SELECT id, ?, ? FROM accounts WHERE ${where}`, args: [name, now, key] }]
      : []),
  ];
}

export function createMailboxOp(accountId: number, name: string, opts: { specialUse?: SpecialUse | null; subscribed?: boolean } = {}): WriteOp {
  const n = normalizeMailboxName(name);
  if (n === null) throw new StoreError("INVALID_MAILBOX", `invalid mailbox name: ${JSON.stringify(name)}`);
  return createMailboxStatements({ id: accountId }, n, opts.specialUse ?? null, opts.subscribed ?? false, Date.now());
}

/** Creates a mailbox and returns its id (null if the account does not exist). */
export async function createMailbox(
  db: Db,
  accountId: number,
  name: string,
  opts: { specialUse?: SpecialUse | null; subscribed?: boolean } = {},
): Promise<number | null> {
  try {
    const res = await db.writer.write(createMailboxOp(accountId, name, opts));
    const row = res[1].rows[0];
    return row ? Number(row.id) : null;
  } catch (e) {
    if (isUniqueViolation(e)) throw new StoreError("MAILBOX_EXISTS", `mailbox ${JSON.stringify(name)} already exists`);
    throw e;
  }
}

/** Deletes a mailbox and (by cascade) its messages; its UIDVALIDITY is never handed out again. */
export function deleteMailboxOp(mailboxId: number): WriteOp {
  return [{ sql: "DELETE FROM mailboxes WHERE id = ?", args: [mailboxId] }];
}

export async function listMailboxes(db: Db, accountId: number): Promise<Mailbox[]> {
  return db.orm.select().from(mailboxes).where(eq(mailboxes.accountId, accountId)).orderBy(asc(mailboxes.name));
}
