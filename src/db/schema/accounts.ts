// Mail accounts and aliases: who can log in, and which addresses route where.
// Credentials are stored twice: scrypt for PLAIN/LOGIN, SCRAM keys for RFC 7677.

import { index, integer, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";
import { domains } from "./domains.ts";

export const accounts = sqliteTable("accounts", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  address: text("address").notNull().unique(),
  // RESTRICT: removing a domain that still has accounts must fail, not orphan mail.
  domainId: integer("domain_id").notNull().references(() => domains.id, { onDelete: "restrict" }),
  passwordHash: text("password_hash").notNull(),
  scramSha256: text("scram_sha256"),
  disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
  // Last UIDVALIDITY handed to one of this account's mailboxes. Kept on the account,
  // not derived from existing mailboxes, so a deleted-then-recreated mailbox still
  // gets a strictly larger value (RFC 3501 §2.3.1.1).
  uidvalidityLast: integer("uidvalidity_last").notNull().default(0),
  createdAt: integer("created_at").notNull(),
});

export const aliases = sqliteTable(
  "aliases",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // Full address `x@d`, or `@d` for a catch-all.
    source: text("source").notNull(),
    destination: text("destination").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [unique("aliases_source_destination_unique").on(t.source, t.destination), index("aliases_destination_idx").on(t.destination)],
);
