// Delivery test fixtures: put a message straight into the outbound queue (body + rows in one
// write, as handlers/local-delivery.ts does) and read recipients back.

import type { Db } from "../../src/db/client.ts";
import { parseMime } from "../../src/protocol/mime/parse.ts";
import { bodyOp, hashBody } from "../../src/store/messages.ts";
import { enqueueOp, getQueueEntry, type EnqueueInput, type QueueEntry } from "../../src/store/queue.ts";
import { newQueueId } from "../../src/store/ids.ts";

export type TestMessage = Partial<Omit<EnqueueInput, "recipients" | "bodyHash">> & {
  recipients: (string | { address: string; notify?: string | null; orcpt?: string | null })[];
  body?: string | Uint8Array;
};

export const DEFAULT_BODY = "From: alice@example.test\r\nTo: bob@other.test\r\nSubject: test\r\nMessage-ID: <t1@example.test>\r\n\r\nHello.\r\n";

export async function queueTestMessage(db: Db, m: TestMessage): Promise<string> {
  const raw = typeof m.body === "string" || m.body === undefined ? new TextEncoder().encode(m.body ?? DEFAULT_BODY) : m.body;
  const bodyHash = hashBody(raw);
  const id = m.id ?? newQueueId();
  await db.writer.write([
    ...bodyOp({ bodyHash, raw, mimeJson: JSON.stringify(parseMime(raw)) }),
    ...enqueueOp({
      id,
      bodyHash,
      mailFrom: m.mailFrom ?? "alice@example.test",
      envid: m.envid ?? null,
      ret: m.ret ?? null,
      requiretls: m.requiretls ?? false,
      smtputf8: m.smtputf8 ?? false,
      bodyType: m.bodyType ?? null,
      authUser: m.authUser ?? "alice@example.test",
      clientIp: m.clientIp ?? "127.0.0.1",
      recipients: m.recipients.map((r) => (typeof r === "string" ? { address: r } : r)),
      nextAttemptAt: m.nextAttemptAt,
      expiresAt: m.expiresAt,
    }),
  ]);
  return id;
}

export async function queueEntry(db: Db, id: string): Promise<QueueEntry> {
  const e = await getQueueEntry(db, id);
  if (!e) throw new Error(`queue entry ${id} missing`);
  return e;
}
