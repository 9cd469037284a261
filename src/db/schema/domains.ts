// Domains this server is the final destination for (DESIGN §4).
// Names are stored lower-case, as A-labels, so lookups are plain equality.

import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const domains = sqliteTable("domains", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  createdAt: integer("created_at").notNull(),
});
