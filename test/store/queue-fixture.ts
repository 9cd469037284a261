// Test helper for the queue store tests: enqueue a message (body included) and read
// recipient rows back as the database has them.

import type { Db } from "../../src/db/client.ts";
import { bodyOp, hashBody } from "../../src/store/messages.ts";
import { enqueueOp, getQueueEntry } from "../../src/store/queue.ts";
import type { EnqueueInput, QueueRecipient } from "../../src/store/queue.ts";

export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

export function bodyOf(text: string) {
  const raw = new TextEncoder().encode(text);
  return { bodyHash: hashBody(raw), raw, mimeJson: "{}" };
}

/** Enqueues `addresses` under `id` with its own body (or `text`'s), due at T0 unless overridden. */
export async function enqueue(db: Db, id: string, addresses: readonly string[], over: Partial<EnqueueInput> & { text?: string } = {}): Promise<QueueRecipient[]> {
  const { text, ...rest } = over;
  const body = bodyOf(text ?? `Subject: ${id}\r\n\r\nbody of ${id}\r\n`);
  await db.writer.write([
    ...bodyOp(body),
    ...enqueueOp({
      id,
      bodyHash: body.bodyHash,
      mailFrom: "alice@example.org",
      envid: null,
      ret: null,
      requiretls: false,
      smtputf8: false,
      bodyType: null,
      authUser: null,
      clientIp: null,
      recipients: addresses.map((address) => ({ address })),
      nextAttemptAt: T0,
      ...rest,
    }),
  ]);
  return (await getQueueEntry(db, id))!.recipients;
}

export async function recipientsOf(db: Db, id: string): Promise<QueueRecipient[]> {
  return (await getQueueEntry(db, id))?.recipients ?? [];
}

export async function sql(db: Db, statement: string, args: (string | number | null)[] = []): Promise<void> {
  await db.writer.write([{ sql: statement, args }]);
}

export async function count(db: Db, table: string): Promise<number> {
  const rs = await db.client.execute(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rs.rows[0].n);
}
