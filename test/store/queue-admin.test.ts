// Operator actions: filtered listing, per-attempt detail, retry/flush, hold/release and
// delete, each reporting what it changed and null for an unknown queue id.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { claimDue, listQueue, recordResultsOp } from "../../src/store/queue.ts";
import { deleteQueueMessage, flushQueue, getQueueDetail, retryQueue, setHeld } from "../../src/store/queue-admin.ts";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { T0, count, enqueue, recipientsOf, sql } from "./queue-fixture.ts";

let t: TempDb;
beforeEach(async () => {
  t = await tempDb();
});
afterEach(async () => {
  await t.cleanup();
});

const LATER = T0 + 3_600_000;
const states = async (id: string) => (await recipientsOf(t.db, id)).map((r) => [r.address, r.state, r.nextAttemptAt]);

/** M1: queued (due later), deferred (later), failed, delivered; M2 on another domain, deferred. */
async function mixed(): Promise<void> {
  await enqueue(t.db, "M1", ["q@a.test", "d@a.test", "f@a.test", "ok@a.test"], { nextAttemptAt: LATER, expiresAt: T0 + 1000 });
  await enqueue(t.db, "M2", ["d@xn--bcher-kva.test"], { nextAttemptAt: LATER });
  await sql(t.db, "UPDATE queue_recipients SET state = 'deferred' WHERE address LIKE 'd@%'");
  await sql(t.db, "UPDATE queue_recipients SET state = 'failed', delay_notified = 1 WHERE address = 'f@a.test'");
  await sql(t.db, "UPDATE queue_recipients SET state = 'delivered' WHERE address = 'ok@a.test'");
  await sql(t.db, "UPDATE queue_messages SET created_at = ? WHERE id = 'M1'", [T0]);
}

describe("listQueue filters", () => {
  test("by domain (normalised to the A-label) and by state; only matching recipients", async () => {
    await mixed();
    expect((await listQueue(t.db)).map((e) => [e.id, e.recipients.length])).toEqual([
      ["M1", 4],
      ["M2", 1],
    ]);
    expect((await listQueue(t.db, { domain: "BÜCHER.test" })).map((e) => [e.id, e.recipients.map((r) => r.address)])).toEqual([["M2", ["d@xn--bcher-kva.test"]]]);
    expect((await listQueue(t.db, { state: "deferred" })).map((e) => [e.id, e.recipients.map((r) => r.address)])).toEqual([
      ["M1", ["d@a.test"]],
      ["M2", ["d@xn--bcher-kva.test"]],
    ]);
    expect((await listQueue(t.db, { state: "failed", domain: "a.test" })).map((e) => e.recipients.map((r) => r.address))).toEqual([["f@a.test"]]);
    expect(await listQueue(t.db, { state: "inflight" })).toEqual([]);
  });
});

describe("getQueueDetail", () => {
  test("message, recipients and their attempt history in time order", async () => {
    const [a, b] = await enqueue(t.db, "M", ["a@a.test", "b@a.test"]);
    for (const [i, now] of [T0, T0 + 100].entries()) {
      await claimDue(t.db, { owner: "W", now, leaseMs: 10, limit: 10 });
      await t.db.writer.write(
        recordResultsOp({
          owner: "W",
          now,
          results: [
            { recipientId: a.id, outcome: "deferred", reply: `451 try ${i}`, status: "4.0.0", host: `mx${i}`, nextAttemptAt: now + 100 },
            ...(i === 0 ? [{ recipientId: b.id, outcome: "delivered" as const, reply: "250 ok", status: "2.0.0", host: "mx0" }] : []),
          ],
        }),
      );
    }
    const d = await getQueueDetail(t.db, "M");
    expect(d).toMatchObject({ id: "M", mailFrom: "alice@example.org", held: false });
    expect(d!.recipients.map((r) => [r.address, r.attempts, r.history.map((h) => [h.at, h.host, h.outcome, h.reply])])).toEqual([
      ["a@a.test", 2, [[T0, "mx0", "deferred", "451 try 0"], [T0 + 100, "mx1", "deferred", "451 try 1"]]],
      ["b@a.test", 1, [[T0, "mx0", "delivered", "250 ok"]]],
    ]);
    expect(await getQueueDetail(t.db, "NOPE")).toBeNull();
  });
});

