// Worker leases on queue recipients: claim due rows, renew, release, and when the next
// one falls due. A lease is (lease_owner, lease_until); a crashed worker's rows become
// claimable again once lease_until has passed, so nothing is stuck and nothing is sent twice.

import { inArray } from "drizzle-orm";
import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import type { WriteOp } from "../db/writer.ts";
import { queueMessages } from "../db/schema/mod.ts";
import type { QueueMessage, QueueRecipient } from "./queue.ts";
import { chunks, placeholders, toQueueRecipient } from "./queue-rows.ts";

export type ClaimedBatch = { message: QueueMessage; domain: string; recipients: QueueRecipient[] };

export type ClaimOptions = { owner: string; now: number; leaseMs: number; limit: number; domain?: string };

// Claimable: waiting and due, or in flight under an expired lease (its worker died).
// Written for alias `r`; the message must not be on operator hold.
const CLAIMABLE =
  "((r.state IN ('queued', 'deferred') AND r.next_attempt_at <= :now) OR (r.state = 'inflight' AND r.lease_until < :now))";

/**
 * Atomically leases up to `limit` due recipients (oldest next_attempt_at first) and groups
 * them by (queue id, domain). One conditional UPDATE … WHERE id IN (SELECT …) RETURNING:
 * the writer runs it as a single statement, and the outer WHERE re-checks claimability,
 * so two workers can never both lease a row.
 */
export async function claimDue(db: Db, o: ClaimOptions): Promise<ClaimedBatch[]> {
  if (o.limit <= 0) return [];
  const byDomain = o.domain === undefined ? "" : " AND r.domain = :domain";
  const stmt: InStatement = {
    sql:
      "UPDATE queue_recipients AS r SET state = 'inflight', lease_owner = :owner, lease_until = :until " +
      "WHERE r.id IN (SELECT r.id FROM queue_recipients AS r JOIN queue_messages AS m ON m.id = r.queue_id " +
      `WHERE m.held = 0 AND ${CLAIMABLE}${byDomain} ORDER BY r.next_attempt_at, r.id LIMIT :limit) ` +
      `AND ${CLAIMABLE} RETURNING *`,
    args: { owner: o.owner, until: o.now + o.leaseMs, now: o.now, limit: o.limit, ...(o.domain === undefined ? {} : { domain: o.domain }) },
  };
  const [rs] = await db.writer.write([stmt]);
  // RETURNING order is unspecified: restore the claim order.
  const recipients = rs.rows.map(toQueueRecipient).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
  if (recipients.length === 0) return [];

  const messages = new Map<string, QueueMessage>();
  for (const ids of chunks([...new Set(recipients.map((r) => r.queueId))])) {
    for (const m of await db.orm.select().from(queueMessages).where(inArray(queueMessages.id, ids))) messages.set(m.id, m);
  }
  const batches = new Map<string, ClaimedBatch>();
  for (const r of recipients) {
    const message = messages.get(r.queueId);
    // Deleted by an operator between the claim and this read: its rows are gone too.
    if (!message) continue;
    const key = `${r.queueId}\u0000${r.domain}`;
    const batch = batches.get(key);
    if (batch) batch.recipients.push(r);
    else batches.set(key, { message, domain: r.domain, recipients: [r] });
  }
  return [...batches.values()];
}

/** Extends the lease of rows still owned by `owner` (a row another worker took over stays theirs). */
export async function renewLease(db: Db, owner: string, recipientIds: readonly number[], until: number): Promise<void> {
  if (recipientIds.length === 0) return;
  await db.writer.write(
    chunks(recipientIds).map((ids) => ({
      sql: `UPDATE queue_recipients SET lease_until = ? WHERE lease_owner = ? AND state = 'inflight' AND id IN (${placeholders(ids.length)})`,
      args: [until, owner, ...ids],
    })),
  );
}

/**
 * Gives leased rows back without counting an attempt (worker shutting down): 'queued' if
 * never attempted, else 'deferred', due at `now`. Without ids, every row `owner` holds.
 * Returns [] (an op the writer refuses alone, but fine to combine) for an empty id list.
 */
export function releaseLeasesOp(owner: string, recipientIds?: readonly number[], now = Date.now()): WriteOp {
  const set =
    "UPDATE queue_recipients SET state = CASE WHEN attempts = 0 THEN 'queued' ELSE 'deferred' END, " +
    "next_attempt_at = ?, lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND state = 'inflight'";
  if (recipientIds === undefined) return [{ sql: set, args: [now, owner] }];
  return chunks(recipientIds).map((ids) => ({ sql: `${set} AND id IN (${placeholders(ids.length)})`, args: [now, owner, ...ids] }));
}

/**
 * When a worker should next look: the earliest next_attempt_at of waiting rows, or the
 * moment an in-flight row's lease lapses (lease_until + 1, as claiming needs lease_until < now),
 * over messages not on hold. null when nothing can become due.
 */
export async function nextDueAt(db: Db): Promise<number | null> {
  const rs = await db.client.execute(
    "SELECT MIN(CASE WHEN r.state = 'inflight' THEN r.lease_until + 1 ELSE r.next_attempt_at END) AS due " +
      "FROM queue_recipients AS r JOIN queue_messages AS m ON m.id = r.queue_id " +
      "WHERE m.held = 0 AND r.state IN ('queued', 'deferred', 'inflight')",
  );
  const due = rs.rows[0]?.due;
  return due === null || due === undefined ? null : Number(due);
}
