// IMAP mailboxes and their messages. UIDs come from mailboxes.uid_next, never rowid,
// so they strictly increase and are never reused (RFC 3501 §2.3.1.1, DESIGN §4).

import { sql } from "drizzle-orm";
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

/** Bits of mailbox_messages.system_flags, one per system flag (RFC 9051 §2.3.2). */
export const SYSTEM_FLAG_BITS = { "\\seen": 1, "\\answered": 2, "\\flagged": 4, "\\deleted": 8, "\\draft": 16 } as const;

/**
 * system_flags from the flags JSON, case-insensitively (flags are, RFC 9051 §2.3.2): the JSON
 * text holds a system flag as `"\\Seen"`, and no keyword can contain a backslash or a quote
 * (atom-specials), so a quoted substring test is exact. Scalar and deterministic, as a
 * generated column requires.
 */
const SYSTEM_FLAGS_SQL = Object.entries(SYSTEM_FLAG_BITS)
  .map(([flag, bit]) => `${bit} * (instr(lower(flags), '${JSON.stringify(flag)}') > 0)`)
  .join(" + ");

export const mailboxMessages = sqliteTable(
  "mailbox_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    mailboxId: integer("mailbox_id").notNull().references(() => mailboxes.id, { onDelete: "cascade" }),
    uid: integer("uid").notNull(),
    bodyHash: text("body_hash").notNull().references(() => bodies.hash),
    // JSON array of flag strings, e.g. ["\\Seen","$Junk"].
    flags: text("flags").notNull().default("[]"),
    // The system flags of `flags` as a bitmask (SYSTEM_FLAG_BITS), for the partial indexes
    // below and cheap flag tests in SQL. A VIRTUAL generated column: SQLite derives it from
    // `flags` on every write path (deliveries, STORE, APPEND, COPY/MOVE, POP3, any future
    // one), so it cannot drift, and adding it backfills every existing row.
    systemFlags: integer("system_flags")
      .notNull()
      .generatedAlwaysAs(sql.raw(SYSTEM_FLAGS_SQL), { mode: "virtual" }),
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
    // EXPUNGE/CLOSE find \Deleted messages, SELECT/SEARCH/STATUS unseen ones, through these
    // small partial indexes rather than a scan of the mailbox. Queries must spell the
    // condition exactly like this for SQLite to use them (see src/store/imap-sql.ts).
    index("mailbox_messages_deleted_idx").on(t.mailboxId, t.uid).where(sql.raw("(system_flags & 8) != 0")),
    index("mailbox_messages_unseen_idx").on(t.mailboxId, t.uid).where(sql.raw("(system_flags & 1) = 0")),
  ],
);
