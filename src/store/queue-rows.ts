// Maps raw libsql rows (snake_case columns, 0/1 booleans) from `… RETURNING *` or
// `db.client.execute` to the drizzle camelCase types, using the schema's own column
// mappers so the two can never drift apart.

import { getTableColumns } from "drizzle-orm";
import type { Table } from "drizzle-orm";
import type { Row } from "@libsql/client";
import { queueAttempts, queueRecipients } from "../db/schema/mod.ts";

type Mapper<T> = (row: Row) => T;

function rowMapper<TTable extends Table>(table: TTable): Mapper<TTable["$inferSelect"]> {
  const columns = Object.entries(getTableColumns(table));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const [key, col] of columns) {
      const v = row[col.name];
      out[key] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
    }
    return out as TTable["$inferSelect"];
  };
}

export const toQueueRecipient = rowMapper(queueRecipients);
export const toQueueAttempt = rowMapper(queueAttempts);

/** SQL placeholders for an IN list: `?, ?, ?`. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

// Well under SQLite's 32766 bound parameters per statement.
export const IDS_PER_STATEMENT = 500;

export function chunks<T>(items: readonly T[], size = IDS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
