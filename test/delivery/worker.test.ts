// The delivery worker end to end against fake MX hosts: outcomes recorded, only what failed
// temporarily is retried, one DSN per failure event (local sender: INBOX; remote: queued
// with <>; none for <>), expiry, delay DSN, notifications, leases released on stop.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { defineHandler } from "../../src/events/handler.ts";
import type { AttemptOutcome } from "../../src/events/catalog.ts";
import { createDeliveryWorker, type DeliveryWorker } from "../../src/delivery/worker.ts";
import type { MxResult } from "../../src/delivery/targets.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";
import { listQueue } from "../../src/store/queue.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { startFakeSmtp, type FakeSmtp, type FakeSmtpOptions } from "../helpers/fake-smtp.ts";
import { queueEntry, queueTestMessage, type TestMessage } from "../helpers/outbound-queue.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const events: { event: string; outcome?: AttemptOutcome; dsn?: boolean }[] = [];
const collectors = (["delivery.delivered", "delivery.deferred", "delivery.bounced"] as const).map((event) =>
  defineHandler({ event, name: `test-${event}`, handle: (p: { outcome: AttemptOutcome; dsn?: boolean }) => void events.push({ event, outcome: p.outcome, dsn: p.dsn }) }),
);

let ts: TestServer;
let port = 0;
const servers: FakeSmtp[] = [];
const workers: DeliveryWorker[] = [];
let clock = Date.now();

beforeAll(async () => {
  ts = await startTestServer({ delivery: { enabled: false }, handlers: collectors as never });
  const probe = await startFakeSmtp({ host: "127.0.0.2" });
  port = probe.port;
  await probe.stop();
});
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop({ graceMs: 100 });
  for (const s of servers.splice(0)) await s.stop();
  // Everything left in the queue is cleaned so the next test starts empty.
  await ts.server.db.client.execute("DELETE FROM queue_messages");
  events.length = 0;
});
afterAll(async () => {
  await ts.stop();
});

async function mx(o: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  const s = await startFakeSmtp({ host: "127.0.0.2", port, ...o });
  servers.push(s);
  return s;
}

const HOSTS: MxResult = { kind: "hosts", implicit: false, hosts: [{ host: "mx.other.test", preference: 10, addresses: ["127.0.0.2"] }] };

function worker(delivery: Record<string, unknown> = {}): DeliveryWorker {
  clock = Date.now();
  const config = {
    ...ts.server.config,
    delivery: { ...ts.server.config.delivery, port, timeouts: { connectMs: 1000, greetingMs: 1000, commandMs: 1000, dataDoneMs: 300 }, ...delivery },
  };
  const w = createDeliveryWorker({ db: ts.server.db, config, bus: ts.server.bus, log: silentLogger, now: () => clock, attempt: { resolveMx: async () => HOSTS, lookupSts: async () => null } });
  workers.push(w);
  return w;
}

async function inbox(address: string): Promise<string[]> {
  const acct = await findAccount(ts.server.db, address);
  const box = await findMailbox(ts.server.db, acct!.id, "INBOX");
  const out: string[] = [];
  for (const m of await listMessages(ts.server.db, box!.id)) out.push(new TextDecoder().decode((await getBody(ts.server.db, m.bodyHash))!.content));
  return out;
}

let inboxBefore = 0;
async function queue(m: TestMessage): Promise<string> {
  inboxBefore = (await inbox("alice@example.test")).length;
  // Due at once whatever the test clock says.
  return queueTestMessage(ts.server.db, { nextAttemptAt: 0, ...m });
}
async function newDsns(): Promise<string[]> {
  return (await inbox("alice@example.test")).slice(inboxBefore);
}

const mixed = { rcpt: (to: string) => (to.startsWith("soft") ? "450 4.2.1 greylisted" : to.startsWith("hard") ? "550 5.1.1 no such user" : "250 2.1.5 ok") };

