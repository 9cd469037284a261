// The mailauth handlers (spf, message-auth, auth-results, dmarc-policy) in a real server, with a
// real authoritative DNS server (Knot) on loopback publishing SPF, DKIM (RSA + Ed25519) and
// DMARC records: replies at MAIL FROM and end of DATA, stored messages and their traces.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket, type Socket } from "node:dgram";
import { generateDkimKeyPair, dkimTxtRecord, type DkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";
import { knot, startDnsServer, type DnsServer } from "../helpers/dns-server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { dkimSigned, mail } from "../trust/mailauth-fakes.ts";

// The built-in pipeline (handlers/mod.ts), tuned through config.trust as a user would.
const trust = { trustedNetworks: [] as string[], spf: { onFail: "reject" } };

describe.skipIf(knot.skip)("mailauth handlers against Knot", () => {
  let dns: DnsServer;
  let srv: TestServer;
  let slow: TestServer;
  let silent: Socket;
  let rsa: DkimKeyPair;
  let ed: DkimKeyPair;

  beforeAll(async () => {
    rsa = await generateDkimKeyPair("rsa-sha256");
    ed = await generateDkimKeyPair("ed25519-sha256");
    const key = (k: DkimKeyPair, selector: string) => {
      const r = dkimTxtRecord({ domain: "example.org", selector, algorithm: k.algorithm, publicKey: k.publicKey });
      return { name: `${r.name}.`, type: "TXT" as const, value: r.value };
    };
    dns = await startDnsServer({
      zones: {
        "example.org": [
          { name: "@", type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all" },
          { name: "@", type: "A", value: "192.0.2.10" },
          { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=reject" },
          key(rsa, "rsa"),
          key(ed, "ed"),
          { name: "badkey._domainkey", type: "TXT", value: "v=DKIM1; k=rsa; p=bm90IGEga2V5" },
        ],
        "quarantine.test": [
          { name: "@", type: "TXT", value: "v=spf1 ip4:192.0.2.99 -all" },
          { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=quarantine" },
        ],
        // The parent of the .test domains: DMARC's tree walk (RFC 9989 §4.10) asks _dmarc.test,
        // which must be NXDOMAIN, not REFUSED (a REFUSED there is a temperror → 451).
        test: [{ name: "@", type: "TXT", value: "parent zone" }],
        "relay.test": [{ name: "@", type: "TXT", value: "v=spf1 ip4:127.0.0.0/8 -all" }],
        "spf.test": [
          { name: "fail", type: "TXT", value: "v=spf1 ip4:192.0.2.1 -all" },
          { name: "soft", type: "TXT", value: "v=spf1 ~all" },
          { name: "neutral", type: "TXT", value: "v=spf1 ?all" },
          { name: "none", type: "TXT", value: "not spf" },
          { name: "loop", type: "TXT", value: "v=spf1 include:loop2.spf.test -all" },
          { name: "loop2", type: "TXT", value: "v=spf1 include:loop.spf.test -all" },
          { name: "many", type: "TXT", value: "v=spf1 include:i1.spf.test -all" },
          ...Array.from({ length: 11 }, (_, i) => ({
            name: `i${i + 1}`,
            type: "TXT" as const,
            value: i === 10 ? "v=spf1 ip4:127.0.0.1 -all" : `v=spf1 include:i${i + 2}.spf.test -all`,
          })),
        ],
      },
      servfail: ["broken.test"],
    });
    srv = await startTestServer({ dns: { servers: [dns.address], timeoutMs: 1000 }, trust });
    // A DNS "server" that never answers: every lookup times out.
    silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", () => r()));
    slow = await startTestServer({ dns: { servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 100, tries: 1 }, trust });
  });

  afterAll(async () => {
    await srv?.stop();
    await slow?.stop();
    silent?.close();
    await dns?.stop();
  });

  async function session(s: TestServer, from: string) {
    const c = await RawSmtp.connect(s.port("mx"));
    expect((await c.reply()).code).toBe(220);
    expect((await c.cmd("EHLO client.relay.test")).code).toBe(250);
    return { c, mail: await c.cmd(`MAIL FROM:<${from}>`) };
  }

  /** One transaction; returns the MAIL FROM reply and, if it was accepted, the end-of-DATA reply. */
  async function send(from: string, message: string, s = srv) {
    const { c, mail: m } = await session(s, from);
    let data = null;
    if (m.code === 250) {
      expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
      expect((await c.cmd("DATA")).code).toBe(354);
      data = await c.cmd(`${message.replace(/\r\n$/, "")}\r\n.`);
    }
    await c.cmd("QUIT");
    return { mail: m, data };
  }

  async function stored(box: string): Promise<string[]> {
    const db = srv.server.db;
    const acct = await findAccount(db, "alice@example.test");
    const mb = await findMailbox(db, acct!.id, box);
    const out: string[] = [];
    for (const m of await listMessages(db, mb!.id)) out.push(new TextDecoder().decode((await getBody(db, m.bodyHash))!.content));
    return out;
  }
  const find = async (marker: string, box = "INBOX") => (await stored(box)).find((m) => m.includes(marker));

  /** The newest trace rows of one handler, text included. */
  async function lastTrace(s: TestServer, handler: string): Promise<{ verdict: string; text: string | null; code: number | null }> {
    await s.server.flushTraces();
    const r = await s.server.db.client.execute({ sql: "SELECT verdict, text, code FROM traces WHERE handler = ? ORDER BY id DESC LIMIT 1", args: [handler] });
    return r.rows[0] as unknown as { verdict: string; text: string | null; code: number | null };
  }

  const sign = (m: string, k: DkimKeyPair, selector: string) => dkimSigned(m, { domain: "example.org", selector, privateKey: k.privateKey, algorithm: k.algorithm });

  test("aligned SPF + RSA DKIM pass → INBOX with our Authentication-Results; forged A-R removed, others kept", async () => {
    const forged = "Authentication-Results: mx.example.test; dmarc=pass (forged)\r\nAuthentication-Results: elsewhere.test; spf=pass\r\n";
    const msg = await sign(mail("ceo@example.org", "marker-aligned\r\n", ""), rsa, "rsa");
    const r = await send("bounce@example.org", forged + msg);
    expect(r.data?.code).toBe(250);
    const m = (await find("marker-aligned"))!;
    expect(m).toBeDefined();
    const ar = /^Authentication-Results: mx\.example\.test;(?:\r\n[ \t].*)*/m.exec(m)![0].replace(/\r\n\s+/g, " ");
    expect(ar).toContain("spf=pass");
    expect(ar).toContain("smtp.mailfrom=bounce@example.org");
    expect(ar).toContain("dkim=pass");
    expect(ar).toMatch(/dkim=pass [^;]*header\.i=@example\.org header\.s=rsa/);
    expect(ar).toContain("dmarc=pass");
    expect(m).not.toContain("(forged)");
    expect(m).toContain("Authentication-Results: elsewhere.test; spf=pass");
    expect((await lastTrace(srv, "message-auth")).text).toContain("dkim=pass (example.org s=rsa rsa-sha256, aligned)");
    expect((await lastTrace(srv, "dmarc-policy")).text).toContain("dmarc=pass");
  });

  test("Ed25519 signature verifies through Knot (dkim=pass), DMARC passes by DKIM alone", async () => {
    const r = await send("someone@relay.test", await sign(mail("ceo@example.org", "marker-ed25519\r\n"), ed, "ed"));
    expect(r.data?.code).toBe(250);
    const m = (await find("marker-ed25519"))!.replace(/\r\n\s+/g, " ");
    expect(m).toMatch(/dkim=pass [^;]*header\.i=@example\.org header\.s=ed/);
    expect(m).toContain("header.a=ed25519-sha256");
    expect(m).toContain("dmarc=pass");
  });

  test("DMARC p=reject with a forged From → 550 5.7.1 at end of DATA, in the trace", async () => {
    const r = await send("someone@relay.test", mail("ceo@example.org", "marker-forged\r\n"));
    expect(r.data?.code).toBe(550);
    expect(r.data?.text).toContain("5.7.1");
    expect(await find("marker-forged")).toBeUndefined();
    expect(await lastTrace(srv, "dmarc-policy")).toMatchObject({ verdict: "reject", code: 550 });
    expect((await lastTrace(srv, "message-auth")).text).toContain("dmarc=fail (example.org policy=reject");
  });

  test("a tampered signed body: dkim not pass, and p=reject refuses it", async () => {
    const signed = await sign(mail("ceo@example.org", "marker-tampered\r\n"), rsa, "rsa");
    const r = await send("someone@relay.test", signed.replace("marker-tampered", "marker-tampered!"));
    expect(r.data?.code).toBe(550);
    expect((await lastTrace(srv, "message-auth")).text).toMatch(/dkim=(neutral|fail) \(example\.org s=rsa/);
  });

  test("a malformed key record: no crash, dkim not pass, DMARC decides", async () => {
    const r = await send("someone@relay.test", await sign(mail("ceo@example.org", "marker-badkey\r\n"), rsa, "badkey"));
    expect(r.data?.code).toBe(550);
    expect((await lastTrace(srv, "message-auth")).text).toMatch(/dkim=(neutral|permerror|fail) \(example\.org s=badkey/);
  });

  test("DMARC p=quarantine failure → Junk, with the A-R header", async () => {
    const r = await send("someone@relay.test", mail("news@quarantine.test", "marker-junk\r\n"));
    expect(r.data?.code).toBe(250);
    expect(await find("marker-junk")).toBeUndefined();
    const m = (await find("marker-junk", "Junk"))!;
    expect(m.replace(/\r\n\s+/g, " ")).toContain("dmarc=fail");
    expect(await lastTrace(srv, "dmarc-policy")).toMatchObject({ verdict: "quarantine" });
  });

  test("SPF results at MAIL FROM: fail → 550 5.7.23; softfail, neutral, none → 250, each in the trace", async () => {
    const fail = await session(srv, "x@fail.spf.test");
    expect(fail.mail.code).toBe(550);
    expect(fail.mail.text).toContain("5.7.23");
    await fail.c.cmd("QUIT");
    for (const [d, result] of [["soft", "softfail"], ["neutral", "neutral"], ["none", "none"]] as const) {
      const s = await session(srv, `x@${d}.spf.test`);
      expect(s.mail.code).toBe(250);
      await s.c.cmd("QUIT");
      expect((await lastTrace(srv, "spf")).text).toContain(`spf=${result} (mailfrom=${d}.spf.test`);
    }
  });

  test("an include loop and a record needing more than 10 lookups are permerror (accepted, recorded)", async () => {
    for (const d of ["loop", "many"]) {
      const s = await session(srv, `x@${d}.spf.test`);
      expect(s.mail.code).toBe(250);
      await s.c.cmd("QUIT");
      expect((await lastTrace(srv, "spf")).text).toContain("spf=permerror");
    }
  });

  test("SERVFAIL → temperror → 451 4.4.3 at MAIL FROM", async () => {
    const s = await session(srv, "x@broken.test");
    expect(s.mail.code).toBe(451);
    expect(s.mail.text).toContain("4.4.3");
    await s.c.cmd("QUIT");
    expect(await lastTrace(srv, "spf")).toMatchObject({ verdict: "tempfail", code: 451 });
  });

  test("a DNS server that never answers → 451 4.4.3, neither accept nor reject", async () => {
    const s = await session(slow, "x@example.org");
    expect(s.mail.code).toBe(451);
    expect(s.mail.text).toContain("4.4.3");
    await s.c.cmd("QUIT");
  });
});
