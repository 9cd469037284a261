// Operator actions on the outbound queue (`hikyaku queue …`): the full history of one
// message, retry/flush (make waiting recipients due now), hold/release, delete.
// Each returns what it changed, or null when the queue id does not exist.

import { asc, eq } from "drizzle-orm";
import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import { queueAttempts } from "../db/schema/mod.ts";
import { getQueueEntry, recipientDomain } from "./queue.ts";
import type { QueueAttempt, QueueMessage, QueueRecipient } from "./queue.ts";
import { deleteUnreferencedBodies } from "./queue-purge.ts";

export type QueueDetail = QueueMessage & { recipients: (QueueRecipient & { history: QueueAttempt[] })[] };

/** One message, each recipient, and each recipient's attempts (`history`; `attempts` is the count) in time order. */
export async function getQueueDetail(db: Db, id: string): Promise<QueueDetail | null> {
  const entry = await getQueueEntry(db, id);
  if (!entry) return null;
  const attempts = await db.orm.select().from(queueAttempts).where(eq(queueAttempts.queueId, id)).orderBy(asc(queueAttempts.at), asc(queueAttempts.id));
  return { ...entry, recipients: entry.recipients.map((r) => ({ ...r, history: attempts.filter((a) => a.recipientId === r.id) })) };
}

export type QueueTarget = { id: string } | { domain: string } | { all: true };

function targetSql(t: QueueTarget): { where: string; args: Record<string, string> } {
  if ("id" in t) return { where: "queue_id = :target", args: { target: t.id } };
  if ("domain" in t) return { where: "domain = :target", args: { target: recipientDomain(`@${t.domain}`) } };
  return { where: "1 = 1", args: {} };
}

async function exists(db: Db, id: string): Promise<boolean> {
  const rs = await db.client.execute({ sql: "SELECT 1 FROM queue_messages WHERE id = ?", args: [id] });
  return rs.rows.length > 0;
}

export type RetryResult = { retried: number; revived: number };

/**
 * Makes queued and deferred recipients due now (an earlier due time is kept). With
 * `failed`, failed recipients go back to 'queued', due now, and their message gets a
 * fresh lifetime of its original length, or the first deferral would fail it again.
 * In-flight recipients are left to their worker. null: unknown queue id.
 */
export async function retryQueue(db: Db, target: QueueTarget, o: { failed?: boolean; now?: number } = {}): Promise<RetryResult | null> {
  if ("id" in target && !(await exists(db, target.id))) return null;
  const now = o.now ?? Date.now();
  const t = targetSql(target);
  const args = { ...t.args, now };
  const stmts: InStatement[] = [
    { sql: `UPDATE queue_recipients SET next_attempt_at = MIN(next_attempt_at, :now) WHERE state IN ('queued', 'deferred') AND ${t.where}`, args },
  ];
  if (o.failed) {
    stmts.push(
      {
        sql:
          "UPDATE queue_messages SET expires_at = MAX(expires_at, :now + expires_at - created_at) " +
          `WHERE id IN (SELECT queue_id FROM queue_recipients WHERE state = 'failed' AND ${t.where})`,
        args,
      },
      // A new delay warning is due if the revived recipient is delayed again (RFC 3464 Action: delayed).
      { sql: `UPDATE queue_recipients SET state = 'queued', next_attempt_at = :now, delay_notified = 0 WHERE state = 'failed' AND ${t.where}`, args },
    );
  }
  const rs = await db.writer.write(stmts);
  return { retried: rs[0].rowsAffected, revived: o.failed ? rs[2].rowsAffected : 0 };
}

/** `postqueue -f`: every deferred recipient of a message not on hold becomes due now. */
export async function flushQueue(db: Db, now = Date.now()): Promise<number> {
  const [rs] = await db.writer.write([
    {
      sql:
        "UPDATE queue_recipients SET next_attempt_at = MIN(next_attempt_at, ?) " +
        "WHERE state = 'deferred' AND queue_id IN (SELECT id FROM queue_messages WHERE held = 0)",
      args: [now],
    },
  ]);
  return rs.rowsAffected;
}

export type HoldResult = { changed: boolean; pending: number; inflight: number };

/**
 * Puts a message on hold (workers claim none of its recipients) or releases it.
 * A recipient already in flight finishes its current attempt. null: unknown queue id.
 */
export async function setHeld(db: Db, id: string, held: boolean): Promise<HoldResult | null> {
  const entry = await getQueueEntry(db, id);
  if (!entry) return null;
  const [rs] = await db.writer.write([{ sql: "UPDATE queue_messages SET held = ? WHERE id = ? AND held = ?", args: [held ? 1 : 0, id, held ? 0 : 1] }]);
  return {
    changed: rs.rowsAffected > 0,
    pending: entry.recipients.filter((r) => r.state === "queued" || r.state === "deferred").length,
    inflight: entry.recipients.filter((r) => r.state === "inflight").length,
  };
}

export type DeleteResult = { recipients: number; pending: number; inflight: number };

/**
 * Removes a message, its recipients and attempts, and its body if nothing else uses it.
 * No DSN is sent. A recipient in flight may still be delivered by its worker, whose
 * result then finds no row to record. null: unknown queue id.
 */
export async function deleteQueueMessage(db: Db, id: string): Promise<DeleteResult | null> {
  const entry = await getQueueEntry(db, id);
  if (!entry) return null;
  const [rs] = await db.writer.write([{ sql: "DELETE FROM queue_messages WHERE id = ?", args: [id] }, ...deleteUnreferencedBodies([entry.bodyHash])]);
  if (rs.rowsAffected === 0) return null;
  return {
    recipients: entry.recipients.length,
    pending: entry.recipients.filter((r) => r.state === "queued" || r.state === "deferred").length,
    inflight: entry.recipients.filter((r) => r.state === "inflight").length,
  };
}
