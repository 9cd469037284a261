// Content-addressed message bodies (DESIGN §4): stored once, referenced by every
// recipient's mailbox entry and by the outbound queue.

import { blob, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const bodies = sqliteTable("bodies", {
  // sha256 of the raw message, lower-case hex.
  hash: text("hash").primaryKey(),
  size: integer("size").notNull(),
  content: blob("content", { mode: "buffer" }).notNull(),
  // JSON of the parsed MIME structure, so FETCH never re-parses.
  mime: text("mime").notNull(),
  createdAt: integer("created_at").notNull(),
});
