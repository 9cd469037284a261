// LMTP (RFC 2033) on the real listener: LHLO only, recipients checked at RCPT, and after the
// final dot one reply per accepted recipient — refusals included, so the client stays in sync.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { defineHandler } from "../../src/events/handler.ts";
import { verdict } from "../../src/events/verdict.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";
import { listQueue } from "../../src/store/queue.ts";

const contentPolicy = defineHandler({
  event: "smtp.data",
  name: "lmtp-content-policy",
  handle: (e) =>
    new TextDecoder().decode(e.message).includes("Subject: refuse") ? verdict.reject(550, "5.7.1", "Content refused") : verdict.continue(),
});

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ handlers: [contentPolicy], limits: { maxMessageBytes: 4096 } });
});
afterAll(async () => {
  await t.stop();
});

async function open(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port("lmtp"));
  const banner = await c.reply();
  expect(banner.lines).toEqual(["220 mx.example.test LMTP Hikyaku"]);
  return c;
}

let n = 0;
async function fresh(): Promise<string> {
  const a = `lmtp${++n}@example.test`;
  await addAccount(t.server.db, a, "pw");
  return a;
}

async function stored(address: string): Promise<string[]> {
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, "INBOX");
  const out: string[] = [];
  for (const m of await listMessages(t.server.db, box!.id)) {
    out.push(new TextDecoder().decode((await getBody(t.server.db, m.bodyHash))!.content));
  }
  return out;
}

describe("greeting", () => {
  test("HELO and EHLO are refused; LHLO lists the extensions", async () => {
    const c = await open();
    expect((await c.cmd("HELO client.test")).lines[0]).toStartWith("500 5.5.1 ");
    expect((await c.cmd("EHLO client.test")).lines[0]).toStartWith("500 5.5.1 ");
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).lines[0]).toStartWith("503 5.5.1 ");
    const r = await c.cmd("LHLO client.test");
    expect(r.code).toBe(250);
    expect(r.lines[0]).toBe("250-mx.example.test Hello client.test [127.0.0.1]");
    expect(r.lines).toContain("250-PIPELINING");
    expect(r.lines).toContain("250-ENHANCEDSTATUSCODES");
    expect(r.lines.some((l) => l.includes("AUTH"))).toBe(false);
    c.close();
  });
});

