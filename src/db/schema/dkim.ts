// DKIM signing keys (RFC 6376, RFC 8463 Ed25519): several per domain, one row per selector.
// A key is active until retired; rotation = generate a new selector, publish, retire the old.

import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const dkimKeys = sqliteTable(
  "dkim_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // Lower-case A-label form.
    domain: text("domain").notNull(),
    selector: text("selector").notNull(),
    algorithm: text("algorithm", { enum: ["rsa-sha256", "ed25519-sha256"] }).notNull(),
    // PKCS#8 PEM.
    privateKey: text("private_key").notNull(),
    // The base64 that goes into the DNS record's p= tag.
    publicKey: text("public_key").notNull(),
    createdAt: integer("created_at").notNull(),
    retiredAt: integer("retired_at"),
  },
  (t) => [uniqueIndex("dkim_keys_domain_selector_idx").on(t.domain, t.selector)],
);
