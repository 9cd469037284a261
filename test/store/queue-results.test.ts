// Recording outcomes: owner-only updates with one attempt row each, atomic with other
// statements of the same op; delay notification marks; purging finished messages and
// their bodies only when nothing else refers to them.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { deliverOp } from "../../src/store/messages.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { addDomain } from "../../src/store/domains.ts";
import { claimDue, markDelayNotifiedOp, purgeFinished, recordResultsOp } from "../../src/store/queue.ts";
import { getQueueDetail } from "../../src/store/queue-admin.ts";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { T0, bodyOf, count, enqueue, recipientsOf, sql } from "./queue-fixture.ts";

let t: TempDb;
beforeEach(async () => {
  t = await tempDb();
});
afterEach(async () => {
  await t.cleanup();
});

const LEASE = 60_000;

describe("recordResultsOp", () => {
  test("updates the leased rows and logs one attempt each", async () => {
    const [a, b, c] = await enqueue(t.db, "M", ["a@a.test", "b@a.test", "c@a.test"]);
    await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 10 });
    await t.db.writer.write(
      recordResultsOp({
        owner: "W",
        now: T0 + 10,
        results: [
          { recipientId: a.id, outcome: "delivered", reply: "250 2.0.0 queued as X", status: "2.0.0", host: "mx1.a.test [192.0.2.1]" },
          { recipientId: b.id, outcome: "failed", reply: "550 5.1.1 unknown user", status: "5.1.1", host: "mx1.a.test [192.0.2.1]" },
          { recipientId: c.id, outcome: "deferred", reply: "connection refused", status: "4.4.1", host: null, nextAttemptAt: T0 + 600_000 },
        ],
      }),
    );
    const rows = await recipientsOf(t.db, "M");
    expect(rows.map((r) => [r.state, r.attempts, r.lastAttemptAt, r.lastStatus, r.remoteMta, r.nextAttemptAt, r.leaseOwner, r.leaseUntil])).toEqual([
      ["delivered", 1, T0 + 10, "2.0.0", "mx1.a.test [192.0.2.1]", T0, null, null],
      ["failed", 1, T0 + 10, "5.1.1", "mx1.a.test [192.0.2.1]", T0, null, null],
      ["deferred", 1, T0 + 10, "4.4.1", null, T0 + 600_000, null, null],
    ]);
    expect(rows[1].lastReply).toBe("550 5.1.1 unknown user");
    const detail = await getQueueDetail(t.db, "M");
    expect(detail!.recipients.map((r) => r.history.map((h) => [h.queueId, h.at, h.host, h.outcome, h.reply]))).toEqual([
      [["M", T0 + 10, "mx1.a.test [192.0.2.1]", "delivered", "250 2.0.0 queued as X"]],
      [["M", T0 + 10, "mx1.a.test [192.0.2.1]", "failed", "550 5.1.1 unknown user"]],
      [["M", T0 + 10, null, "deferred", "connection refused"]],
    ]);
  });

  test("a non-owner (or a row not in flight) changes nothing and logs no attempt", async () => {
    const [a, b] = await enqueue(t.db, "M", ["a@a.test", "b@a.test"]);
    await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 1 });
    const before = await recipientsOf(t.db, "M");
    await t.db.writer.write(
      recordResultsOp({
        owner: "intruder",
        now: T0 + 10,
        results: [
          { recipientId: a.id, outcome: "failed", reply: "550", status: "5.0.0", host: null },
          { recipientId: b.id, outcome: "delivered", reply: "250", status: "2.0.0", host: null },
        ],
      }),
    );
    // b is queued, not leased: even its "owner" null must not match.
    await t.db.writer.write(recordResultsOp({ owner: "W", now: T0 + 10, results: [{ recipientId: b.id, outcome: "delivered", reply: "250", status: "2.0.0", host: null }] }));
    expect(await recipientsOf(t.db, "M")).toEqual(before);
    expect(await count(t.db, "queue_attempts")).toBe(0);
  });

  test("shares one atomic op with other statements: a failing partner leaves no trace", async () => {
    const [a] = await enqueue(t.db, "M", ["a@a.test"]);
    await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 1 });
    const op = [
      ...recordResultsOp({ owner: "W", now: T0 + 1, results: [{ recipientId: a.id, outcome: "failed", reply: "550", status: "5.0.0", host: null }] }),
      // The bounce's queue entry, but with a body that was never stored: FOREIGN KEY fails.
      { sql: "INSERT INTO queue_messages (id, body_hash, mail_from, created_at) VALUES ('DSN', 'missing', '', 0)", args: [] },
    ];
    await expect(t.db.writer.write(op)).rejects.toThrow(/FOREIGN KEY/);
    expect((await recipientsOf(t.db, "M"))[0]).toMatchObject({ state: "inflight", attempts: 0 });
    expect(await count(t.db, "queue_attempts")).toBe(0);
  });

  test("deferred without nextAttemptAt is a programming error", () => {
    expect(() => recordResultsOp({ owner: "W", now: T0, results: [{ recipientId: 1, outcome: "deferred", reply: "451", status: "4.0.0", host: null }] })).toThrow(/nextAttemptAt/);
  });
});

