// State of the trust handlers that must outlive a restart: greylisting triplets and the
// rate-limit counters (sliding windows approximated by two fixed windows per key).

import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const greylist = sqliteTable(
  "greylist",
  {
    // "<client network>|<sender>|<recipient>", lower-case.
    key: text("key").primaryKey(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    // The first retry after the delay; from then on the triplet passes until it expires.
    passedAt: integer("passed_at"),
    // Attempts refused with 451 before it passed.
    blocked: integer("blocked").notNull().default(0),
  },
  (t) => [index("greylist_last_seen_idx").on(t.lastSeen)],
);

export const rateCounters = sqliteTable(
  "rate_counters",
  {
    // What is counted and for whom, e.g. "messages:ip:192.0.2.1" or "auth-fail:user:alice@x".
    key: text("key").notNull(),
    // Start of the fixed window (ms since the epoch, a multiple of the window length).
    windowStart: integer("window_start").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] }), index("rate_counters_window_idx").on(t.windowStart)],
);