describe("outcomes and retries", () => {
  test("mixed results: recorded per recipient; only the deferred one is retried", async () => {
    const s = await mx(mixed);
    const w = worker();
    const id = await queue({ recipients: ["ok@other.test", "soft@other.test", "hard@other.test"] });
    expect(await w.runOnce()).toBe(1);
    const e = await queueEntry(ts.server.db, id);
    const by = Object.fromEntries(e.recipients.map((r) => [r.address.split("@")[0], r]));
    expect([by.ok.state, by.soft.state, by.hard.state]).toEqual(["delivered", "deferred", "failed"]);
    expect(by.soft.nextAttemptAt).toBeGreaterThan(clock);
    expect(by.hard.lastStatus).toBe("5.1.1");
    expect(by.ok.leaseOwner).toBeNull();
    // Not due yet: nothing is claimed.
    expect(await w.runOnce()).toBe(0);
    clock = by.soft.nextAttemptAt + 1;
    expect(await w.runOnce()).toBe(1);
    expect(s.transactions.map((t) => t.recipients.map((r) => r.split("@")[0]))).toEqual([["ok"]]);
    // The retry carried only soft@ (which the server greylists again).
    expect(s.commands.filter((c) => c.startsWith("RCPT")).map((c) => /<(\w+)@/.exec(c)![1])).toEqual(["ok", "soft", "hard", "soft"]);
    expect(events.filter((x) => x.event === "delivery.delivered").map((x) => x.outcome!.address.split("@")[0])).toEqual(["ok"]);
    expect(events.filter((x) => x.event === "delivery.bounced").map((x) => [x.outcome!.address.split("@")[0], x.dsn])).toEqual([["hard", true]]);
  });

  test("a local sender gets exactly one DSN in INBOX, listing only the failed recipient", async () => {
    await mx(mixed);
    const w = worker();
    await queue({ recipients: ["ok@other.test", "soft@other.test", "hard@other.test"] });
    await w.runOnce();
    const dsns = await newDsns();
    expect(dsns.length).toBe(1);
    expect(dsns[0]).toStartWith("Return-Path: <>\r\n");
    expect(dsns[0]).toContain("Final-Recipient: rfc822;hard@other.test");
    expect(dsns[0]).toContain("Status: 5.1.1");
    expect(dsns[0]).not.toContain("Final-Recipient: rfc822;soft@other.test");
    expect(dsns[0]).not.toContain("Final-Recipient: rfc822;ok@other.test");
    // A retry that fails only temporarily adds no DSN.
    clock += 3 * 3600_000;
    await w.runOnce();
    expect((await newDsns()).length).toBe(1);
  });

  test("no DSN for a null reverse-path message", async () => {
    await mx({ rcpt: () => "550 5.1.1 no such user" });
    const w = worker();
    const id = await queue({ mailFrom: "", recipients: ["hard@other.test"] });
    await w.runOnce();
    expect((await queueEntry(ts.server.db, id)).recipients[0].state).toBe("failed");
    expect((await newDsns()).length).toBe(0);
    expect((await listQueue(ts.server.db)).length).toBe(1);
  });

  test("a remote sender's DSN is queued with the null reverse-path", async () => {
    await mx({ rcpt: (to) => (to.startsWith("hard") ? "550 5.1.1 no such user" : "250 ok") });
    const w = worker();
    const id = await queue({ mailFrom: "carol@remote.test", recipients: ["hard@other.test"] });
    await w.runOnce();
    const others = (await listQueue(ts.server.db)).filter((e) => e.id !== id);
    expect(others.length).toBe(1);
    expect(others[0].mailFrom).toBe("");
    expect(others[0].recipients.map((r) => r.address)).toEqual(["carol@remote.test"]);
  });

  test("NOTIFY=NEVER: failed without a DSN", async () => {
    await mx({ rcpt: () => "550 5.1.1 no" });
    const w = worker();
    await queue({ recipients: [{ address: "hard@other.test", notify: "NEVER" }] });
    await w.runOnce();
    expect((await newDsns()).length).toBe(0);
    expect(events.find((x) => x.event === "delivery.bounced")?.dsn).toBe(false);
  });

  test("dropped after DATA: deferred (not delivered), delivered on the retry", async () => {
    let n = 0;
    const s = await mx({ dataDone: () => (n++ === 0 ? "drop" : "250 2.0.0 ok") });
    const w = worker();
    const id = await queue({ recipients: ["a@other.test"] });
    await w.runOnce();
    const r1 = (await queueEntry(ts.server.db, id)).recipients[0];
    expect(r1.state).toBe("deferred");
    clock = r1.nextAttemptAt + 1;
    await w.runOnce();
    expect((await queueEntry(ts.server.db, id)).recipients[0].state).toBe("delivered");
    expect(s.transactions.length).toBe(2);
  });

  test("past the give-up time a deferral becomes failed 4.4.7 with a DSN", async () => {
    await mx({ rcpt: () => "451 4.3.0 later" });
    const w = worker();
    const id = await queue({ recipients: ["a@other.test"], expiresAt: Date.now() - 1 });
    await w.runOnce();
    const r = (await queueEntry(ts.server.db, id)).recipients[0];
    expect([r.state, r.lastStatus]).toEqual(["failed", "4.4.7"]);
    const dsns = await newDsns();
    expect(dsns.length).toBe(1);
    expect(dsns[0]).toContain("Status: 4.4.7");
  });

  test("one delayed DSN after delayDsnAfterMs, not two", async () => {
    await mx({ rcpt: () => "451 4.3.0 later" });
    const w = worker({ retry: { ...ts.server.config.delivery.retry, delayDsnAfterMs: 60_000 } });
    const id = await queue({ recipients: ["a@other.test"] });
    await w.runOnce();
    expect((await newDsns()).length).toBe(0);
    for (let i = 0; i < 2; i++) {
      clock = (await queueEntry(ts.server.db, id)).recipients[0].nextAttemptAt + 120_000;
      await w.runOnce();
    }
    const dsns = await newDsns();
    expect(dsns.length).toBe(1);
    expect(dsns[0]).toContain("Action: delayed");
  });
});

describe("lifecycle", () => {
  test("start() delivers what is queued after wake(); stop() releases leases of attempts still running", async () => {
    const s = await mx();
    const w = worker({ pollMs: 60_000 });
    w.start();
    const id = await queue({ recipients: ["a@other.test"] });
    w.wake();
    // Bounded wait for the background delivery (no timing assertion).
    for (let i = 0; i < 200 && s.transactions.length === 0; i++) await Bun.sleep(10);
    expect(s.transactions.length).toBe(1);
    for (let i = 0; i < 200 && (await queueEntry(ts.server.db, id)).recipients[0].state !== "delivered"; i++) await Bun.sleep(10);
    expect((await queueEntry(ts.server.db, id)).recipients[0].state).toBe("delivered");
    await s.stop();
    servers.splice(0);

    const hang = await mx({ dataDone: "hang" });
    const w2 = worker({ pollMs: 60_000, timeouts: { connectMs: 1000, greetingMs: 1000, commandMs: 1000, dataDoneMs: 60_000 } });
    w2.start();
    const id2 = await queue({ recipients: ["b@other.test"] });
    w2.wake();
    for (let i = 0; i < 200 && hang.transactions.length === 0; i++) await Bun.sleep(10);
    expect((await queueEntry(ts.server.db, id2)).recipients[0].state).toBe("inflight");
    await w2.stop({ graceMs: 50 });
    const r = (await queueEntry(ts.server.db, id2)).recipients[0];
    expect(r.state).toBe("queued");
    expect(r.leaseOwner).toBeNull();
  });
});