describe("markDelayNotifiedOp", () => {
  test("marks only the given recipients", async () => {
    const [a, b] = await enqueue(t.db, "M", ["a@a.test", "b@a.test"]);
    expect(markDelayNotifiedOp([])).toEqual([]);
    await t.db.writer.write(markDelayNotifiedOp([b.id]));
    expect((await recipientsOf(t.db, "M")).map((r) => [r.id, r.delayNotified])).toEqual([
      [a.id, false],
      [b.id, true],
    ]);
  });
});

describe("purgeFinished", () => {
  async function finish(id: string, state: "delivered" | "failed", at: number) {
    await sql(t.db, "UPDATE queue_recipients SET state = ?, last_attempt_at = ? WHERE queue_id = ?", [state, at, id]);
  }

  test("deletes finished messages older than `before` with their attempts; keeps pending and recent ones", async () => {
    await enqueue(t.db, "OLD", ["a@a.test", "b@a.test"]);
    await enqueue(t.db, "RECENT", ["a@a.test"]);
    await enqueue(t.db, "PENDING", ["a@a.test", "b@a.test"]);
    await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 10 });
    const old = await recipientsOf(t.db, "OLD");
    await t.db.writer.write(
      recordResultsOp({
        owner: "W",
        now: T0 + 1,
        results: [
          { recipientId: old[0].id, outcome: "delivered", reply: "250", status: "2.0.0", host: "mx" },
          { recipientId: old[1].id, outcome: "failed", reply: "550", status: "5.0.0", host: "mx" },
        ],
      }),
    );
    await finish("RECENT", "delivered", T0 + 1000);
    await finish("PENDING", "delivered", T0);
    await sql(t.db, "UPDATE queue_recipients SET state = 'deferred', lease_owner = NULL WHERE address = 'b@a.test' AND queue_id = 'PENDING'");
    expect(await count(t.db, "queue_attempts")).toBe(2);

    expect(await purgeFinished(t.db, T0 + 1000)).toBe(1);
    const left = await t.db.client.execute("SELECT id FROM queue_messages ORDER BY id");
    expect(left.rows.map((r) => r.id)).toEqual(["PENDING", "RECENT"]);
    expect(await count(t.db, "queue_attempts")).toBe(0);
    expect(await recipientsOf(t.db, "OLD")).toEqual([]);
    expect(await purgeFinished(t.db, T0 + 1000)).toBe(0);
    expect(await purgeFinished(t.db, T0 + 1001)).toBe(1);
  });

  test("a body goes only when no mailbox message and no other queue message uses it", async () => {
    const shared = "Subject: shared\r\n\r\nsame bytes\r\n";
    await enqueue(t.db, "Q1", ["a@a.test"], { text: shared });
    await enqueue(t.db, "Q2", ["a@a.test"], { text: shared });
    await enqueue(t.db, "ALONE", ["a@a.test"]);
    const local = "Subject: local\r\n\r\nalso delivered locally\r\n";
    await enqueue(t.db, "LOCAL", ["a@a.test"], { text: local });
    for (const id of ["Q1", "ALONE", "LOCAL"]) await finish(id, "delivered", T0);
    expect(await count(t.db, "bodies")).toBe(3);
    await keepInMailbox(local);

    expect(await purgeFinished(t.db, T0 + 1)).toBe(3);
    const hashes = (await t.db.client.execute("SELECT hash FROM bodies")).rows.map((r) => r.hash);
    expect(hashes.sort()).toEqual([bodyOf(shared).bodyHash, bodyOf(local).bodyHash].sort());

    await finish("Q2", "failed", T0);
    expect(await purgeFinished(t.db, T0 + 1)).toBe(1);
    expect((await t.db.client.execute("SELECT hash FROM bodies")).rows.map((r) => r.hash)).toEqual([bodyOf(local).bodyHash]);
  });
});

/** Delivers `text` to a local mailbox too, so a mailbox_messages row refers to its body. */
async function keepInMailbox(text: string): Promise<void> {
  await addDomain(t.db, "local.test");
  const { id } = await addAccount(t.db, "u@local.test", "pw");
  const b = bodyOf(text);
  await t.db.writer.write(deliverOp({ ...b, targets: [{ accountId: id, mailbox: "INBOX" }], internalDate: T0, queueId: "LOCAL" }));
}
