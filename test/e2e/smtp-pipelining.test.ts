// PIPELINING (RFC 2920) on the real listener: a whole transaction in one write gets every
// reply in order; early talkers (data before the greeting, RFC 5321 §4.3.1) are dropped; out of
// order commands give the same replies however the bytes are split.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { defineHandler } from "../../src/events/handler.ts";
import { verdict, type Verdict } from "../../src/events/verdict.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";

// A deliberately slow smtp.mail handler: pipelined commands wait behind it, in order.
const slowMail = defineHandler({
  event: "smtp.mail",
  name: "slow-mail",
  async handle(e) {
    if (e.from.startsWith("slow@")) await new Promise((r) => setTimeout(r, 50));
    return verdict.continue();
  },
});

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ handlers: [slowMail] });
});
afterAll(async () => {
  await t.stop();
});

async function open(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port("mx"));
  expect((await c.reply()).code).toBe(220);
  return c;
}

async function readCodes(c: RawSmtp, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await c.reply()).lines.at(-1)!.slice(0, 9));
  return out;
}

async function bodies(address: string): Promise<string[]> {
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, "INBOX");
  const out: string[] = [];
  for (const m of await listMessages(t.server.db, box!.id)) {
    out.push(new TextDecoder().decode((await getBody(t.server.db, m.bodyHash))!.content));
  }
  return out;
}

let n = 0;
async function fresh(): Promise<string> {
  const a = `pipe${++n}@example.test`;
  await addAccount(t.server.db, a, "pw");
  return a;
}

describe("a whole transaction in one write", () => {
  test("EHLO, MAIL, RCPT×2, DATA, message, QUIT: every reply, in order", async () => {
    const to1 = await fresh();
    const to2 = await fresh();
    const c = await open();
    c.send(
      "EHLO client.test\r\n" +
        "MAIL FROM:<sender@other.test>\r\n" +
        `RCPT TO:<${to1}>\r\n` +
        "RCPT TO:<nobody@example.test>\r\n" +
        `RCPT TO:<${to2}>\r\n` +
        "DATA\r\n" +
        "Subject: pipelined\r\n\r\nbody\r\n.\r\n" +
        "QUIT\r\n",
    );
    const ehlo = await c.reply();
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines).toContain("250-PIPELINING");
    expect(await readCodes(c, 6)).toEqual(["250 2.1.0", "250 2.1.5", "550 5.1.1", "250 2.1.5", "354 End d", "250 2.0.0"]);
    expect((await c.reply()).code).toBe(221);
    expect(await c.waitClosed()).toBe(true);
    expect((await bodies(to1)).length).toBe(1);
    expect((await bodies(to2)).length).toBe(1);
  });

  test("two transactions back to back in one write, behind a slow handler", async () => {
    const to = await fresh();
    const c = await open();
    await c.cmd("EHLO client.test");
    const tx = (subject: string, from: string) =>
      `MAIL FROM:<${from}>\r\nRCPT TO:<${to}>\r\nDATA\r\nSubject: ${subject}\r\n\r\nx\r\n.\r\n`;
    c.send(tx("one", "slow@other.test") + "NOOP\r\n" + tx("two", "fast@other.test") + "RSET\r\n");
    expect(await readCodes(c, 10)).toEqual([
      "250 2.1.0",
      "250 2.1.5",
      "354 End d",
      "250 2.0.0",
      "250 2.0.0",
      "250 2.1.0",
      "250 2.1.5",
      "354 End d",
      "250 2.0.0",
      "250 2.0.0",
    ]);
    c.close();
    const stored = await bodies(to);
    expect(stored.map((b) => /Subject: (\w+)/.exec(b)![1])).toEqual(["one", "two"]);
  });

  test("BDAT chunks pipelined with their commands", async () => {
    const to = await fresh();
    const c = await open();
    const part1 = "Subject: bdat pipelined\r\n\r\n";
    const part2 = "hello\r\n";
    c.send(
      "EHLO client.test\r\nMAIL FROM:<sender@other.test>\r\n" +
        `RCPT TO:<${to}>\r\n` +
        `BDAT ${part1.length}\r\n${part1}` +
        `BDAT ${part2.length} LAST\r\n${part2}` +
        "NOOP\r\n",
    );
    expect((await c.reply()).code).toBe(250);
    expect(await readCodes(c, 5)).toEqual(["250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0", "250 2.0.0"]);
    c.close();
    const stored = await bodies(to);
    expect(stored.length).toBe(1);
    expect(stored[0].endsWith(part1 + part2)).toBe(true);
  });

  test("a burst of 2000 pipelined NOOPs gets 2000 replies", async () => {
    const c = await open();
    c.send("NOOP\r\n".repeat(2000));
    for (let i = 0; i < 2000; i++) expect((await c.reply()).code).toBe(250);
    expect((await c.cmd("QUIT")).code).toBe(221);
  });
});

