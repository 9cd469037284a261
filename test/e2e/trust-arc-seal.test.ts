// ARC sealing in a real server with Knot on loopback: an alias on example.test forwards to an
// outside address; the queued copy (queue_messages → bodies) carries our ARC set, which the
// next hop's validator (mailauth, asking the same Knot) finds valid. Mail that stays is not sealed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authenticate, sealMessage } from "mailauth";
import { createResolver } from "../../src/dns/resolver.ts";
import { dkimTxtRecord, generateDkimKeyPair, type DkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import { addAlias } from "../../src/store/aliases.ts";
import { addDkimKeys } from "../../src/store/dkim.ts";
import { knot, startDnsServer, type DnsServer } from "../helpers/dns-server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { mail } from "../trust/mailauth-fakes.ts";

describe.skipIf(knot.skip)("arc-seal against Knot", () => {
  let dns: DnsServer;
  let srv: TestServer;
  let ours: DkimKeyPair;
  let lists: DkimKeyPair;
  let resolve: (name: string, rrtype: string) => Promise<any>;

  beforeAll(async () => {
    [ours, lists] = await Promise.all([generateDkimKeyPair("rsa-sha256"), generateDkimKeyPair("rsa-sha256")]);
    const key = (domain: string, selector: string, k: DkimKeyPair) => {
      const r = dkimTxtRecord({ domain, selector, algorithm: k.algorithm, publicKey: k.publicKey });
      return { name: `${r.name}.`, type: "TXT" as const, value: r.value };
    };
    dns = await startDnsServer({
      zones: {
        "example.test": [key("example.test", "arc1", ours)],
        "sender.test": [{ name: "@", type: "TXT", value: "v=spf1 ip4:127.0.0.0/8 -all" }],
        "lists.test": [key("lists.test", "up", lists)],
        // DMARC's tree walk asks _dmarc.test: NXDOMAIN here, not REFUSED.
        test: [{ name: "@", type: "TXT", value: "parent zone" }],
      },
    });
    srv = await startTestServer({
      dns: { servers: [dns.address], timeoutMs: 1000 },
      trust: { trustedNetworks: [], arcSeal: { domain: "example.test" } },
    });
    await addDkimKeys(srv.server.db, [{ domain: "example.test", selector: "arc1", ...ours }]);
    await addAlias(srv.server.db, "fwd@example.test", "carol@foreign.test");
    resolve = createResolver({ servers: [dns.address], timeoutMs: 1000, tries: 1 }).resolve;
  });

  afterAll(async () => {
    await srv?.stop();
    await dns?.stop();
  });

  async function send(rcpts: string[], message: string): Promise<void> {
    const c = await RawSmtp.connect(srv.port("mx"));
    expect((await c.reply()).code).toBe(220);
    expect((await c.cmd("EHLO client.sender.test")).code).toBe(250);
    expect((await c.cmd("MAIL FROM:<news@sender.test>")).code).toBe(250);
    for (const r of rcpts) expect((await c.cmd(`RCPT TO:<${r}>`)).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd(`${message.replace(/\r\n$/, "")}\r\n.`)).code).toBe(250);
    await c.cmd("QUIT");
    c.close();
  }

  async function bodies(table: "queue_messages" | "mailbox_messages", marker: string): Promise<string[]> {
    const res = await srv.server.db.client.execute({
      sql: `SELECT b.content FROM ${table} q JOIN bodies b ON b.hash = q.body_hash WHERE instr(b.content, ?) > 0`,
      args: [marker],
    });
    return res.rows.map((r) => Buffer.from(r.content as ArrayBuffer).toString("latin1"));
  }

  async function nextHop(message: string) {
    const res = await authenticate(Buffer.from(message, "latin1"), { resolver: resolve, ip: "198.51.100.9", helo: "mx.example.test", sender: "news@sender.test", mta: "foreign.test", disableBimi: true });
    return { result: res.arc ? res.arc.status.result : "off", i: res.arc ? res.arc.i : 0 };
  }

  const unfold = (s: string) => s.replace(/\r\n[ \t]+/g, " ");

  test("forwarded by an alias: the queued copy carries ARC i=1 cv=none with our A-R, and it validates", async () => {
    await send(["fwd@example.test", "alice@example.test"], mail("news@sender.test", "marker-fwd-1\r\n"));
    const [queued] = await bodies("queue_messages", "marker-fwd-1");
    expect(queued).toBeDefined();
    const text = unfold(queued!);
    expect(text).toMatch(/^ARC-Seal: i=1; a=rsa-sha256; t=\d+; cv=none; d=example\.test; s=arc1; b=/m);
    // RFC 8617 §4.1.1: the AAR is our Authentication-Results with the instance in front.
    const ar = /^Authentication-Results: (mx\.example\.test;.*)$/m.exec(text)![1];
    expect(ar).toContain("spf=pass");
    expect(text).toContain(`\r\nARC-Authentication-Results: i=1; ${ar}\r\n`);
    expect(await nextHop(queued!)).toEqual({ result: "pass", i: 1 });
    // The same stored message is the local copy: it carries the set too (documented, harmless).
    const [local] = await bodies("mailbox_messages", "marker-fwd-1");
    expect(local).toContain("ARC-Seal: i=1;");
  });

  test("an incoming chain sealed by a list (verified by message-auth through Knot): ours is i=2 cv=pass", async () => {
    const msg = mail("news@sender.test", "marker-fwd-2\r\n");
    const set = await sealMessage(Buffer.from(msg), { signingDomain: "lists.test", selector: "up", privateKey: lists.privateKey, cv: "none", authResults: "lists.test; spf=pass smtp.mailfrom=news@sender.test" });
    await send(["fwd@example.test"], set.toString() + msg);
    const [queued] = await bodies("queue_messages", "marker-fwd-2");
    expect(unfold(queued!)).toMatch(/^ARC-Seal: i=2; a=rsa-sha256; t=\d+; cv=pass; d=example\.test; s=arc1;/m);
    expect(await nextHop(queued!)).toEqual({ result: "pass", i: 2 });
  });

  test("mail for local mailboxes only is not sealed", async () => {
    await send(["alice@example.test"], mail("news@sender.test", "marker-local\r\n"));
    const [local] = await bodies("mailbox_messages", "marker-local");
    expect(local).toContain("marker-local");
    expect(local).not.toContain("ARC-");
    expect(await bodies("queue_messages", "marker-local")).toEqual([]);
  });
});
