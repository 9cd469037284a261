// DSN parameters (RFC 3461) and REQUIRETLS (RFC 8689) on an authenticated submission: they are
// parsed, validated and stored with the queue entry, so delivery and bounces can honour them.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { getQueueEntry, listQueue } from "../../src/store/queue.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
});
afterAll(async () => {
  await t.stop();
});

const plain = Buffer.from("\0alice@example.test\0alice-pw").toString("base64");

async function session(opts: { tls: boolean }): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port("submission"));
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  if (opts.tls) {
    expect((await c.cmd("STARTTLS")).code).toBe(220);
    await c.startTls();
    expect((await c.cmd("EHLO client.test")).code).toBe(250);
  }
  expect((await c.cmd(`AUTH PLAIN ${plain}`)).code).toBe(235);
  return c;
}

/** Sends a small message and returns the queue id from "250 2.0.0 Ok: queued as <id>". */
async function finish(c: RawSmtp, subject: string): Promise<string> {
  expect((await c.cmd("DATA")).code).toBe(354);
  const r = await c.cmd(`Subject: ${subject}\r\n\r\nbody\r\n.`);
  expect(r.code).toBe(250);
  return /queued as (\S+)/.exec(r.lines[0])![1];
}

describe("DSN", () => {
  test("ENVID/RET on MAIL and NOTIFY/ORCPT on RCPT are stored with the queue entry", async () => {
    const c = await session({ tls: false });
    expect((await c.cmd("MAIL FROM:<alice@example.test> RET=HDRS ENVID=QQ314159+2Bx")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<x@remote.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x+40remote.test")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<y@remote.test> NOTIFY=NEVER")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<z@remote.test>")).code).toBe(250);
    const id = await finish(c, "dsn");
    c.close();
    const q = await getQueueEntry(t.server.db, id);
    expect(q).not.toBeNull();
    expect(q!.mailFrom).toBe("alice@example.test");
    expect(q!.envid).toBe("QQ314159+x"); // xtext decoded (RFC 3461 §4)
    expect(q!.ret).toBe("HDRS");
    expect(q!.authUser).toBe("alice@example.test");
    expect(q!.clientIp).toBe("127.0.0.1");
    const byAddress = new Map(q!.recipients.map((r) => [r.address, r]));
    expect(byAddress.get("x@remote.test")!.notify).toBe("SUCCESS,FAILURE");
    expect(byAddress.get("x@remote.test")!.orcpt).toBe("rfc822;x@remote.test");
    expect(byAddress.get("y@remote.test")!.notify).toBe("NEVER");
    expect(byAddress.get("z@remote.test")!.notify).toBeNull();
    expect(byAddress.get("z@remote.test")!.orcpt).toBeNull();
  });

  test("RET=FULL, SMTPUTF8 and BODY=8BITMIME are kept too", async () => {
    const c = await session({ tls: false });
    expect((await c.cmd("MAIL FROM:<alice@example.test> RET=FULL BODY=8BITMIME SMTPUTF8")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<u@remote.test> NOTIFY=DELAY")).code).toBe(250);
    const id = await finish(c, "full");
    c.close();
    const q = await getQueueEntry(t.server.db, id);
    expect(q!.ret).toBe("FULL");
    expect(q!.smtputf8).toBe(true);
    expect(q!.bodyType).toBe("8BITMIME");
    expect(q!.envid).toBeNull();
    expect(q!.recipients[0].notify).toBe("DELAY");
  });

  test("malformed DSN parameters are refused with 501 and nothing is queued", async () => {
    const before = (await listQueue(t.server.db)).length;
    const c = await session({ tls: false });
    for (const mail of [
      "MAIL FROM:<alice@example.test> RET=BOGUS",
      "MAIL FROM:<alice@example.test> RET=FULL RET=HDRS",
      `MAIL FROM:<alice@example.test> ENVID=${"e".repeat(101)}`,
    ]) {
      expect((await c.cmd(mail)).code).toBe(501);
    }
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    for (const rcpt of [
      "RCPT TO:<x@remote.test> NOTIFY=NEVER,SUCCESS",
      "RCPT TO:<x@remote.test> NOTIFY=SOMETIMES",
      "RCPT TO:<x@remote.test> ORCPT=x@remote.test",
    ]) {
      expect((await c.cmd(rcpt)).code).toBe(501);
    }
    expect((await c.cmd("DATA")).code).toBe(554);
    c.close();
    expect((await listQueue(t.server.db)).length).toBe(before);
  });
});

describe("REQUIRETLS", () => {
  test("without TLS: not advertised, and MAIL ... REQUIRETLS is refused", async () => {
    const c = await RawSmtp.connect(t.port("submission"));
    await c.reply();
    const ehlo = await c.cmd("EHLO client.test");
    expect(ehlo.lines.map((l) => l.slice(4))).not.toContain("REQUIRETLS");
    expect((await c.cmd(`AUTH PLAIN ${plain}`)).code).toBe(235);
    const r = await c.cmd("MAIL FROM:<alice@example.test> REQUIRETLS");
    expect(r.lines[0]).toStartWith("530 5.7.10 ");
    // No transaction was started.
    expect((await c.cmd("RCPT TO:<x@remote.test>")).code).toBe(503);
    c.close();
  });

  test("under TLS: accepted and stored with the queue entry", async () => {
    const c = await session({ tls: true });
    expect((await c.cmd("MAIL FROM:<alice@example.test> REQUIRETLS")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<secure@remote.test> NOTIFY=FAILURE")).code).toBe(250);
    const id = await finish(c, "requiretls");
    c.close();
    const q = await getQueueEntry(t.server.db, id);
    expect(q!.requiretls).toBe(true);
    expect(q!.recipients[0].notify).toBe("FAILURE");
  });

  test("without the parameter the queue entry does not require TLS", async () => {
    const c = await session({ tls: true });
    expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<plain@remote.test>")).code).toBe(250);
    const id = await finish(c, "no-requiretls");
    c.close();
    expect((await getQueueEntry(t.server.db, id))!.requiretls).toBe(false);
  });
});
