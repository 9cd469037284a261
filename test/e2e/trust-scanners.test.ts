// The content scanners end to end: a real Hikyaku server (SMTP on 127.0.0.1) with the clamav,
// rspamd and spamassassin handlers in its pipeline, talking to real clamd, rspamd and spamd
// started from Debian packages with the tests' own configuration; plus a scanner that is
// down and one that hangs, seen from the SMTP client.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { clamav } from "../../handlers/clamav.ts";
import { rspamd } from "../../handlers/rspamd.ts";
import { spamassassin } from "../../handlers/spamassassin.ts";
import type { Config } from "../../src/config/schema.ts";
import { defineHandler, type AnyHandler } from "../../src/events/handler.ts";
import { verdict } from "../../src/events/verdict.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";
import { findTraces } from "../../src/store/traces.ts";
import { clamdTool, EICAR, freePort, scannerConfig, startClamd, VIRUS_TOKEN, type Clamd } from "../helpers/clamd.ts";
import { JUNK_TOKEN, rspamdTool, startRspamd, type Rspamd } from "../helpers/rspamd.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { SPAM_TOKEN, spamdTool, startSpamd, type Spamd } from "../helpers/spamd.ts";
import { NO_DNS_CHECKS, startTestServer, type TestServer } from "../helpers/server.ts";

// Handlers are built from a config; the scanners read only trust.trustedNetworks from it.
const config: Config = scannerConfig();

/** Remembers each transaction id by its Subject, so a test can read that transaction's trace. */
function recorder(seen: Map<string, string>): AnyHandler {
  return defineHandler({
    event: "smtp.data",
    name: "record-tx",
    handle({ envelope, message }) {
      const subject = /^Subject: (.*)$/m.exec(new TextDecoder().decode(message))?.[1]?.trim();
      if (subject) seen.set(subject, envelope.transactionId);
      return verdict.continue();
    },
  });
}

