// Worker leases: claimDue never hands one recipient to two workers, respects due times,
// holds, finished rows and expired leases; renew, release and nextDueAt.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { openDb } from "../../src/db/client.ts";
import { claimDue, nextDueAt, recordResultsOp, releaseLeasesOp, renewLease } from "../../src/store/queue.ts";
import type { ClaimedBatch } from "../../src/store/queue.ts";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { T0, enqueue, recipientsOf, sql } from "./queue-fixture.ts";

let t: TempDb;
beforeEach(async () => {
  t = await tempDb();
});
afterEach(async () => {
  await t.cleanup();
});

const LEASE = 60_000;
const ids = (batches: ClaimedBatch[]) => batches.flatMap((b) => b.recipients.map((r) => r.id));

/** 20 messages × 10 recipients over two domains = 200 due recipients. */
async function twoHundred(): Promise<number[]> {
  const all: number[] = [];
  for (let m = 0; m < 20; m++) {
    const rcpts = Array.from({ length: 10 }, (_, i) => `u${m}-${i}@${i % 2 ? "odd.test" : "even.test"}`);
    all.push(...(await enqueue(t.db, `Q${String(m).padStart(3, "0")}`, rcpts)).map((r) => r.id));
  }
  return all;
}

describe("claimDue", () => {
  test("two concurrent workers over 200 due recipients: disjoint, and together all of them", async () => {
    const all = await twoHundred();
    const [a, b] = await Promise.all([
      claimDue(t.db, { owner: "A", now: T0, leaseMs: LEASE, limit: 150 }),
      claimDue(t.db, { owner: "B", now: T0, leaseMs: LEASE, limit: 150 }),
    ]);
    const ia = ids(a);
    const ib = ids(b);
    expect(ia.length + ib.length).toBe(200);
    expect(new Set([...ia, ...ib]).size).toBe(200);
    expect([...ia, ...ib].sort((x, y) => x - y)).toEqual([...all].sort((x, y) => x - y));
    for (const batch of a) for (const r of batch.recipients) expect(r).toMatchObject({ state: "inflight", leaseOwner: "A", leaseUntil: T0 + LEASE });
    for (const batch of b) for (const r of batch.recipients) expect(r.leaseOwner).toBe("B");
  });

  test("two processes (separate connections and writers) on one file never share a row", async () => {
    await twoHundred();
    const other = await openDb({ url: t.url });
    try {
      const [a, b] = await Promise.all([
        claimDue(t.db, { owner: "A", now: T0, leaseMs: LEASE, limit: 7 }).then(async (first) => [...first, ...(await claimDue(t.db, { owner: "A", now: T0, leaseMs: LEASE, limit: 200 }))]),
        claimDue(other, { owner: "B", now: T0, leaseMs: LEASE, limit: 13 }).then(async (first) => [...first, ...(await claimDue(other, { owner: "B", now: T0, leaseMs: LEASE, limit: 200 }))]),
      ]);
      const ia = ids(a);
      const ib = ids(b);
      expect(new Set([...ia, ...ib]).size).toBe(ia.length + ib.length);
      expect(ia.length + ib.length).toBe(200);
      const owners = await t.db.client.execute("SELECT lease_owner, COUNT(*) AS n FROM queue_recipients GROUP BY lease_owner ORDER BY lease_owner");
      expect(owners.rows.map((r) => [r.lease_owner, Number(r.n)])).toEqual([
        ["A", ia.length],
        ["B", ib.length],
      ]);
    } finally {
      await other.close();
    }
  });

  test("groups by (queue id, domain) with the message; only due rows, oldest first, up to limit", async () => {
    await enqueue(t.db, "LATE", ["x@b.test"], { nextAttemptAt: T0 + 1 });
    await enqueue(t.db, "M2", ["c@b.test"], { nextAttemptAt: T0 - 10 });
    await enqueue(t.db, "M1", ["a@A.test", "b@b.test", "a2@a.test"], { nextAttemptAt: T0 - 20, envid: "E1", requiretls: true });
    const got = await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 10 });
    expect(got.map((g) => [g.message.id, g.domain, g.recipients.map((r) => r.address)])).toEqual([
      ["M1", "a.test", ["a@A.test", "a2@a.test"]],
      ["M1", "b.test", ["b@b.test"]],
      ["M2", "b.test", ["c@b.test"]],
    ]);
    expect(got[0].message).toMatchObject({ envid: "E1", requiretls: true, held: false, mailFrom: "alice@example.org" });
    expect((await recipientsOf(t.db, "LATE"))[0].state).toBe("queued");

    await sql(t.db, "UPDATE queue_recipients SET state = 'queued', lease_owner = NULL, lease_until = NULL");
    const limited = await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 2 });
    expect(limited.flatMap((g) => g.recipients.map((r) => r.address))).toEqual(["a@A.test", "b@b.test"]);
    expect(await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 0 })).toEqual([]);
  });

  test("domain filter", async () => {
    await enqueue(t.db, "M1", ["a@a.test", "b@b.test"]);
    const got = await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 10, domain: "b.test" });
    expect(got.map((g) => [g.domain, g.recipients.map((r) => r.address)])).toEqual([["b.test", ["b@b.test"]]]);
  });

  test("a held message is never claimed, not even under an expired lease", async () => {
    await enqueue(t.db, "H", ["a@a.test", "b@a.test"]);
    await sql(t.db, "UPDATE queue_recipients SET state = 'inflight', lease_owner = 'dead', lease_until = ? WHERE address = 'b@a.test'", [T0 - 1]);
    await sql(t.db, "UPDATE queue_messages SET held = 1");
    expect(await claimDue(t.db, { owner: "W", now: T0 + 1e9, leaseMs: LEASE, limit: 10 })).toEqual([]);
    await sql(t.db, "UPDATE queue_messages SET held = 0");
    expect(ids(await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 10 }))).toHaveLength(2);
  });

  test("delivered and failed rows are never claimed again", async () => {
    const [a, b, c] = await enqueue(t.db, "M", ["a@a.test", "b@a.test", "c@a.test"]);
    const first = await claimDue(t.db, { owner: "W", now: T0, leaseMs: LEASE, limit: 10 });
    expect(ids(first).sort()).toEqual([a.id, b.id, c.id].sort());
    await t.db.writer.write(
      recordResultsOp({
        owner: "W",
        now: T0 + 1,
        results: [
          { recipientId: a.id, outcome: "delivered", reply: "250 ok", status: "2.0.0", host: "mx.a.test" },
          { recipientId: b.id, outcome: "failed", reply: "550 5.1.1 no such user", status: "5.1.1", host: "mx.a.test" },
          { recipientId: c.id, outcome: "deferred", reply: "451 4.7.1 later", status: "4.7.1", host: "mx.a.test", nextAttemptAt: T0 + 100 },
        ],
      }),
    );
    expect(await claimDue(t.db, { owner: "W", now: T0 + 99, leaseMs: LEASE, limit: 10 })).toEqual([]);
    expect(ids(await claimDue(t.db, { owner: "W", now: T0 + 1e9, leaseMs: LEASE, limit: 10 }))).toEqual([c.id]);
  });

  test("an expired lease is reclaimable by another worker; the old owner can then record nothing", async () => {
    const [r] = await enqueue(t.db, "M", ["a@a.test"]);
    expect(ids(await claimDue(t.db, { owner: "A", now: T0, leaseMs: 1000, limit: 10 }))).toEqual([r.id]);
    expect(await claimDue(t.db, { owner: "B", now: T0 + 1000, leaseMs: 1000, limit: 10 })).toEqual([]);
    const taken = await claimDue(t.db, { owner: "B", now: T0 + 1001, leaseMs: 1000, limit: 10 });
    expect(taken[0].recipients[0]).toMatchObject({ id: r.id, leaseOwner: "B", leaseUntil: T0 + 2001 });
    await t.db.writer.write(recordResultsOp({ owner: "A", now: T0 + 1002, results: [{ recipientId: r.id, outcome: "delivered", reply: "250", status: "2.0.0", host: null }] }));
    expect((await recipientsOf(t.db, "M"))[0]).toMatchObject({ state: "inflight", leaseOwner: "B", attempts: 0 });
  });
});