describe("early talkers", () => {
  test("EHLO sent before the greeting (connect handler delays 200 ms): 554 and close, EHLO never answered", async () => {
    const delayConnect = defineHandler({
      event: "smtp.connect",
      name: "delay-connect",
      handle: () => new Promise<Verdict>((r) => setTimeout(() => r(verdict.continue()), 200)),
    });
    const s = await startTestServer({ handlers: [delayConnect] });
    try {
      const c = await RawSmtp.connect(s.port("mx"));
      c.send("EHLO early.test\r\nMAIL FROM:<a@b.test>\r\n");
      const replies: string[] = [];
      for (;;) {
        try {
          replies.push((await c.reply()).lines[0]);
        } catch {
          break;
        }
      }
      expect(c.closed).toBe(true);
      expect(replies.some((l) => l.startsWith("554 5.5.1 "))).toBe(true);
      // Nothing the early talker sent was executed.
      expect(replies.some((l) => l.startsWith("250"))).toBe(false);
      expect(replies.filter((l) => !l.startsWith("220 ")).length).toBe(1);
    } finally {
      await s.stop();
    }
  });

  test("a client that waits for the greeting is served normally by the same server", async () => {
    const delayConnect = defineHandler({
      event: "smtp.connect",
      name: "delay-connect",
      handle: () => new Promise<Verdict>((r) => setTimeout(() => r(verdict.continue()), 100)),
    });
    const s = await startTestServer({ handlers: [delayConnect] });
    try {
      const c = await RawSmtp.connect(s.port("mx"));
      expect((await c.reply()).code).toBe(220);
      expect((await c.cmd("EHLO patient.test")).code).toBe(250);
      c.close();
    } finally {
      await s.stop();
    }
  });
});

describe("out-of-order commands", () => {
  const script =
    "RCPT TO:<alice@example.test>\r\n" +
    "DATA\r\n" +
    "EHLO client.test\r\n" +
    "DATA\r\n" +
    "MAIL FROM:<sender@other.test>\r\n" +
    "MAIL FROM:<sender@other.test>\r\n" +
    "DATA\r\n" +
    "RCPT TO:<alice@example.test>\r\n" +
    "RSET\r\n" +
    "RCPT TO:<alice@example.test>\r\n" +
    "NOOP\r\n";
  const expected = ["503 5.5.1", "503 5.5.1", "250-mx.ex", "503 5.5.1", "250 2.1.0", "503 5.5.1", "554 5.5.1", "250 2.1.5", "250 2.0.0", "503 5.5.1", "250 2.0.0"];

  const replyHeads = async (c: RawSmtp) => {
    const out: string[] = [];
    for (let i = 0; i < expected.length; i++) out.push((await c.reply()).lines[0].slice(0, 9));
    return out;
  };

  test("in one write", async () => {
    const c = await open();
    c.send(script);
    expect(await replyHeads(c)).toEqual(expected);
    c.close();
  });

  test("byte by byte", async () => {
    const c = await open();
    for (const ch of script) c.send(ch);
    expect(await replyHeads(c)).toEqual(expected);
    c.close();
  });

  test("one command at a time", async () => {
    const c = await open();
    const out: string[] = [];
    for (const line of script.split("\r\n").filter(Boolean)) out.push((await c.cmd(line)).lines[0].slice(0, 9));
    expect(out).toEqual(expected);
    c.close();
  });
});
