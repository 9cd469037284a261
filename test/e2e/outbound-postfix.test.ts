// Interop: Postfix (Debian) as the receiving MTA of our outbound queue. Hikyaku A
// (example.test, 127.0.0.2) finds pf.test's MX in Knot and delivers to a private Postfix
// (smtpd with STARTTLS, virtual(8) Maildirs); the stored file carries both DKIM-Signature
// fields (verified against Knot) and the body byte-for-byte, including lines that start
// with "." and a line of only ".." (dot-stuffing on our side, un-stuffing on Postfix's,
// RFC 5321 §4.5.2). A recipient Postfix refuses (550 5.1.1) fails with one DSN to alice.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dkimVerify } from "mailauth";
import nodemailer from "nodemailer";
import { dkimTxtRecord, generateDkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { addDkimKeys } from "../../src/store/dkim.ts";
import { listQueue, type QueueRecipient } from "../../src/store/queue.ts";
import { inboxBodies, waitFor } from "../helpers/debian.ts";
import { knot, startDnsServer, type DnsServer } from "../helpers/dns-server.ts";
import { createInstance, freePort, type Instance } from "../helpers/instance.ts";
import { postfixTools, startPostfixReceiver, type PostfixReceiver } from "../helpers/postfix-receiver.ts";
import { createTestCa } from "../helpers/test-ca.ts";

const isRoot = process.getuid?.() === 0;
if (!isRoot && !postfixTools.skip) console.warn("skipping outbound Postfix interop: starting Postfix needs root");
const skip = knot.skip || postfixTools.skip || !isRoot;

const A_IP = "127.0.0.2";
const PF_IP = "127.0.0.1";
const WAIT_MS = 30_000;

describe.skipIf(skip)("outbound to a real Postfix found by MX", () => {
  let dns: DnsServer;
  let pf: PostfixReceiver;
  let a: Instance;

  beforeAll(async () => {
    const ca = await createTestCa();
    const [rsa, ed] = await Promise.all([generateDkimKeyPair("rsa-sha256"), generateDkimKeyPair("ed25519-sha256")]);
    const keys = [
      { domain: "example.test", selector: "pf-rsa", ...rsa },
      { domain: "example.test", selector: "pf-ed", ...ed },
    ];
    dns = await startDnsServer({
      zones: {
        "example.test": keys.map((k) => ({ name: `${dkimTxtRecord(k).name}.`, type: "TXT" as const, value: dkimTxtRecord(k).value })),
        "pf.test": [
          { name: "@", type: "MX", value: "10 mx" },
          { name: "mx", type: "A", value: PF_IP },
        ],
      },
    });
    const port = await freePort(PF_IP);
    // Postfix's name must differ from ours (its smtp client checks greetings; ours does not,
    // but a distinct name keeps Received fields readable).
    pf = await startPostfixReceiver({ port, hostname: "mx.pf.test", domain: "pf.test", localParts: ["user"], cert: await ca.issue({ names: ["mx.pf.test"] }) });
    a = await createInstance({
      hostname: "mx.example.test",
      host: A_IP,
      domains: ["example.test"],
      accounts: [["alice@example.test", "alice-pw"]],
      config: {
        dns: { servers: [dns.address], timeoutMs: 1000, tries: 2 },
        delivery: {
          enabled: true,
          pollMs: 50,
          port,
          // Opportunistic STARTTLS (RFC 7435): the certificate is not checked, only used.
          tls: { mtaSts: true },
          timeouts: { connectMs: 2000, greetingMs: 5000, commandMs: 5000, dataDoneMs: 10_000 },
        },
      },
    });
    await addDkimKeys(a.server.db, keys);
  });

  afterAll(async () => {
    await a?.destroy();
    await pf?.stop();
    await dns?.stop();
  });

  async function submit(to: string, subject: string, text: string): Promise<void> {
    const t = nodemailer.createTransport({ host: A_IP, port: a.port("submission"), secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: "alice@example.test", pass: "alice-pw" } });
    try {
      await t.sendMail({ from: "alice@example.test", to, subject, text });
    } finally {
      t.close();
    }
  }
  const recipient = async (address: string): Promise<QueueRecipient | undefined> =>
    (await listQueue(a.server.db)).flatMap((e) => e.recipients).find((r) => r.address === address);

  test("Postfix stores the message: TLS, two DKIM signatures that verify, body with dot lines intact", async () => {
    const body = ".leading dot\nmiddle\n..\n...three\n.\nend\n";
    await submit("user@pf.test", "to postfix", body);
    const r = await waitFor(() => recipient("user@pf.test"), (x) => x?.state === "delivered", WAIT_MS);
    expect(r?.state, pf.maillog()).toBe("delivered");
    const stored = await waitFor(async () => pf.messages("user"), (m) => m.length > 0, WAIT_MS);
    expect(stored.length).toBe(1);
    const msg = stored[0]!;
    // Postfix's own trace: it received over TLS from our EHLO name (smtpd_tls_received_header).
    expect(msg).toMatch(/Received: from mx\.example\.test \(/);
    expect(msg).toMatch(/\(using TLSv1\.[23] /);
    expect(msg.match(/^DKIM-Signature: /gm)?.length).toBe(2);
    // virtual(8) stores LF line ends; the body otherwise exactly as submitted.
    expect(msg).toEndWith(`\n\n${body}`);
    const resolver = createResolver({ servers: [dns.address], timeoutMs: 1000, tries: 2 });
    const v = await dkimVerify(Buffer.from(msg.replace(/\r?\n/g, "\r\n"), "latin1"), { resolver: resolver.resolve, strict: true });
    expect(v.results.map((x) => [x.selector, x.status.result]).sort()).toEqual([
      ["pf-ed", "pass"],
      ["pf-rsa", "pass"],
    ]);
  });

  test("Postfix refuses an unknown user (550 5.1.1): failed, one DSN in alice's INBOX", async () => {
    const before = (await inboxBodies(a.server.db, "alice@example.test")).length;
    await submit("nobody@pf.test", "unknown at postfix", "hello\n");
    const r = await waitFor(() => recipient("nobody@pf.test"), (x) => x?.state === "failed", WAIT_MS);
    expect(r?.state, pf.maillog()).toBe("failed");
    expect(r?.lastReply).toMatch(/^550 5\.1\.1 /);
    const inbox = await waitFor(() => inboxBodies(a.server.db, "alice@example.test"), (m) => m.length > before, WAIT_MS);
    const dsns = inbox.slice(before);
    expect(dsns.length).toBe(1);
    expect(dsns[0]).toContain("Final-Recipient: rfc822;nobody@pf.test");
    expect(dsns[0]).toContain("Status: 5.1.1");
    expect(dsns[0]).toContain("Remote-MTA: dns; mx.pf.test");
    expect(pf.messages("nobody")).toEqual([]);
  });
});