describe("renewLease", () => {
  test("extends only the owner's rows", async () => {
    const [a, b] = await enqueue(t.db, "M", ["a@a.test", "b@b.test"]);
    await claimDue(t.db, { owner: "A", now: T0, leaseMs: 1000, limit: 1 });
    await claimDue(t.db, { owner: "B", now: T0, leaseMs: 1000, limit: 1 });
    await renewLease(t.db, "A", [a.id, b.id], T0 + 5000);
    await renewLease(t.db, "A", [], T0 + 9000);
    const rows = await recipientsOf(t.db, "M");
    expect(rows.map((r) => [r.leaseOwner, r.leaseUntil])).toEqual([
      ["A", T0 + 5000],
      ["B", T0 + 1000],
    ]);
    expect(ids(await claimDue(t.db, { owner: "C", now: T0 + 2000, leaseMs: 1000, limit: 10 }))).toEqual([b.id]);
  });
});

describe("releaseLeasesOp", () => {
  test("back to queued (never attempted) or deferred, due now; only the owner's, optionally by id", async () => {
    const [a, b, c] = await enqueue(t.db, "M", ["a@a.test", "b@a.test", "c@a.test"]);
    await sql(t.db, "UPDATE queue_recipients SET attempts = 2 WHERE id = ?", [b.id]);
    await claimDue(t.db, { owner: "A", now: T0, leaseMs: LEASE, limit: 2 });
    await claimDue(t.db, { owner: "B", now: T0, leaseMs: LEASE, limit: 2 });
    expect(releaseLeasesOp("A", [])).toEqual([]);
    await t.db.writer.write(releaseLeasesOp("A", undefined, T0 + 5));
    await t.db.writer.write(releaseLeasesOp("B", [a.id], T0 + 7));
    const rows = await recipientsOf(t.db, "M");
    expect(rows.map((r) => [r.id, r.state, r.nextAttemptAt, r.leaseOwner, r.leaseUntil, r.attempts])).toEqual([
      [a.id, "queued", T0 + 5, null, null, 0],
      [b.id, "deferred", T0 + 5, null, null, 2],
      [c.id, "inflight", T0, "B", T0 + LEASE, 0],
    ]);
    await t.db.writer.write(releaseLeasesOp("B", [c.id], T0 + 8));
    expect((await recipientsOf(t.db, "M"))[2]).toMatchObject({ state: "queued", nextAttemptAt: T0 + 8, leaseOwner: null });
  });
});

describe("nextDueAt", () => {
  test("earliest waiting row or lapsing lease, ignoring held and finished messages", async () => {
    expect(await nextDueAt(t.db)).toBeNull();
    await enqueue(t.db, "M1", ["a@a.test"], { nextAttemptAt: T0 + 500 });
    await enqueue(t.db, "M2", ["b@a.test"], { nextAttemptAt: T0 + 100 });
    expect(await nextDueAt(t.db)).toBe(T0 + 100);
    await sql(t.db, "UPDATE queue_messages SET held = 1 WHERE id = 'M2'");
    expect(await nextDueAt(t.db)).toBe(T0 + 500);
    await sql(t.db, "UPDATE queue_recipients SET state = 'inflight', lease_owner = 'A', lease_until = ? WHERE queue_id = 'M1'", [T0 + 300]);
    expect(await nextDueAt(t.db)).toBe(T0 + 301);
    await sql(t.db, "UPDATE queue_recipients SET state = 'delivered', lease_owner = NULL, lease_until = NULL WHERE queue_id = 'M1'");
    expect(await nextDueAt(t.db)).toBeNull();
  });
});
