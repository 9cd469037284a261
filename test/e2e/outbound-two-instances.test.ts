// Issue 5's end-to-end proof: two Hikyaku instances on different loopback addresses and a real
// authoritative DNS server (Knot). A (example.test, 127.0.0.2) takes alice's submission; the
// local copy is stored at once, the remote one goes through A's queue to B (other.test,
// 127.0.0.3) found by MX, over STARTTLS under an enforced MTA-STS policy fetched over HTTPS
// (test CA), and B's stored copy carries A's RSA and Ed25519 DKIM signatures, verified with
// mailauth against Knot. Then: B down → deferred with a retry scheduled, B back → delivered;
// B replaced by a server without STARTTLS → deferred, nothing sent in cleartext; our own name
// as the best MX → failed 5.4.6 with a DSN (RFC 5321 §5.1).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dkimVerify } from "mailauth";
import nodemailer from "nodemailer";
import { dkimTxtRecord, generateDkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { addDkimKeys } from "../../src/store/dkim.ts";
import { listQueue, type QueueRecipient } from "../../src/store/queue.ts";
import { retryQueue } from "../../src/store/queue-admin.ts";
import { inboxBodies, waitFor } from "../helpers/debian.ts";
import { knot, startDnsServer, type DnsRecord, type DnsServer } from "../helpers/dns-server.ts";
import { startFakeSmtp } from "../helpers/fake-smtp.ts";
import { startHttpsServer, type TestHttpsServer } from "../helpers/https-server.ts";
import { createInstance, freePort, type Instance } from "../helpers/instance.ts";
import { createTestCa, type TestCa } from "../helpers/test-ca.ts";

const A_IP = "127.0.0.2";
const B_IP = "127.0.0.3";
const POLICY = "version: STSv1\nmode: enforce\nmx: mx.other.test\nmax_age: 86400\n";
const WAIT_MS = 20_000;

describe.skipIf(knot.skip)("two Hikyaku instances, Knot DNS, MTA-STS, DKIM", () => {
  let ca: TestCa;
  let dns: DnsServer;
  let sts: TestHttpsServer;
  let a: Instance;
  let b: Instance;
  let dkimNames: string[] = [];
  const caDir = mkdtempSync(join(tmpdir(), "hikyaku-e2e-ca-"));

  beforeAll(async () => {
    ca = await createTestCa();
    const [rsa, ed] = await Promise.all([generateDkimKeyPair("rsa-sha256"), generateDkimKeyPair("ed25519-sha256")]);
    const keys = [
      { domain: "example.test", selector: "e2e-rsa", ...rsa },
      { domain: "example.test", selector: "e2e-ed", ...ed },
    ];
    // The records `hikyaku dkim generate` prints, published as they are.
    const dkimRecords: DnsRecord[] = keys.map((k) => {
      const r = dkimTxtRecord(k);
      return { name: `${r.name}.`, type: "TXT", value: r.value };
    });
    dkimNames = keys.map((k) => k.selector);
    dns = await startDnsServer({
      zones: {
        "example.test": [{ name: "@", type: "MX", value: "10 mx" }, { name: "mx", type: "A", value: A_IP }, ...dkimRecords],
        "other.test": [
          { name: "@", type: "MX", value: "10 mx" },
          { name: "mx", type: "A", value: B_IP },
          { name: "_mta-sts", type: "TXT", value: "v=STSv1; id=e2e1" },
          { name: "mta-sts", type: "A", value: B_IP },
        ],
        // Our own hostname is the best (only) MX of this domain.
        "loop.test": [{ name: "@", type: "MX", value: "10 mx.example.test." }],
      },
    });
    // RFC 8461 §3.3: the policy over HTTPS on port 443 of mta-sts.other.test.
    sts = await startHttpsServer({
      host: B_IP,
      port: 443,
      cert: await ca.issue({ names: ["mta-sts.other.test"] }),
      routes: { "/.well-known/mta-sts.txt": { body: POLICY, contentType: "text/plain" } },
    });
    const bMx = await freePort(B_IP);
    b = await createInstance({
      hostname: "mx.other.test",
      host: B_IP,
      domains: ["other.test"],
      accounts: [["bob@other.test", "bob-pw"]],
      ports: { mx: bMx },
      cert: await ca.issue({ names: ["mx.other.test"] }),
      config: { dns: { servers: [dns.address], timeoutMs: 1000, tries: 2 } },
    });
    // A file path (the config allows PEM text or a path): node:tls needs it read first.
    const caFile = join(caDir, "test-ca.pem");
    writeFileSync(caFile, ca.caPem);
    a = await createInstance({
      hostname: "mx.example.test",
      host: A_IP,
      domains: ["example.test"],
      accounts: [
        ["alice@example.test", "alice-pw"],
        ["carol@example.test", "carol-pw"],
      ],
      cert: await ca.issue({ names: ["mx.example.test"] }),
      config: {
        dns: { servers: [dns.address], timeoutMs: 1000, tries: 2 },
        delivery: {
          enabled: true,
          pollMs: 50,
          // B's MX port (delivery.port is global: every MX is tried there).
          port: bMx,
          sourceAddress: A_IP,
          tls: { mtaSts: true, ca: caFile },
          timeouts: { connectMs: 2000, greetingMs: 2000, commandMs: 2000, dataDoneMs: 2000 },
        },
      },
    });
    await addDkimKeys(a.server.db, keys);
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
    await sts?.stop();
    await dns?.stop();
    rmSync(caDir, { recursive: true, force: true });
  });

  async function submit(to: string[], subject: string, text: string): Promise<void> {
    const t = nodemailer.createTransport({
      host: A_IP,
      port: a.port("submission"),
      secure: false,
      requireTLS: true,
      tls: { ca: ca.caPem, servername: "mx.example.test" },
      auth: { user: "alice@example.test", pass: "alice-pw" },
    });
    try {
      await t.sendMail({ from: "alice@example.test", to, subject, text });
    } finally {
      t.close();
    }
  }

  async function recipient(address: string, subjectOf: (r: QueueRecipient) => boolean = () => true): Promise<QueueRecipient | undefined> {
    const all = (await listQueue(a.server.db)).flatMap((e) => e.recipients).filter((r) => r.address === address && subjectOf(r));
    return all.at(-1);
  }
  const bobInbox = () => inboxBodies(b.server.db, "bob@other.test");

  test("alice → carol (local, at once) and bob@other.test (queue → MX → STARTTLS under MTA-STS enforce → B), both DKIM signatures pass on B", async () => {
    const text = "Line one.\n.starts with a dot\n..\nlast line\n";
    await submit(["bob@other.test", "carol@example.test"], "two instances", text);
    // Local recipients never touch the queue: stored before the 250 to DATA.
    const carol = await inboxBodies(a.server.db, "carol@example.test");
    expect(carol.filter((m) => m.includes("Subject: two instances")).length).toBe(1);
    expect((await listQueue(a.server.db)).flatMap((e) => e.recipients).map((r) => r.address)).toEqual(["bob@other.test"]);

    const done = await waitFor(() => recipient("bob@other.test"), (r) => r?.state === "delivered", WAIT_MS);
    expect(done?.state).toBe("delivered");
    expect(done?.remoteMta).toBe(`mx.other.test[${B_IP}]`);
    // The policy was fetched from mta-sts.other.test and cached for max_age (RFC 8461 §3.3, §5.1).
    expect(sts.requests).toBe(1);
    expect(sts.hostHeaders[0]).toBe("mta-sts.other.test");
    const cached = await a.server.db.client.execute("SELECT mode, mx FROM mta_sts_policies WHERE domain = 'other.test'");
    expect(cached.rows[0]?.mode).toBe("enforce");

    const inbox = await bobInbox();
    expect(inbox.length).toBe(1);
    const stored = inbox[0]!;
    // B's Received field: from A's address, over TLS (RFC 3848 ESMTPS).
    expect(stored).toMatch(/Received: from mx\.example\.test \([^)]*127\.0\.0\.2[^)]*\)\r\n\tby mx\.other\.test \(Hikyaku\) with ESMTPS /);
    // Dot-stuffing undone by B: the body arrives as written (CRLF line ends).
    expect(stored).toContain("\r\n\r\nLine one.\r\n.starts with a dot\r\n..\r\nlast line\r\n");

    const resolver = createResolver({ servers: [dns.address], timeoutMs: 1000, tries: 2 });
    const v = await dkimVerify(Buffer.from(stored), { resolver: resolver.resolve, strict: true });
    expect(v.results.map((r) => [r.signingDomain, r.selector, r.status.result]).sort()).toEqual(
      dkimNames.map((s) => ["example.test", s, "pass"]).sort(),
    );
    expect(v.results.map((r) => r.algo).sort()).toEqual(["ed25519-sha256", "rsa-sha256"]);
  });

  test("B down: deferred with a retry scheduled; B back and the queue retried: delivered", async () => {
    await b.stop();
    const before = Date.now();
    await submit(["bob@other.test"], "while B is down", "retry me\n");
    const isThis = (r: QueueRecipient) => r.state !== "delivered";
    const deferred = await waitFor(() => recipient("bob@other.test", isThis), (r) => r?.state === "deferred", WAIT_MS);
    expect(deferred?.state).toBe("deferred");
    expect(deferred?.lastStatus).toBe("4.4.1");
    // The default schedule: first retry about 5 minutes later (Postfix-like), not a hot loop.
    expect(deferred!.nextAttemptAt).toBeGreaterThanOrEqual(before + 4 * 60_000);
    expect(deferred!.attempts).toBe(1);

    await b.start();
    // `hikyaku queue retry --all`: due now.
    expect((await retryQueue(a.server.db, { all: true }))?.retried).toBe(1);
    const row = await waitFor(() => recipient("bob@other.test", (r) => r.id === deferred!.id), (r) => r?.state === "delivered", WAIT_MS);
    expect(row?.state).toBe("delivered");
    expect(row?.attempts).toBe(2);
    const inbox = await bobInbox();
    expect(inbox.filter((m) => m.includes("Subject: while B is down")).length).toBe(1);
  });

  test("enforced MTA-STS and a server without STARTTLS at B's address: deferred, nothing sent in cleartext", async () => {
    await b.stop();
    const fake = await startFakeSmtp({ host: B_IP, port: b.port("mx") });
    try {
      await submit(["bob@other.test"], "never in cleartext", "secret body\n");
      const row = await waitFor(() => recipient("bob@other.test", (r) => r.state !== "delivered"), (r) => r?.state === "deferred", WAIT_MS);
      expect(row?.state).toBe("deferred");
      expect(row?.lastStatus).toBe("4.7.5");
      // The fake was reached (EHLO) but got no envelope and no data.
      expect(fake.connections()).toBeGreaterThan(0);
      expect(fake.commands.some((c) => /^EHLO /i.test(c))).toBe(true);
      expect(fake.commands.filter((c) => /^(MAIL|RCPT|DATA|BDAT)/i.test(c))).toEqual([]);
      expect(fake.cleartext().toString("latin1")).not.toContain("secret body");
      expect(fake.transactions.length).toBe(0);
    } finally {
      await fake.stop();
    }
    // The message was kept: with B back it is delivered.
    await b.start();
    await retryQueue(a.server.db, { all: true });
    const inbox = await waitFor(bobInbox, (m) => m.some((x) => x.includes("Subject: never in cleartext")), WAIT_MS);
    expect(inbox.filter((m) => m.includes("Subject: never in cleartext")).length).toBe(1);
  });

  test("our own name as the best MX (RFC 5321 §5.1): failed 5.4.6 at once, one DSN to alice", async () => {
    const before = (await inboxBodies(a.server.db, "alice@example.test")).length;
    await submit(["x@loop.test"], "loops", "hello\n");
    const row = await waitFor(() => recipient("x@loop.test"), (r) => r?.state === "failed", WAIT_MS);
    expect([row?.state, row?.lastStatus, row?.attempts]).toEqual(["failed", "5.4.6", 1]);
    const inbox = await waitFor(() => inboxBodies(a.server.db, "alice@example.test"), (m) => m.length > before, WAIT_MS);
    const dsns = inbox.slice(before);
    expect(dsns.length).toBe(1);
    expect(dsns[0]).toContain("Final-Recipient: rfc822;x@loop.test");
    expect(dsns[0]).toContain("Status: 5.4.6");
    expect(dsns[0]).toContain("loops back to myself");
  });
});