describe("delivery", () => {
  test("one reply per accepted recipient after DATA, in RCPT order; unknown refused at RCPT", async () => {
    const a = await fresh();
    const b = await fresh();
    const c = await open();
    await c.cmd("LHLO client.test");
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd(`RCPT TO:<${a}>`)).code).toBe(250);
    expect((await c.cmd("RCPT TO:<nobody@example.test>")).lines[0]).toStartWith("550 5.1.1 ");
    expect((await c.cmd("RCPT TO:<x@foreign.test>")).lines[0]).toStartWith("554 5.7.1 ");
    expect((await c.cmd(`RCPT TO:<${b}>`)).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    c.send("Subject: lmtp\r\n\r\nhello\r\n.\r\n");
    const r1 = await c.reply();
    const r2 = await c.reply();
    expect(r1.lines[0]).toMatch(new RegExp(`^250 2\\.0\\.0 <${a}> `));
    expect(r2.lines[0]).toMatch(new RegExp(`^250 2\\.0\\.0 <${b}> `));
    // No third reply: the next reply answers the NOOP.
    expect((await c.cmd("NOOP")).lines).toEqual(["250 2.0.0 Ok"]);
    c.close();
    expect((await stored(a)).length).toBe(1);
    expect((await stored(b)).length).toBe(1);
    expect((await stored(a))[0]).toContain("with LMTP id");
    expect(await listQueue(t.server.db)).toEqual([]);
  });

  test("a policy refusal after the dot is answered once per recipient", async () => {
    const a = await fresh();
    const b = await fresh();
    const c = await open();
    await c.cmd("LHLO client.test");
    await c.cmd("MAIL FROM:<sender@other.test>");
    await c.cmd(`RCPT TO:<${a}>`);
    await c.cmd(`RCPT TO:<${b}>`);
    expect((await c.cmd("DATA")).code).toBe(354);
    c.send("Subject: refuse\r\n\r\nhello\r\n.\r\nNOOP\r\n");
    expect((await c.reply()).lines).toEqual(["550 5.7.1 Content refused"]);
    expect((await c.reply()).lines).toEqual(["550 5.7.1 Content refused"]);
    expect((await c.reply()).lines).toEqual(["250 2.0.0 Ok"]);
    c.close();
    expect((await stored(a)).length).toBe(0);
  });

  for (const [what, body, code] of [
    ["bare LF in the data", "Subject: bare\r\n\r\nbad\nline\r\n.\r\n", "550 5.6.0"],
    ["a message over the size limit", `Subject: big\r\n\r\n${("x".repeat(70) + "\r\n").repeat(100)}.\r\n`, "552 5.3.4"],
    ["a line over 1000 octets", `Subject: long\r\n\r\n${"y".repeat(1200)}\r\n.\r\n`, "550 5.6.0"],
  ] as const) {
    test(`${what} is refused once per recipient (RFC 2033 §4.2)`, async () => {
      const a = await fresh();
      const b = await fresh();
      const c = await open();
      await c.cmd("LHLO client.test");
      await c.cmd("MAIL FROM:<sender@other.test>");
      await c.cmd(`RCPT TO:<${a}>`);
      await c.cmd(`RCPT TO:<${b}>`);
      expect((await c.cmd("DATA")).code).toBe(354);
      c.send(body + "NOOP\r\n");
      expect((await c.reply()).lines[0]).toStartWith(code + " ");
      expect((await c.reply()).lines[0]).toStartWith(code + " ");
      expect((await c.reply()).lines).toEqual(["250 2.0.0 Ok"]);
      c.close();
      expect((await stored(a)).length).toBe(0);
    });
  }

  test("BDAT LAST delivers with one reply per recipient; a failed BDAT LAST refuses per recipient", async () => {
    const a = await fresh();
    const b = await fresh();
    const c = await open();
    await c.cmd("LHLO client.test");
    await c.cmd("MAIL FROM:<sender@other.test>");
    await c.cmd(`RCPT TO:<${a}>`);
    await c.cmd(`RCPT TO:<${b}>`);
    const msg = "Subject: lmtp bdat\r\n\r\nhi\r\n";
    c.send(`BDAT ${msg.length} LAST\r\n${msg}NOOP\r\n`);
    expect((await c.reply()).lines[0]).toStartWith(`250 2.0.0 <${a}> `);
    expect((await c.reply()).lines[0]).toStartWith(`250 2.0.0 <${b}> `);
    expect((await c.reply()).lines).toEqual(["250 2.0.0 Ok"]);

    await c.cmd("MAIL FROM:<sender@other.test>");
    await c.cmd(`RCPT TO:<${a}>`);
    await c.cmd(`RCPT TO:<${b}>`);
    const big = "z".repeat(5000);
    c.send(`BDAT ${big.length} LAST\r\n${big}NOOP\r\n`);
    expect((await c.reply()).lines[0]).toStartWith("552 5.3.4 ");
    expect((await c.reply()).lines[0]).toStartWith("552 5.3.4 ");
    expect((await c.reply()).lines).toEqual(["250 2.0.0 Ok"]);
    c.close();
    expect((await stored(a)).length).toBe(1);
  });

  test("DATA with no accepted recipient is 503 (RFC 2033 §4.2)", async () => {
    const c = await open();
    await c.cmd("LHLO client.test");
    await c.cmd("MAIL FROM:<sender@other.test>");
    expect((await c.cmd("RCPT TO:<nobody@example.test>")).code).toBe(550);
    expect((await c.cmd("DATA")).lines[0]).toStartWith("503 5.5.1 ");
    c.close();
  });

  test("an address literal is refused at RCPT, nothing queued", async () => {
    const c = await open();
    await c.cmd("LHLO client.test");
    await c.cmd("MAIL FROM:<sender@other.test>");
    expect((await c.cmd("RCPT TO:<x@[127.0.0.1]>")).lines[0]).toStartWith("554 5.7.1 ");
    c.close();
    expect(await listQueue(t.server.db)).toEqual([]);
  });
});
