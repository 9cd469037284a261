// Removing queue messages: finished ones after their retention, or one on operator
// request. Bodies are shared and content-addressed (DESIGN §4), so a body row goes only
// when no mailbox_messages row and no queue_messages row refers to it any more.

import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import { IDS_PER_STATEMENT, placeholders } from "./queue-rows.ts";

// Every table with a body_hash column (src/db/schema/mailboxes.ts, queue.ts).
const UNREFERENCED =
  "NOT EXISTS (SELECT 1 FROM mailbox_messages WHERE body_hash = bodies.hash) " +
  "AND NOT EXISTS (SELECT 1 FROM queue_messages WHERE body_hash = bodies.hash)";

/** Deletes those of `hashes` nothing refers to; run it after the referring rows are deleted, in the same op. */
export function deleteUnreferencedBodies(hashes: readonly string[]): InStatement[] {
  const unique = [...new Set(hashes)];
  if (unique.length === 0) return [];
  return [{ sql: `DELETE FROM bodies WHERE hash IN (${placeholders(unique.length)}) AND ${UNREFERENCED}`, args: unique }];
}

// Finished: no recipient still waiting or in flight.
const FINISHED = "NOT EXISTS (SELECT 1 FROM queue_recipients AS r WHERE r.queue_id = m.id AND r.state NOT IN ('delivered', 'failed'))";
// Finished at: the last attempt (or creation, if nothing was ever attempted).
const FINISHED_AT = "COALESCE((SELECT MAX(r.last_attempt_at) FROM queue_recipients AS r WHERE r.queue_id = m.id), m.created_at)";

/**
 * Deletes messages whose recipients are all delivered or failed and whose last attempt is
 * older than `before` (recipients and attempts go by cascade), then their bodies if now
 * unreferenced. Returns the number of messages deleted.
 */
export async function purgeFinished(db: Db, before: number): Promise<number> {
  let total = 0;
  for (;;) {
    const found = await db.client.execute({
      sql: `SELECT m.id, m.body_hash FROM queue_messages AS m WHERE ${FINISHED} AND ${FINISHED_AT} < ? LIMIT ${IDS_PER_STATEMENT}`,
      args: [before],
    });
    if (found.rows.length === 0) return total;
    const ids = found.rows.map((row) => String(row.id));
    // Re-checked inside the op: `queue retry --failed` may have revived one since the read.
    const [deleted] = await db.writer.write([
      {
        sql: `DELETE FROM queue_messages AS m WHERE m.id IN (${placeholders(ids.length)}) AND ${FINISHED} AND ${FINISHED_AT} < ?`,
        args: [...ids, before],
      },
      ...deleteUnreferencedBodies(found.rows.map((row) => String(row.body_hash))),
    ]);
    total += deleted.rowsAffected;
    if (deleted.rowsAffected === 0 || found.rows.length < IDS_PER_STATEMENT) return total;
  }
}