describe("retryQueue", () => {
  test("one message: queued and deferred due now, failed untouched", async () => {
    await mixed();
    expect(await retryQueue(t.db, { id: "M1" }, { now: T0 })).toEqual({ retried: 2, revived: 0 });
    expect(await states("M1")).toEqual([
      ["q@a.test", "queued", T0],
      ["d@a.test", "deferred", T0],
      ["f@a.test", "failed", LATER],
      ["ok@a.test", "delivered", LATER],
    ]);
    expect((await states("M2"))[0][2]).toBe(LATER);
  });

  test("an earlier due time is kept (retry never postpones)", async () => {
    await enqueue(t.db, "M", ["a@a.test"], { nextAttemptAt: T0 - 5 });
    expect(await retryQueue(t.db, { id: "M" }, { now: T0 })).toEqual({ retried: 1, revived: 0 });
    expect((await states("M"))[0][2]).toBe(T0 - 5);
  });

  test("--failed: failed back to queued with a fresh lifetime and a new delay warning allowed", async () => {
    await mixed();
    const now = T0 + 5000;
    expect(await retryQueue(t.db, { id: "M1" }, { now, failed: true })).toEqual({ retried: 2, revived: 1 });
    const f = (await recipientsOf(t.db, "M1"))[2];
    expect(f).toMatchObject({ state: "queued", nextAttemptAt: now, delayNotified: false });
    // Lifetime was 1000 ms (created T0, expires T0+1000): it runs again from now.
    expect((await getQueueDetail(t.db, "M1"))!.expiresAt).toBe(now + 1000);
    expect((await states("M1"))[3][1]).toBe("delivered");
  });

  test("by domain and all; unknown id is null", async () => {
    await mixed();
    expect(await retryQueue(t.db, { domain: "bücher.test" }, { now: T0 })).toEqual({ retried: 1, revived: 0 });
    expect((await states("M2"))[0][2]).toBe(T0);
    expect((await states("M1"))[1][2]).toBe(LATER);
    expect(await retryQueue(t.db, { all: true }, { now: T0 })).toEqual({ retried: 3, revived: 0 });
    expect(await retryQueue(t.db, { all: true }, { now: T0, failed: true })).toEqual({ retried: 3, revived: 1 });
    expect(await retryQueue(t.db, { id: "NOPE" })).toBeNull();
  });
});

describe("flushQueue", () => {
  test("every deferred recipient of a message not on hold is due now; others untouched", async () => {
    await mixed();
    await sql(t.db, "UPDATE queue_messages SET held = 1 WHERE id = 'M2'");
    expect(await flushQueue(t.db, T0)).toBe(1);
    expect(await states("M1")).toEqual([
      ["q@a.test", "queued", LATER],
      ["d@a.test", "deferred", T0],
      ["f@a.test", "failed", LATER],
      ["ok@a.test", "delivered", LATER],
    ]);
    expect((await states("M2"))[0][2]).toBe(LATER);
  });
});

describe("setHeld", () => {
  test("hold stops claims, release restores them; reports whether anything changed", async () => {
    await enqueue(t.db, "M", ["a@a.test", "b@a.test"]);
    expect(await setHeld(t.db, "M", true)).toEqual({ changed: true, pending: 2, inflight: 0 });
    expect(await setHeld(t.db, "M", true)).toEqual({ changed: false, pending: 2, inflight: 0 });
    expect(await claimDue(t.db, { owner: "W", now: T0, leaseMs: 10, limit: 10 })).toEqual([]);
    expect(await setHeld(t.db, "M", false)).toEqual({ changed: true, pending: 2, inflight: 0 });
    expect(await claimDue(t.db, { owner: "W", now: T0, leaseMs: 10, limit: 10 })).toHaveLength(1);
    expect(await setHeld(t.db, "M", false)).toEqual({ changed: false, pending: 0, inflight: 2 });
    expect(await setHeld(t.db, "NOPE", true)).toBeNull();
  });
});

describe("deleteQueueMessage", () => {
  test("removes message, recipients, attempts and an unshared body; no DSN is queued", async () => {
    const [a] = await enqueue(t.db, "M", ["a@a.test", "b@a.test"]);
    await enqueue(t.db, "KEEP", ["a@a.test"]);
    await claimDue(t.db, { owner: "W", now: T0, leaseMs: 10, limit: 1 });
    await t.db.writer.write(recordResultsOp({ owner: "W", now: T0, results: [{ recipientId: a.id, outcome: "failed", reply: "550", status: "5.0.0", host: null }] }));
    expect(await deleteQueueMessage(t.db, "M")).toEqual({ recipients: 2, pending: 1, inflight: 0 });
    expect(await getQueueDetail(t.db, "M")).toBeNull();
    expect(await count(t.db, "queue_recipients")).toBe(1);
    expect(await count(t.db, "queue_attempts")).toBe(0);
    expect(await count(t.db, "bodies")).toBe(1);
    expect((await listQueue(t.db)).map((e) => e.id)).toEqual(["KEEP"]);
    expect(await deleteQueueMessage(t.db, "M")).toBeNull();
  });

  test("a body shared with another queue message stays", async () => {
    await enqueue(t.db, "A", ["a@a.test"], { text: "same" });
    await enqueue(t.db, "B", ["b@a.test"], { text: "same" });
    await deleteQueueMessage(t.db, "A");
    expect(await count(t.db, "bodies")).toBe(1);
    await deleteQueueMessage(t.db, "B");
    expect(await count(t.db, "bodies")).toBe(0);
  });
});
