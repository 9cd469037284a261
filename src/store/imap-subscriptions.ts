// SUBSCRIBE / UNSUBSCRIBE / LSUB (RFC 9051 §6.3.7–6.3.8): subscriptions are names, kept
// whether or not the mailbox exists; `mailboxes.subscribed` mirrors them for existing ones.

import type { Db } from "../db/client.ts";
import { validateMailboxName } from "./imap-names.ts";

/** Subscribes a (valid) name, existing or not; true if it was not subscribed before. */
export async function subscribe(db: Db, accountId: number, name: string): Promise<boolean> {
  const n = validateMailboxName(name);
  const args = { acct: accountId, name: n, now: Date.now() };
  const res = await db.writer.write([
    { sql: "INSERT OR IGNORE INTO subscriptions (account_id, name, created_at) SELECT id, :name, :now FROM accounts WHERE id = :acct", args },
    { sql: "UPDATE mailboxes SET subscribed = 1 WHERE account_id = :acct AND name = :name", args },
  ]);
  return res[0].rowsAffected > 0;
}

/** Removes a subscription; false if there was none (the session may still answer OK). */
export async function unsubscribe(db: Db, accountId: number, name: string): Promise<boolean> {
  const n = validateMailboxName(name);
  const args = { acct: accountId, name: n };
  const res = await db.writer.write([
    { sql: "DELETE FROM subscriptions WHERE account_id = :acct AND name = :name", args },
    { sql: "UPDATE mailboxes SET subscribed = 0 WHERE account_id = :acct AND name = :name", args },
  ]);
  return res[0].rowsAffected > 0;
}

/** Subscribed names, sorted; may include names with no mailbox (LSUB shows them, RFC 9051 §6.3.7). */
export async function listSubscriptions(db: Db, accountId: number): Promise<string[]> {
  const rows = await db.read.all("SELECT name FROM subscriptions WHERE account_id = ? ORDER BY name", [accountId]);
  return rows.map((r) => String(r[0]));
}
