// IMAP state beside the messages: expunged UIDs with the MODSEQ of their expunge (QRESYNC
// VANISHED, RFC 7162 §3.2.5/§3.2.10) and subscriptions by name (RFC 9051 §6.3.7).

import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts.ts";
import { mailboxes } from "./mailboxes.ts";

export const expunged = sqliteTable(
  "expunged",
  {
    // Cascade: a deleted mailbox's UIDVALIDITY is never reused, so its history is moot.
    mailboxId: integer("mailbox_id").notNull().references(() => mailboxes.id, { onDelete: "cascade" }),
    uid: integer("uid").notNull(),
    modseq: integer("modseq").notNull(),
  },
  (t) => [primaryKey({ columns: [t.mailboxId, t.uid] }), index("expunged_mailbox_modseq_idx").on(t.mailboxId, t.modseq)],
);

/**
 * Keyed by name, not mailbox id: a subscription outlives its mailbox (RFC 9051 §6.3.7: the
 * server SHOULD NOT remove a name from the list because the mailbox no longer exists).
 * Authoritative; `mailboxes.subscribed` is a mirror kept in sync for existing mailboxes.
 */
export const subscriptions = sqliteTable(
  "subscriptions",
  {
    accountId: integer("account_id").notNull().references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.name] })],
);
