// IMAP mailboxes and their messages. UIDs come from mailboxes.uid_next, never rowid,
// so they strictly increase and are never reused (RFC 3501 §2.3.1.1, DESIGN §4).

import { index, integer, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts.ts";
import { bodies } from "./bodies.ts";

export const mailboxes = sqliteTable(
  "mailboxes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id").notNull().references(() => accounts.id, { onDelete: "cascade" }),
    // UTF-8 name, hierarchy delimiter "/"; INBOX is always stored as upper-case "INBOX".
    name: text("name").notNull(),
    // RFC 6154 attribute: \Sent \Drafts \Junk \Trash \Archive, or null.
    specialUse: text("special_use"),
    uidvalidity: integer("uidvalidity").notNull(),
    uidNext: integer("uid_next").notNull().default(1),
    highestModseq: integer("highest_modseq").notNull().default(1),
    subscribed: integer("subscribed", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [unique("mailboxes_account_name_unique").on(t.accountId, t.name)],
);

export const mailboxMessages = sqliteTable(
  "mailbox_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    mailboxId: integer("mailbox_id").notNull().references(() => mailboxes.id, { onDelete: "cascade" }),
    uid: integer("uid").notNull(),
    bodyHash: text("body_hash").notNull().references(() => bodies.hash),
    // JSON array of flag strings, e.g. ["\\Seen","$Junk"].
    flags: text("flags").notNull().default("[]"),
    modseq: integer("modseq").notNull(),
    internalDate: integer("internal_date").notNull(),
    size: integer("size").notNull(),
    queueId: text("queue_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    unique("mailbox_messages_mailbox_uid_unique").on(t.mailboxId, t.uid),
    // CONDSTORE/QRESYNC "changed since MODSEQ n" scans (RFC 7162).
    index("mailbox_messages_mailbox_modseq_idx").on(t.mailboxId, t.modseq),
    // Body garbage collection asks "is this hash still referenced?".
    index("mailbox_messages_body_idx").on(t.bodyHash),
  ],
);
