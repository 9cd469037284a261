// deliverBatch against fake MX hosts on loopback (127.0.0.x share one port, so an "MX list"
// is a list of addresses): each fault of issue 5 maps to the right per-recipient decision.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { deliverBatch, type AttemptDeps } from "../../src/delivery/attempt.ts";
import type { StsPolicy } from "../../src/delivery/mta-sts.ts";
import type { MxResult } from "../../src/delivery/targets.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { claimDue } from "../../src/store/queue.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { startFakeSmtp, type FakeSmtp, type FakeSmtpOptions } from "../helpers/fake-smtp.ts";
import { queueTestMessage, type TestMessage } from "../helpers/outbound-queue.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { createTestCa, type TestCa } from "../helpers/test-ca.ts";

let ts: TestServer;
let ca: TestCa;
let port = 0;
const servers: FakeSmtp[] = [];

beforeAll(async () => {
  ts = await startTestServer({ delivery: { enabled: false } });
  ca = await createTestCa();
  // Reserve a port on 127.0.0.1; the other "hosts" bind the same port on 127.0.0.2…
  const probe = await startFakeSmtp();
  port = probe.port;
  await probe.stop();
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
afterAll(async () => {
  await ts.stop();
});

async function mx(n: number, o: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  const s = await startFakeSmtp({ host: `127.0.0.${n}`, port, ...o });
  servers.push(s);
  return s;
}

async function stopAll(): Promise<void> {
  for (const s of servers.splice(0)) await s.stop();
}

function hosts(...n: number[]): MxResult {
  return { kind: "hosts", implicit: false, hosts: n.map((i) => ({ host: `mx${i}.other.test`, preference: i * 10, addresses: [`127.0.0.${i}`] })) };
}

let seq = 0;
async function attempt(msg: TestMessage, o: { mx?: MxResult; sts?: StsPolicy | null; delivery?: Record<string, unknown> } = {}) {
  // A unique domain per test so claimDue only sees this test's rows.
  const domain = `d${++seq}.other.test`;
  const recipients = msg.recipients.map((r) => (typeof r === "string" ? r : r.address).replace("@other.test", `@${domain}`));
  await queueTestMessage(ts.server.db, { ...msg, recipients: msg.recipients.map((r, i) => (typeof r === "string" ? recipients[i] : { ...r, address: recipients[i] })) });
  const [batch] = await claimDue(ts.server.db, { owner: "test", now: Date.now(), leaseMs: 60_000, limit: 100, domain });
  const config = {
    ...ts.server.config,
    delivery: {
      ...ts.server.config.delivery,
      port,
      timeouts: { connectMs: 1000, greetingMs: 300, commandMs: 1000, dataDoneMs: 300 },
      tls: { ...ts.server.config.delivery.tls, ca: ca.caPem },
      ...o.delivery,
    },
  };
  const deps: AttemptDeps = {
    db: ts.server.db,
    config,
    bus: ts.server.bus,
    log: silentLogger,
    now: () => Date.now(),
    resolver: createResolver({ servers: ["127.0.0.1:9"], timeoutMs: 100, tries: 1 }),
    resolveMx: async () => o.mx ?? hosts(2),
    lookupSts: async () => o.sts ?? null,
  };
  const res = await deliverBatch(batch, deps);
  // By local part, in queue order.
  return batch.recipients.map((r) => ({ who: r.address.split("@")[0], ...res.decisions.get(r.id)! }));
}

describe("routing and faults", () => {
  test("delivered: the reply of the final dot is recorded", async () => {
    const s = await mx(2);
    const [r] = await attempt({ recipients: ["bob@other.test"] });
    expect(r).toMatchObject({ outcome: "delivered", status: "2.0.0", host: "mx2.other.test[127.0.0.2]" });
    expect(s.transactions.length).toBe(1);
    await stopAll();
  });

  test("refused connection on every host: deferred 4.4.1", async () => {
    const [r] = await attempt({ recipients: ["bob@other.test"] }, { mx: hosts(2, 3) });
    expect(r).toMatchObject({ outcome: "deferred", status: "4.4.1" });
  });

  test("greeting timeout → next MX", async () => {
    await mx(2, { greeting: "hang" });
    const s3 = await mx(3);
    const [r] = await attempt({ recipients: ["bob@other.test"] }, { mx: hosts(2, 3) });
    expect(r).toMatchObject({ outcome: "delivered", host: "mx3.other.test[127.0.0.3]" });
    expect(s3.transactions.length).toBe(1);
    await stopAll();
  });

  for (const [stage, opt] of [
    ["greeting 4xx", { greeting: "421 4.3.2 busy" }],
    ["greeting 5xx", { greeting: "554 5.7.1 no" }],
    ["EHLO 4xx", { ehlo: "421 4.3.2 busy" }],
    ["MAIL 4xx", { mail: () => "451 4.3.0 later" }],
  ] as const) {
    test(`${stage}: no delivery there; with one host, deferred`, async () => {
      await mx(2, opt);
      const [r] = await attempt({ recipients: ["bob@other.test"] });
      expect(r.outcome).toBe("deferred");
      expect(r.status.startsWith("4.")).toBe(true);
      await stopAll();
    });
  }

  test("4xx at greeting on the first MX, the next MX delivers", async () => {
    await mx(2, { greeting: "421 4.3.2 busy" });
    const s3 = await mx(3);
    const [r] = await attempt({ recipients: ["bob@other.test"] }, { mx: hosts(2, 3) });
    expect(r).toMatchObject({ outcome: "delivered", host: "mx3.other.test[127.0.0.3]" });
    expect(s3.transactions.length).toBe(1);
    await stopAll();
  });

  test("5xx at MAIL: every recipient failed", async () => {
    await mx(2, { mail: () => "550 5.7.1 sender rejected" });
    const r = await attempt({ recipients: ["a@other.test", "b@other.test"] });
    expect(r.map((x) => [x.outcome, x.status])).toEqual([["failed", "5.7.1"], ["failed", "5.7.1"]]);
    await stopAll();
  });

  test("mixed RCPT results in one transaction", async () => {
    const s = await mx(2, { rcpt: (to) => (to.startsWith("soft") ? "452 4.2.2 mailbox full" : to.startsWith("hard") ? "550 5.1.1 unknown" : "250 2.1.5 ok") });
    const r = await attempt({ recipients: ["ok@other.test", "soft@other.test", "hard@other.test"] });
    expect(r.map((x) => [x.who, x.outcome, x.status])).toEqual([
      ["ok", "delivered", "2.0.0"],
      ["soft", "deferred", "4.2.2"],
      ["hard", "failed", "5.1.1"],
    ]);
    expect(s.transactions.length).toBe(1);
    await stopAll();
  });

  test("DATA 4xx defers and end-of-data 5xx fails the accepted recipients", async () => {
    await mx(2, { data: "451 4.3.0 try later" });
    expect((await attempt({ recipients: ["a@other.test"] }))[0]).toMatchObject({ outcome: "deferred", status: "4.3.0" });
    await stopAll();
    await mx(2, { dataDone: "554 5.6.0 rejected content" });
    expect((await attempt({ recipients: ["a@other.test"] }))[0]).toMatchObject({ outcome: "failed", status: "5.6.0" });
    await stopAll();
  });

  test("connection dropped after DATA, or no reply to the final dot: deferred, never delivered", async () => {
    await mx(2, { dataDone: "drop" });
    expect((await attempt({ recipients: ["a@other.test"] }))[0].outcome).toBe("deferred");
    await stopAll();
    await mx(2, { dataDone: "hang" });
    expect((await attempt({ recipients: ["a@other.test"] }))[0].outcome).toBe("deferred");
    await stopAll();
  });

  test("more recipients than maxRecipientsPerTransaction: several transactions on one connection", async () => {
    const s = await mx(2);
    const r = await attempt({ recipients: ["a@other.test", "b@other.test", "c@other.test", "d@other.test", "e@other.test"] }, { delivery: { maxRecipientsPerTransaction: 2 } });
    expect(r.every((x) => x.outcome === "delivered")).toBe(true);
    expect(s.transactions.map((t) => t.recipients.length)).toEqual([2, 2, 1]);
    expect(s.connections()).toBe(1);
    await stopAll();
  });

  test("NOTIFY and ORCPT are relayed per recipient when the server takes DSN", async () => {
    const s = await mx(2);
    await attempt({ recipients: [{ address: "a@other.test", notify: "SUCCESS,FAILURE", orcpt: "rfc822;a+x@other.test" }, "b@other.test"], envid: "id 1", ret: "HDRS" });
    expect(s.transactions[0].mailLine).toMatch(/ RET=HDRS ENVID=id\+201$/);
    expect(s.transactions[0].rcptLines[0]).toMatch(/ NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a\+2Bx@other\.test$/);
    expect(s.transactions[0].rcptLines[1]).toMatch(/^RCPT TO:<b@d\d+\.other\.test>$/);
    await stopAll();
  });
});

describe("DNS verdicts", () => {
  test("null MX: failed 5.1.10 (RFC 7505)", async () => {
    const [r] = await attempt({ recipients: ["a@other.test"] }, { mx: { kind: "nullmx" } });
    expect(r).toMatchObject({ outcome: "failed", status: "5.1.10" });
  });
  test("no such domain: failed 5.1.2; DNS failure: deferred 4.4.3", async () => {
    expect((await attempt({ recipients: ["a@other.test"] }, { mx: { kind: "nodomain" } }))[0]).toMatchObject({ outcome: "failed", status: "5.1.2" });
    expect((await attempt({ recipients: ["a@other.test"] }, { mx: { kind: "temperror", reason: "SERVFAIL" } }))[0]).toMatchObject({ outcome: "deferred", status: "4.4.3" });
  });
});

describe("TLS policies", () => {
  const enforce = (mx: string[]): StsPolicy => ({ id: "1", mode: "enforce", mx, maxAge: 86400 });

  test("MTA-STS enforce, no STARTTLS: deferred, nothing sent in cleartext", async () => {
    const s = await mx(2);
    const [r] = await attempt({ recipients: ["a@other.test"] }, { sts: enforce(["mx2.other.test"]) });
    expect(r).toMatchObject({ outcome: "deferred", status: "4.7.5" });
    expect(s.cleartext().toString("latin1")).not.toContain("MAIL FROM");
    expect(s.transactions.length).toBe(0);
    await stopAll();
  });

  test("MTA-STS enforce: MX hosts outside the policy are not tried", async () => {
    const s = await mx(2);
    const [r] = await attempt({ recipients: ["a@other.test"] }, { sts: enforce(["mx9.other.test"]) });
    expect(r.outcome).toBe("deferred");
    expect(s.connections()).toBe(0);
    await stopAll();
  });

  test("MTA-STS enforce with a valid certificate: delivered over TLS", async () => {
    const s = await mx(2, { tls: await ca.issue({ names: ["mx2.other.test"] }) });
    const [r] = await attempt({ recipients: ["a@other.test"] }, { sts: enforce(["*.other.test"]) });
    expect(r.outcome).toBe("delivered");
    expect(s.transactions[0].tls).toBe(true);
    await stopAll();
  });

  for (const [name, names, expired] of [
    ["expired", ["mx2.other.test"], true],
    ["mismatched", ["elsewhere.test"], false],
  ] as const) {
    test(`${name} certificate: deferred under enforce, delivered opportunistically`, async () => {
      const cert = await ca.issue({ names: [...names], ...(expired ? { notBefore: new Date(Date.now() - 9 * 86400_000), notAfter: new Date(Date.now() - 86400_000) } : {}) });
      const s = await mx(2, { tls: cert });
      expect((await attempt({ recipients: ["a@other.test"] }, { sts: enforce(["mx2.other.test"]) }))[0]).toMatchObject({ outcome: "deferred", status: "4.7.5" });
      expect(s.transactions.length).toBe(0);
      expect((await attempt({ recipients: ["a@other.test"] }))[0].outcome).toBe("delivered");
      expect(s.transactions[0].tls).toBe(true);
      await stopAll();
    });
  }

  test("REQUIRETLS without an MTA-STS policy vouching for the MX: failed 5.7.30", async () => {
    const [r] = await attempt({ recipients: ["a@other.test"], requiretls: true });
    expect(r).toMatchObject({ outcome: "failed", status: "5.7.30" });
  });

  test("REQUIRETLS: a verified server without the REQUIRETLS keyword gets nothing (5.7.30)", async () => {
    const s = await mx(2, { tls: await ca.issue({ names: ["mx2.other.test"] }) });
    const [r] = await attempt({ recipients: ["a@other.test"], requiretls: true }, { sts: enforce(["mx2.other.test"]) });
    expect(r).toMatchObject({ outcome: "failed", status: "5.7.30" });
    expect(s.transactions.length).toBe(0);
    await stopAll();
    const ok = await mx(2, { tls: await ca.issue({ names: ["mx2.other.test"] }), extensions: ["PIPELINING", "8BITMIME", "REQUIRETLS"] });
    expect((await attempt({ recipients: ["a@other.test"], requiretls: true }, { sts: enforce(["mx2.other.test"]) }))[0].outcome).toBe("delivered");
    expect(ok.transactions[0].mailLine).toEndWith(" REQUIRETLS");
    await stopAll();
  });
});

describe("message capabilities", () => {
  test("UTF-8 address, server without SMTPUTF8: failed 5.6.7", async () => {
    const s = await mx(2, { extensions: ["PIPELINING", "8BITMIME"] });
    const [r] = await attempt({ recipients: ["jörg@other.test"], smtputf8: true });
    expect(r).toMatchObject({ outcome: "failed", status: "5.6.7" });
    expect(s.transactions.length).toBe(0);
    await stopAll();
  });

  test("UTF-8 address, server with SMTPUTF8: MAIL carries SMTPUTF8", async () => {
    const s = await mx(2);
    const [r] = await attempt({ recipients: ["jörg@other.test"], smtputf8: true });
    expect(r.outcome).toBe("delivered");
    expect(s.transactions[0].mailLine).toContain(" SMTPUTF8");
    await stopAll();
  });

  test("8-bit body, server without 8BITMIME: downgraded to 7bit and delivered", async () => {
    const s = await mx(2, { extensions: ["PIPELINING"] });
    const body = "From: a@example.test\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n";
    const [r] = await attempt({ recipients: ["a@other.test"], body, bodyType: "8BITMIME" });
    expect(r.outcome).toBe("delivered");
    const data = s.transactions[0].data;
    expect(data.some((b) => b > 0x7f)).toBe(false);
    expect(s.transactions[0].mailLine).not.toContain("BODY=8BITMIME");
    await stopAll();
  });

  test("8-bit body, server with 8BITMIME: sent as is with BODY=8BITMIME", async () => {
    const s = await mx(2);
    const body = "From: a@example.test\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n";
    await attempt({ recipients: ["a@other.test"], body, bodyType: "8BITMIME" });
    expect(s.transactions[0].mailLine).toContain(" BODY=8BITMIME");
    expect(s.transactions[0].data.some((b) => b > 0x7f)).toBe(true);
    await stopAll();
  });
});
