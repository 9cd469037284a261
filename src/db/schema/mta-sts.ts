// MTA-STS policy cache (RFC 8461 §5.1): a fetched policy is kept until max_age runs out,
// so a later DNS or HTTPS failure cannot downgrade delivery to that domain.

import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const mtaStsPolicies = sqliteTable("mta_sts_policies", {
  // Lower-case A-label recipient domain.
  domain: text("domain").primaryKey(),
  // The `id=` of the _mta-sts TXT record the policy was fetched under.
  policyId: text("policy_id").notNull(),
  mode: text("mode", { enum: ["enforce", "testing", "none"] }).notNull(),
  // JSON array of the policy's mx patterns.
  mx: text("mx").notNull(),
  maxAge: integer("max_age").notNull(),
  fetchedAt: integer("fetched_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});