async function send(port: number, subject: string, body: string, extra = ""): Promise<{ code: number; text: string }> {
  const c = await RawSmtp.connect(port);
  try {
    expect((await c.reply()).code).toBe(220);
    expect((await c.cmd("EHLO client.test")).code).toBe(250);
    expect((await c.cmd("MAIL FROM:<x@client.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    const r = await c.cmd(`${extra}From: <x@client.test>\r\nTo: <alice@example.test>\r\nSubject: ${subject}\r\n\r\n${body}\r\n.`, 40_000);
    await c.cmd("QUIT").catch(() => null);
    return { code: r.code, text: r.lines.join("\n") };
  } finally {
    c.close();
  }
}

async function stored(srv: TestServer, mailbox: string): Promise<string[]> {
  const db = srv.server.db;
  const acct = await findAccount(db, "alice@example.test");
  const box = await findMailbox(db, acct!.id, mailbox);
  if (!box) return [];
  const out: string[] = [];
  for (const m of await listMessages(db, box.id)) out.push(new TextDecoder().decode((await getBody(db, m.bodyHash))!.content));
  return out;
}

const all = [clamdTool, rspamdTool, spamdTool];
describe.skipIf(all.some((t) => t.skip))("through a real server with clamd, rspamd and spamd", () => {
  let clamd: Clamd;
  let rsp: Rspamd;
  let spamd: Spamd;
  let srv: TestServer;
  let saSrv: TestServer;
  const seen = new Map<string, string>();
  beforeAll(async () => {
    [clamd, rsp, spamd] = await Promise.all([startClamd(), startRspamd(), startSpamd()]);
    srv = await startTestServer({
      trust: { trustedNetworks: [], ...NO_DNS_CHECKS },
      handlers: (defaults) => [...defaults, recorder(seen), ...clamav({ host: "127.0.0.1", port: clamd.port }, config), ...rspamd({ url: rsp.url }, config)],
    });
    saSrv = await startTestServer({
      trust: { trustedNetworks: [], ...NO_DNS_CHECKS },
      handlers: (defaults) => [...defaults, ...spamassassin({ host: "127.0.0.1", port: spamd.port, actions: { "add header": "tag" } }, config)],
    });
  }, 180_000);
  afterAll(async () => {
    await srv?.stop();
    await saSrv?.stop();
    await Promise.all([clamd?.stop(), rsp?.stop(), spamd?.stop()]);
  });

  test("a virus is refused at DATA with 554 5.7.1 and its name", async () => {
    const b64 = Buffer.from(EICAR).toString("base64");
    const r = await send(srv.port("mx"), "invoice", `--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b--`, 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n');
    expect(r.code).toBe(554);
    expect(r.text).toMatch(/^554 5\.7\.1 message contains a virus: Eicar-Test-Signature/);
    const r2 = await send(srv.port("mx"), "token", `x ${VIRUS_TOKEN} y`);
    expect(r2.text).toMatch(/^554 5\.7\.1 message contains a virus: Hikyaku\.Test\.Token/);
  });

  test("rspamd reject → 550 5.7.1; nothing stored", async () => {
    const r = await send(srv.port("mx"), "buy", `cheap ${SPAM_TOKEN}`);
    expect(r.code).toBe(550);
    expect(r.text).toMatch(/^550 5\.7\.1 /);
    expect((await stored(srv, "INBOX")).join("")).not.toContain(SPAM_TOKEN);
  });

  test("rspamd add header → filed into Junk with X-Spam fields; the forged one is gone; the trace has the score", async () => {
    const r = await send(srv.port("mx"), "maybe", `hmm ${JUNK_TOKEN}`, "X-Spam-Flag: NO\r\nX-Spam-Score: -100\r\n");
    expect(r.code).toBe(250);
    const junk = (await stored(srv, "Junk")).find((m) => m.includes(JUNK_TOKEN));
    expect(junk).toBeDefined();
    expect(junk).toContain("X-Spam-Flag: YES\r\n");
    expect(junk).toContain("X-Spam-Score: 8.00\r\n");
    expect(junk).not.toContain("X-Spam-Flag: NO");
    expect(junk).not.toContain("X-Spam-Score: -100");
    await srv.server.flushTraces();
    const entry = (await findTraces(srv.server.db, seen.get("maybe")!)).find((t) => t.handler === "rspamd");
    expect(entry).toMatchObject({ verdict: "quarantine" });
    expect(entry!.text).toMatch(/^rspamd: add header score=8\.00\/15\.00 symbols=.*HIKYAKU_TEST_JUNK/);
  });

  test("a clean message reaches INBOX; forged X-Spam-Status removed; clamav and rspamd traced", async () => {
    const r = await send(srv.port("mx"), "lunch", "Dear Alice, lunch tomorrow?", "X-Spam-Status: No, score=-50 (forged)\r\n");
    expect(r.code).toBe(250);
    const m = (await stored(srv, "INBOX")).find((x) => x.includes("lunch tomorrow"));
    expect(m).toBeDefined();
    expect(m).not.toContain("forged");
    expect(m).not.toContain("X-Spam-");
    await srv.server.flushTraces();
    const traces = await findTraces(srv.server.db, seen.get("lunch")!);
    expect(traces.find((t) => t.handler === "clamav")).toMatchObject({ verdict: "continue", text: "clamav: clean" });
    expect(traces.find((t) => t.handler === "rspamd")?.text).toMatch(/^rspamd: no action score=/);
  });

  test("SpamAssassin: spam above rejectScore → 550; spam tagged into INBOX when configured", async () => {
    expect((await send(saSrv.port("mx"), "win", `prize ${SPAM_TOKEN}`)).code).toBe(550);
    const spamd2 = await startTestServer({
      trust: { trustedNetworks: [], ...NO_DNS_CHECKS },
      handlers: (defaults) => [...defaults, ...spamassassin({ host: "127.0.0.1", port: spamd.port, rejectScore: 100, actions: { "add header": "tag" } }, config)],
    });
    try {
      expect((await send(spamd2.port("mx"), "win", `prize ${SPAM_TOKEN}`)).code).toBe(250);
      const m = (await stored(spamd2, "INBOX")).find((x) => x.includes(SPAM_TOKEN));
      expect(m).toContain("X-Spam-Flag: YES\r\n");
      expect(m).toMatch(/X-Spam-Status: Yes, score=\d+\.\d\d required=5\.00 action=add_header scanner=spamassassin/);
      expect(m).toMatch(/X-Spam-Symbols: .*HIKYAKU_TEST/);
    } finally {
      await spamd2.stop();
    }
  });
});

describe("scanners that are down or hang, seen from SMTP", () => {
  let srvDown: TestServer;
  let srvHang: TestServer;
  const sockets = new Set<net.Socket>();
  const hanging = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
  });
  beforeAll(async () => {
    const dead = await freePort();
    await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
    const hangPort = (hanging.address() as net.AddressInfo).port;
    srvDown = await startTestServer({
      trust: { trustedNetworks: [], ...NO_DNS_CHECKS },
      handlers: (defaults) => [...defaults, ...clamav({ host: "127.0.0.1", port: dead }, config), ...rspamd({ url: `http://127.0.0.1:${dead}` }, config)],
    });
    srvHang = await startTestServer({
      trust: { trustedNetworks: [], ...NO_DNS_CHECKS },
      handlers: (defaults) => [...defaults, ...spamassassin({ host: "127.0.0.1", port: hangPort, timeoutMs: 300 }, config)],
    });
  });
  afterAll(async () => {
    await srvDown?.stop();
    await srvHang?.stop();
    for (const s of sockets) s.destroy();
    hanging.close();
  });

  test("scanner down at start-up → 451 4.3.0, the message is not accepted", async () => {
    const r = await send(srvDown.port("mx"), "hello", "hi");
    expect(r.text).toMatch(/^451 4\.3\.0 Virus scanner unavailable/);
  });

  test("scanner that accepts and never answers → 451 (our own deadline)", async () => {
    const r = await send(srvHang.port("mx"), "hello", "hi");
    expect(r.text).toMatch(/^451 4\.3\.0 Content scanner unavailable/);
  });
});
