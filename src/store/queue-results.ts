// Recording a worker's delivery outcomes: the recipient row and its attempt history in
// one op, so it can share a commit with, say, the bounce (DSN) it causes.

import type { InStatement } from "@libsql/client";
import type { WriteOp } from "../db/writer.ts";
import { chunks, placeholders } from "./queue-rows.ts";

export type RecipientResult = {
  recipientId: number;
  outcome: "delivered" | "deferred" | "failed";
  /** The remote reply (or our own reason), e.g. "451 4.7.1 greylisted". */
  reply: string;
  /** RFC 3463 enhanced status, e.g. "4.4.1" (the DSN Status field). */
  status: string;
  /** The host that answered (DSN Remote-MTA); null when none was reached. */
  host: string | null;
  /** Required for "deferred": when to try again. */
  nextAttemptAt?: number;
};

export type RecordResultsOptions = { owner: string; now: number; results: readonly RecipientResult[] };

// Only the lease holder may record: a worker whose lease lapsed and was taken over must
// not overwrite the new owner's work (or log an attempt that did not count).
const OWNED = "id = ? AND lease_owner = ? AND state = 'inflight'";

/**
 * For each result, where `owner` still holds the lease: one queue_attempts row, then
 * attempts+1, last_* fields, the new state (next_attempt_at for deferred) and the lease
 * cleared. A row not held by `owner` is left untouched and gets no attempt row.
 */
export function recordResultsOp(o: RecordResultsOptions): WriteOp {
  const stmts: InStatement[] = [];
  for (const r of o.results) {
    if (r.outcome === "deferred" && r.nextAttemptAt === undefined) {
      throw new TypeError(`recordResultsOp: deferred recipient ${r.recipientId} needs nextAttemptAt`);
    }
    // The attempt row first: the UPDATE below clears the lease it is conditioned on.
    stmts.push({
      sql: `INSERT INTO queue_attempts (recipient_id, queue_id, at, host, outcome, reply) SELECT id, queue_id, ?, ?, ?, ? FROM queue_recipients WHERE ${OWNED}`,
      args: [o.now, r.host, r.outcome, r.reply, r.recipientId, o.owner],
    });
    stmts.push({
      sql:
        "UPDATE queue_recipients SET attempts = attempts + 1, last_attempt_at = ?, last_reply = ?, last_status = ?, remote_mta = ?, " +
        `state = ?, next_attempt_at = COALESCE(?, next_attempt_at), lease_owner = NULL, lease_until = NULL WHERE ${OWNED}`,
      args: [o.now, r.reply, r.status, r.host, r.outcome, r.outcome === "deferred" ? r.nextAttemptAt! : null, r.recipientId, o.owner],
    });
  }
  return stmts;
}

/** A "delayed" DSN (RFC 3464 Action: delayed) went out for these recipients: send it once only. */
export function markDelayNotifiedOp(recipientIds: readonly number[]): WriteOp {
  return chunks(recipientIds).map((ids) => ({
    sql: `UPDATE queue_recipients SET delay_notified = 1 WHERE id IN (${placeholders(ids.length)})`,
    args: ids,
  }));
}
