// Outbound queue: one row per accepted transaction plus one per recipient, carrying the
// SMTP extension parameters that must survive relay (RFC 3461 DSN, 8689 REQUIRETLS, 6531).

import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { bodies } from "./bodies.ts";

export const queueMessages = sqliteTable("queue_messages", {
  id: text("id").primaryKey(),
  bodyHash: text("body_hash").notNull().references(() => bodies.hash),
  // '' for the null reverse-path <> (bounces must never bounce, RFC 5321 §4.5.5).
  mailFrom: text("mail_from").notNull(),
  envid: text("envid"),
  ret: text("ret", { enum: ["FULL", "HDRS"] }),
  requiretls: integer("requiretls", { mode: "boolean" }).notNull().default(false),
  smtputf8: integer("smtputf8", { mode: "boolean" }).notNull().default(false),
  bodyType: text("body_type", { enum: ["7BIT", "8BITMIME", "BINARYMIME"] }),
  authUser: text("auth_user"),
  clientIp: text("client_ip"),
  createdAt: integer("created_at").notNull(),
});

export const queueRecipients = sqliteTable(
  "queue_recipients",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    queueId: text("queue_id").notNull().references(() => queueMessages.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    orcpt: text("orcpt"),
    // RFC 3461 NOTIFY: "NEVER" or a comma list of SUCCESS, FAILURE, DELAY.
    notify: text("notify"),
    state: text("state", { enum: ["queued", "inflight", "delivered", "deferred", "failed"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastReply: text("last_reply"),
    // A worker leases rows so two workers (or a restarted one) never send twice.
    leaseOwner: text("lease_owner"),
    leaseUntil: integer("lease_until"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("queue_recipients_queue_idx").on(t.queueId),
    index("queue_recipients_due_idx").on(t.state, t.nextAttemptAt),
  ],
);
