// Outbound queue rows. enqueueOp does not store the body: combine it with the body (or a
// whole local delivery) in ONE write op, e.g. `writer.write([...bodyOp(b), ...enqueueOp(q)])`
// or `[...deliverOp(d), ...enqueueOp(q)]`, so the 250 covers both atomically.

import { domainToASCII } from "node:url";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { InStatement } from "@libsql/client";
import type { Db } from "../db/client.ts";
import type { WriteOp } from "../db/writer.ts";
import { queueAttempts, queueMessages, queueRecipients } from "../db/schema/mod.ts";

// The worker-facing lease API lives in its own files; re-exported so the delivery worker
// needs one import path for the whole queue.
export { claimDue, nextDueAt, releaseLeasesOp, renewLease } from "./queue-claim.ts";
export type { ClaimedBatch, ClaimOptions } from "./queue-claim.ts";
export { markDelayNotifiedOp, recordResultsOp } from "./queue-results.ts";
export type { RecipientResult, RecordResultsOptions } from "./queue-results.ts";
export { purgeFinished } from "./queue-purge.ts";

export type QueueRecipientInput = { address: string; orcpt?: string | null; notify?: string | null };

export type EnqueueInput = {
  id: string;
  bodyHash: string;
  /** '' for the null reverse-path. */
  mailFrom: string;
  envid: string | null;
  ret: "FULL" | "HDRS" | null;
  requiretls: boolean;
  smtputf8: boolean;
  bodyType: "7BIT" | "8BITMIME" | "BINARYMIME" | null;
  authUser: string | null;
  clientIp: string | null;
  recipients: readonly QueueRecipientInput[];
  /** First attempt time, ms; defaults to now. */
  nextAttemptAt?: number;
  /** Give-up time, ms; defaults to now + 5 days (config delivery.retry.lifetimeMs). */
  expiresAt?: number;
};

const DEFAULT_LIFETIME_MS = 5 * 24 * 60 * 60_000;

/** The routing domain of an address: lower-case, A-label form (RFC 5890), no brackets stripped. */
export function recipientDomain(address: string): string {
  const at = address.lastIndexOf("@");
  const d = at < 0 ? "" : address.slice(at + 1).toLowerCase();
  if (d.startsWith("[") || /^[\x00-\x7f]*$/.test(d)) return d;
  return domainToASCII(d) || d;
}

export type QueueMessage = typeof queueMessages.$inferSelect;
export type QueueRecipient = typeof queueRecipients.$inferSelect;
export type QueueAttempt = typeof queueAttempts.$inferSelect;
export type QueueEntry = QueueMessage & { recipients: QueueRecipient[] };
export type RecipientState = QueueRecipient["state"];
export const RECIPIENT_STATES: readonly RecipientState[] = queueRecipients.state.enumValues;

/** Recipient filters for listing; a message is listed with its matching recipients only. */
export type QueueFilter = { domain?: string; state?: RecipientState };

// Well under SQLite's 32766 bound parameters per statement.
const ROWS_PER_INSERT = 500;

/** The queue_messages row and its recipients. A missing body fails the op (foreign key). */
export function enqueueOp(q: EnqueueInput): WriteOp {
  const now = Date.now();
  const next = q.nextAttemptAt ?? now;
  const stmts: InStatement[] = [
    {
      sql:
        "INSERT INTO queue_messages (id, body_hash, mail_from, envid, ret, requiretls, smtputf8, body_type, auth_user, client_ip, expires_at, created_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      args: [q.id, q.bodyHash, q.mailFrom, q.envid, q.ret, q.requiretls ? 1 : 0, q.smtputf8 ? 1 : 0, q.bodyType, q.authUser, q.clientIp, q.expiresAt ?? now + DEFAULT_LIFETIME_MS, now],
    },
  ];
  for (let i = 0; i < q.recipients.length; i += ROWS_PER_INSERT) {
    const chunk = q.recipients.slice(i, i + ROWS_PER_INSERT);
    stmts.push({
      sql:
        "INSERT INTO queue_recipients (queue_id, address, domain, orcpt, notify, state, attempts, next_attempt_at, created_at) VALUES " +
        chunk.map(() => "(?, ?, ?, ?, ?, 'queued', 0, ?, ?)").join(", "),
      args: chunk.flatMap((r) => [q.id, r.address, recipientDomain(r.address), r.orcpt ?? null, r.notify ?? null, next, now]),
    });
  }
  return stmts;
}

export async function listQueue(db: Db, filter: QueueFilter = {}): Promise<QueueEntry[]> {
  const filtered = filter.domain !== undefined || filter.state !== undefined;
  const recipientWhere = and(
    filter.domain === undefined ? undefined : eq(queueRecipients.domain, recipientDomain(`@${filter.domain}`)),
    filter.state === undefined ? undefined : eq(queueRecipients.state, filter.state),
  );
  let messages: QueueMessage[];
  let recipients: QueueRecipient[];
  if (filtered) {
    recipients = await db.orm.select().from(queueRecipients).where(recipientWhere).orderBy(asc(queueRecipients.id));
    const ids = [...new Set(recipients.map((r) => r.queueId))];
    messages = [];
    for (let i = 0; i < ids.length; i += ROWS_PER_INSERT) {
      messages.push(...(await db.orm.select().from(queueMessages).where(inArray(queueMessages.id, ids.slice(i, i + ROWS_PER_INSERT)))));
    }
    messages.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  } else {
    messages = await db.orm.select().from(queueMessages).orderBy(asc(queueMessages.createdAt), asc(queueMessages.id));
    if (messages.length === 0) return [];
    recipients = await db.orm.select().from(queueRecipients).orderBy(asc(queueRecipients.id));
  }
  const byQueue = new Map<string, QueueRecipient[]>();
  for (const r of recipients) {
    const list = byQueue.get(r.queueId);
    if (list) list.push(r);
    else byQueue.set(r.queueId, [r]);
  }
  return messages.map((m) => ({ ...m, recipients: byQueue.get(m.id) ?? [] }));
}

export async function getQueueEntry(db: Db, id: string): Promise<QueueEntry | null> {
  const [message] = await db.orm.select().from(queueMessages).where(eq(queueMessages.id, id)).limit(1);
  if (!message) return null;
  const recipients = await db.orm.select().from(queueRecipients).where(eq(queueRecipients.queueId, id)).orderBy(asc(queueRecipients.id));
  return { ...message, recipients };
}
