// Group commit under load: 500 concurrent deliveries. Prints the mean ops per commit
// (a measurement, not an assertion — DESIGN §7: timings are for benchmarks).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { deliverOp, hashBody, readDeliveries } from "../../src/store/messages.ts";
import { newQueueId } from "../../src/store/ids.ts";

let t: TempDb;
beforeAll(async () => {
  t = await tempDb();
  await addDomain(t.db, "example.org");
});
afterAll(async () => {
  await t.cleanup();
});

test("500 concurrent deliveries share commits and keep per-mailbox UIDs dense", async () => {
  const accounts: number[] = [];
  for (let i = 0; i < 5; i++) accounts.push((await addAccount(t.db, `u${i}@example.org`, "pw")).id);
  const before = t.db.writer.stats();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 500 }, (_, i) => {
      const raw = new TextEncoder().encode(`Subject: ${i}\r\n\r\n${"x".repeat(2000)}\r\n`);
      return t.db.writer.write(
        deliverOp({ bodyHash: hashBody(raw), raw, mimeJson: "{}", targets: [{ accountId: accounts[i % 5], mailbox: "INBOX" }], internalDate: Date.now(), queueId: newQueueId() }),
      );
    }),
  );
  const ms = performance.now() - started;
  const after = t.db.writer.stats();
  const commits = after.commits - before.commits;
  const ops = after.ops - before.ops;
  console.log(`group commit: ${ops} deliveries in ${commits} commits = ${(ops / commits).toFixed(1)} ops/commit (max group ${after.maxGroup}), ${ms.toFixed(0)} ms`);
  expect(ops).toBe(500);
  expect(commits).toBeLessThan(ops);
  const perMailbox = new Map<number, number[]>();
  for (const r of results) {
    const [d] = readDeliveries(r);
    perMailbox.set(d.mailboxId, [...(perMailbox.get(d.mailboxId) ?? []), d.uid]);
  }
  for (const list of perMailbox.values()) expect(list).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
});

test("closed loop: 50 sessions each delivering 10 messages back to back", async () => {
  const account = (await addAccount(t.db, "loop@example.org", "pw")).id;
  const before = t.db.writer.stats();
  const started = performance.now();
  // Each session waits for its 250 before sending the next message, like a real client.
  await Promise.all(
    Array.from({ length: 50 }, async (_, s) => {
      for (let i = 0; i < 10; i++) {
        const raw = new TextEncoder().encode(`Subject: ${s}.${i}\r\n\r\nbody\r\n`);
        await t.db.writer.write(
          deliverOp({ bodyHash: hashBody(raw), raw, mimeJson: "{}", targets: [{ accountId: account, mailbox: "INBOX" }], internalDate: Date.now(), queueId: newQueueId() }),
        );
      }
    }),
  );
  const ms = performance.now() - started;
  const after = t.db.writer.stats();
  const commits = after.commits - before.commits;
  const ops = after.ops - before.ops;
  console.log(`group commit (closed loop, 50 sessions): ${ops} deliveries in ${commits} commits = ${(ops / commits).toFixed(1)} ops/commit, ${ms.toFixed(0)} ms`);
  expect(ops).toBe(500);
  expect(commits).toBeLessThan(ops);
});
