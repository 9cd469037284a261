// Outbound queue: one row per accepted transaction plus one per recipient, carrying the
// SMTP extension parameters that must survive relay (RFC 3461 DSN, 8689 REQUIRETLS, 6531),
// and one row per delivery attempt (the history `hikyaku queue show` prints).

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
  // Operator hold (`hikyaku queue hold`): workers skip every recipient of a held message.
  held: integer("held", { mode: "boolean" }).notNull().default(false),
  // Give-up time (created + configured lifetime); past it a deferred recipient fails.
  expiresAt: integer("expires_at").notNull().default(0),
  createdAt: integer("created_at").notNull(),
});

export const queueRecipients = sqliteTable(
  "queue_recipients",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    queueId: text("queue_id").notNull().references(() => queueMessages.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    // Lower-case A-label form of the address's domain: routing, grouping and filters.
    domain: text("domain").notNull().default(""),
    orcpt: text("orcpt"),
    // RFC 3461 NOTIFY: "NEVER" or a comma list of SUCCESS, FAILURE, DELAY.
    notify: text("notify"),
    state: text("state", { enum: ["queued", "inflight", "delivered", "deferred", "failed"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastAttemptAt: integer("last_attempt_at"),
    lastReply: text("last_reply"),
    // RFC 3463 enhanced status of the last reply (e.g. "4.4.1"), for the DSN Status field.
    lastStatus: text("last_status"),
    // The host that gave the last reply (DSN Remote-MTA).
    remoteMta: text("remote_mta"),
    // A "delayed" DSN (RFC 3464 Action: delayed) was already sent for this recipient.
    delayNotified: integer("delay_notified", { mode: "boolean" }).notNull().default(false),
    // A worker leases rows so two workers (or a restarted one) never send twice.
    leaseOwner: text("lease_owner"),
    leaseUntil: integer("lease_until"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("queue_recipients_queue_idx").on(t.queueId),
    index("queue_recipients_due_idx").on(t.state, t.nextAttemptAt),
    index("queue_recipients_domain_idx").on(t.domain),
  ],
);

export const queueAttempts = sqliteTable(
  "queue_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    recipientId: integer("recipient_id").notNull().references(() => queueRecipients.id, { onDelete: "cascade" }),
    queueId: text("queue_id").notNull(),
    at: integer("at").notNull(),
    // MX or relay host (and address) tried; null when no host could be reached or resolved.
    host: text("host"),
    outcome: text("outcome", { enum: ["delivered", "deferred", "failed"] }).notNull(),
    reply: text("reply").notNull(),
  },
  (t) => [index("queue_attempts_queue_idx").on(t.queueId), index("queue_attempts_recipient_idx").on(t.recipientId)],
);
