// Accounts: creation (with the default mailboxes, in one durable op), credentials and
// lookup. Password checks take the same time whether or not the account exists.

import { asc, eq } from "drizzle-orm";
import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import { accounts } from "../db/schema/mod.ts";
import { requireAddress, splitAddress } from "./address.ts";
import { StoreError, isUniqueViolation } from "./errors.ts";
import { DEFAULT_MAILBOXES, createMailboxStatements } from "./mailboxes.ts";
import { DUMMY_HASH, deriveScram, hashPassword, parseScram, verifyPassword } from "./passwords.ts";
import type { ScramCredentials } from "./passwords.ts";

export type Account = { id: number; address: string; domainId: number; disabled: boolean; createdAt: number };
export type AccountRefResult = { id: number; address: string };

const PUBLIC = {
  id: accounts.id,
  address: accounts.address,
  domainId: accounts.domainId,
  disabled: accounts.disabled,
  createdAt: accounts.createdAt,
};

/** Creates the account and INBOX, Sent, Drafts, Junk, Trash, Archive in one write op. */
export async function addAccount(db: Db, address: string, password: string): Promise<AccountRefResult> {
  const a = requireAddress(address);
  if (a.local.startsWith('"')) throw new StoreError("INVALID_ADDRESS", "quoted local parts are not supported for accounts");
  const [hash, scram] = await Promise.all([hashPassword(password), deriveScram(password)]);
  const now = Date.now();
  // INSERT … SELECT FROM domains: inserts nothing when the domain does not exist (or
  // was removed since any check), and the mailbox inserts then select no account.
  const op: InStatement[] = [
    {
      sql:
        "INSERT INTO accounts (address, domain_id, password_hash, scram_sha256, disabled, uidvalidity_last, created_at) " +
        "SELECT ?, id, ?, ?, 0, 0, ? FROM domains WHERE name = ? RETURNING id",
      args: [a.address, hash, scram, now, a.domain],
    },
    ...DEFAULT_MAILBOXES.flatMap((m) => createMailboxStatements({ address: a.address }, m.name, m.specialUse, true, now)),
  ];
  let res;
  try {
    res = await db.writer.write(op);
  } catch (e) {
    if (isUniqueViolation(e)) throw new StoreError("ACCOUNT_EXISTS", `account ${a.address} already exists`);
    throw e;
  }
  const row = res[0].rows[0];
  if (!row) throw new StoreError("DOMAIN_NOT_FOUND", `domain ${a.domain} is not a local domain`);
  return { id: Number(row.id), address: a.address };
}

/** Deletes the account; its mailboxes and messages go by cascade (bodies stay shared). */
export async function removeAccount(db: Db, address: string): Promise<boolean> {
  const a = splitAddress(address);
  if (a === null) return false;
  const [res] = await db.writer.write([db.orm.delete(accounts).where(eq(accounts.address, a.address))]);
  return res.rowsAffected > 0;
}

export async function setPassword(db: Db, address: string, password: string): Promise<boolean> {
  const a = splitAddress(address);
  if (a === null) return false;
  const [hash, scram] = await Promise.all([hashPassword(password), deriveScram(password)]);
  const [res] = await db.writer.write([
    db.orm.update(accounts).set({ passwordHash: hash, scramSha256: scram }).where(eq(accounts.address, a.address)),
  ]);
  return res.rowsAffected > 0;
}

/** A disabled account cannot log in; mail to it is still accepted and stored. */
export async function setDisabled(db: Db, address: string, disabled: boolean): Promise<boolean> {
  const a = splitAddress(address);
  if (a === null) return false;
  const [res] = await db.writer.write([db.orm.update(accounts).set({ disabled }).where(eq(accounts.address, a.address))]);
  return res.rowsAffected > 0;
}

export async function listAccounts(db: Db): Promise<Account[]> {
  return db.orm.select(PUBLIC).from(accounts).orderBy(asc(accounts.address));
}

/** Exact lookup (local part case-insensitive, domain normalised); no plus/alias logic. */
export async function findAccount(db: Db, address: string): Promise<Account | null> {
  const a = splitAddress(address);
  if (a === null) return null;
  // Raw SQL: this runs for every RCPT, where the query builder's cost shows.
  const res = await db.client.execute({
    sql: "SELECT id, address, domain_id, disabled, created_at FROM accounts WHERE address = ? LIMIT 1",
    args: [a.address],
  });
  const r = res.rows[0];
  return r ? { id: Number(r.id), address: String(r.address), domainId: Number(r.domain_id), disabled: Boolean(r.disabled), createdAt: Number(r.created_at) } : null;
}

/**
 * Verifies a password. A missing account still costs one scrypt (against DUMMY_HASH) and
 * a disabled one is verified before being refused, so response time reveals neither.
 */
export async function checkPassword(db: Db, address: string, password: string): Promise<AccountRefResult | null> {
  const a = splitAddress(address);
  const rows = a
    ? await db.orm
        .select({ id: accounts.id, address: accounts.address, hash: accounts.passwordHash, disabled: accounts.disabled })
        .from(accounts)
        .where(eq(accounts.address, a.address))
        .limit(1)
    : [];
  const row = rows[0];
  const ok = await verifyPassword(row?.hash ?? DUMMY_HASH, password);
  if (!row || !ok || row.disabled) return null;
  return { id: row.id, address: row.address };
}

/** SCRAM-SHA-256 server credentials (RFC 5802 §3); null for unknown or disabled accounts. */
export async function getScram(db: Db, address: string): Promise<(ScramCredentials & { id: number; address: string }) | null> {
  const a = splitAddress(address);
  if (a === null) return null;
  const rows = await db.orm
    .select({ id: accounts.id, address: accounts.address, scram: accounts.scramSha256, disabled: accounts.disabled })
    .from(accounts)
    .where(eq(accounts.address, a.address))
    .limit(1);
  const row = rows[0];
  if (!row || row.disabled || row.scram === null) return null;
  const creds = parseScram(row.scram);
  return creds ? { ...creds, id: row.id, address: row.address } : null;
}
