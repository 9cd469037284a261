// The DSN of a batch is written only while the worker still holds the lease on the rows it
// reports: when another owner took the lease during the attempt, the old worker records
// nothing and sends no DSN (no duplicate bounce). The control cases prove a DSN is written
// (local INBOX and remote queue) when the lease is still ours, with the same guarded SQL.

import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { createDeliveryWorker } from "../../src/delivery/worker.ts";
import { guardOp, leaseGuard } from "../../src/delivery/lease-guard.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { inboxBodies } from "../helpers/debian.ts";
import { queueEntry, queueTestMessage } from "../helpers/outbound-queue.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ delivery: { enabled: false } });
});
afterEach(async () => {
  await ts.server.db.client.execute("DELETE FROM queue_messages");
});
afterAll(async () => {
  await ts.stop();
});

/** One worker pass over `id`; the null MX makes the recipient fail (5.1.10) without a network. */
async function attemptOnce(id: string, steal: boolean): Promise<void> {
  const w = createDeliveryWorker({
    db: ts.server.db,
    config: ts.server.config,
    bus: ts.server.bus,
    log: silentLogger,
    attempt: {
      lookupSts: async () => null,
      resolveMx: async () => {
        // Another worker takes the lease while our attempt runs (ours lapsed, theirs is new).
        if (steal) await ts.server.db.client.execute({ sql: "UPDATE queue_recipients SET lease_owner = 'other-worker' WHERE queue_id = ?", args: [id] });
        return { kind: "nullmx" };
      },
    },
  });
  try {
    expect(await w.runOnce()).toBeGreaterThanOrEqual(1);
  } finally {
    await w.stop({ graceMs: 100 });
  }
}

const dsnQueued = async () => (await ts.server.db.client.execute("SELECT COUNT(*) AS n FROM queue_messages WHERE mail_from = ''")).rows[0]!.n;

test("lease taken over during the attempt: no result recorded and no DSN", async () => {
  const before = (await inboxBodies(ts.server.db, "alice@example.test")).length;
  const id = await queueTestMessage(ts.server.db, { recipients: ["x@nullmx.test"], nextAttemptAt: 0 });
  await attemptOnce(id, true);
  const r = (await queueEntry(ts.server.db, id)).recipients[0]!;
  expect([r.state, r.leaseOwner, r.attempts]).toEqual(["inflight", "other-worker", 0]);
  expect((await inboxBodies(ts.server.db, "alice@example.test")).length).toBe(before);
});

test("lease still ours: failed, and exactly one DSN in the local sender's INBOX", async () => {
  const before = (await inboxBodies(ts.server.db, "alice@example.test")).length;
  const id = await queueTestMessage(ts.server.db, { recipients: ["x@nullmx.test"], nextAttemptAt: 0 });
  await attemptOnce(id, false);
  expect((await queueEntry(ts.server.db, id)).recipients[0]!.state).toBe("failed");
  const inbox = await inboxBodies(ts.server.db, "alice@example.test");
  expect(inbox.length).toBe(before + 1);
  expect(inbox.at(-1)).toContain("Status: 5.1.10");
});

test("remote sender: the guarded enqueue of the DSN works when ours, and is skipped when taken", async () => {
  const mine = await queueTestMessage(ts.server.db, { mailFrom: "dave@remote.test", recipients: ["x@nullmx.test"], nextAttemptAt: 0 });
  await attemptOnce(mine, false);
  expect(await dsnQueued()).toBe(1);
  const taken = await queueTestMessage(ts.server.db, { mailFrom: "dave@remote.test", recipients: ["y@nullmx.test"], nextAttemptAt: 0 });
  await attemptOnce(taken, true);
  expect(await dsnQueued()).toBe(1);
});

test("guardOp refuses statement shapes it cannot guard", () => {
  const g = leaseGuard("w", [1]);
  expect(() => guardOp([{ sql: "DELETE FROM bodies WHERE hash = ?", args: ["h"] }], g)).toThrow(/cannot guard/);
  const [s] = guardOp([{ sql: "UPDATE t SET a = 1 WHERE b = ? OR c = ?", args: [1, 2] }], g);
  expect(s).toEqual({ sql: `UPDATE t SET a = 1 WHERE (b = ? OR c = ?) AND ${g.sql}`, args: [1, 2, "w", 1] });
});
