// Per-handler decisions (DESIGN §3): answers "why was this message rejected / junked /
// delayed?" by queue id, session-transaction id or Message-ID.

import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const traces = sqliteTable(
  "traces",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    transactionId: text("transaction_id").notNull(),
    messageId: text("message_id"),
    sessionId: text("session_id").notNull(),
    event: text("event").notNull(),
    handler: text("handler").notNull(),
    verdict: text("verdict").notNull(),
    code: integer("code"),
    enhanced: text("enhanced"),
    text: text("text"),
    durationMs: real("duration_ms").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("traces_transaction_idx").on(t.transactionId), index("traces_message_idx").on(t.messageId)],
);
