// SMTP smuggling (DESIGN §5): DATA ends only at CRLF "." CRLF. A bare CR or LF around a dot
// must never end the message, so commands hidden after it never become a second transaction.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";
import { listQueue } from "../../src/store/queue.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

/** The fake end-of-data sequences of the SMTP smuggling research (SEC Consult, 2023). */
const FAKE_ENDS: [string, string][] = [
  ["\\n.\\n", "\n.\n"],
  ["\\r.\\r", "\r.\r"],
  ["\\r.\\n", "\r.\n"],
  ["\\n.\\r", "\n.\r"],
  ["\\n.\\r\\n", "\n.\r\n"],
  ["\\r\\n.\\n", "\r\n.\n"],
  ["\\r.\\r\\n", "\r.\r\n"],
  ["\\r\\n.\\r", "\r\n.\r"],
];

async function messagesOf(address: string): Promise<string[]> {
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, "INBOX");
  const out: string[] = [];
  for (const m of await listMessages(t.server.db, box!.id)) {
    out.push(new TextDecoder().decode((await getBody(t.server.db, m.bodyHash))!.content));
  }
  return out;
}

/** Reads every reply until the server closes the connection. */
async function repliesUntilClosed(c: RawSmtp): Promise<number[]> {
  const codes: number[] = [];
  for (;;) {
    try {
      codes.push((await c.reply()).code);
    } catch {
      expect(c.closed).toBe(true);
      return codes;
    }
  }
}

let n = 0;

describe.each(FAKE_ENDS)("fake end-of-data %s", (_name, fake) => {
  for (const split of [false, true]) {
    test(`the smuggled transaction is never accepted${split ? " (fake end in its own write)" : ""}`, async () => {
      const victim = `victim${++n}@example.test`;
      await addAccount(t.server.db, victim, "pw");
      const c = await RawSmtp.connect(t.port("mx"));
      expect((await c.reply()).code).toBe(220);
      expect((await c.cmd("EHLO attacker.test")).code).toBe(250);
      expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
      expect((await c.cmd(`RCPT TO:<${victim}>`)).code).toBe(250);
      expect((await c.cmd("DATA")).code).toBe(354);
      const head = "From: sender@other.test\r\nSubject: legit\r\n\r\nfirst message";
      const smuggled =
        "MAIL FROM:<ceo@example.test>\r\n" +
        `RCPT TO:<${victim}>\r\n` +
        "RCPT TO:<x@foreign.test>\r\n" +
        "DATA\r\n" +
        "From: ceo@example.test\r\nSubject: smuggled\r\n\r\nevil\r\n";
      if (split) {
        c.send(head);
        c.send(fake);
        c.send(smuggled);
      } else {
        c.send(head + fake + smuggled);
      }
      // The only real end of data.
      c.send(".\r\n");
      const end = await c.reply();
      // One reply for the whole thing: a refusal of the bare CR/LF (RFC 5321 §2.3.8).
      expect(end.lines).toEqual(["550 5.6.0 Bare CR or LF in message data is not allowed (RFC 5321 section 2.3.8)"]);
      c.send("QUIT\r\n");
      // Nothing between the end-of-data reply and the QUIT reply: no MAIL/RCPT/DATA was executed.
      expect(await repliesUntilClosed(c)).toEqual([221]);
      const stored = await messagesOf(victim);
      expect(stored.length).toBeLessThanOrEqual(1);
      expect(stored.some((m) => m.includes("smuggled") || m.includes("evil"))).toBe(false);
      expect((await listQueue(t.server.db)).length).toBe(0);
    });
  }

  test("the session stays in sync: the next real transaction is stored exactly once", async () => {
    const victim = `victim${++n}@example.test`;
    await addAccount(t.server.db, victim, "pw");
    const c = await RawSmtp.connect(t.port("mx"));
    await c.reply();
    await c.cmd("EHLO attacker.test");
    await c.cmd("MAIL FROM:<sender@other.test>");
    await c.cmd(`RCPT TO:<${victim}>`);
    await c.cmd("DATA");
    c.send(`Subject: first\r\n\r\nbody${fake}MAIL FROM:<ceo@example.test>\r\nRCPT TO:<${victim}>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n`);
    expect((await c.reply()).code).toBe(550);
    // A clean follow-up transaction in the same session.
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd(`RCPT TO:<${victim}>`)).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd("Subject: clean\r\n\r\nhello\r\n.")).code).toBe(250);
    c.send("QUIT\r\n");
    expect(await repliesUntilClosed(c)).toEqual([221]);
    const stored = await messagesOf(victim);
    expect(stored.length).toBe(1);
    expect(stored[0]).toContain("Subject: clean");
    expect(stored[0]).not.toContain("smuggled");
  });
});

describe("the real end of data", () => {
  test("dot-stuffed lines are unstuffed and never end the message", async () => {
    const victim = `victim${++n}@example.test`;
    await addAccount(t.server.db, victim, "pw");
    const c = await RawSmtp.connect(t.port("mx"));
    await c.reply();
    await c.cmd("EHLO client.test");
    await c.cmd("MAIL FROM:<sender@other.test>");
    await c.cmd(`RCPT TO:<${victim}>`);
    await c.cmd("DATA");
    // "..\r\n" is a stuffed "." line; "..MAIL" a stuffed line starting with a dot.
    c.send("Subject: dots\r\n\r\nline1\r\n..\r\n..MAIL FROM:<x@y.test>\r\n...\r\nend\r\n.\r\n");
    expect((await c.reply()).code).toBe(250);
    c.send("QUIT\r\n");
    expect(await repliesUntilClosed(c)).toEqual([221]);
    const stored = await messagesOf(victim);
    expect(stored.length).toBe(1);
    expect(stored[0].endsWith("Subject: dots\r\n\r\nline1\r\n.\r\n.MAIL FROM:<x@y.test>\r\n..\r\nend\r\n")).toBe(true);
  });

  test("CRLF.CRLF split across many writes still ends the data exactly once", async () => {
    const victim = `victim${++n}@example.test`;
    await addAccount(t.server.db, victim, "pw");
    const c = await RawSmtp.connect(t.port("mx"));
    await c.reply();
    await c.cmd("EHLO client.test");
    await c.cmd("MAIL FROM:<sender@other.test>");
    await c.cmd(`RCPT TO:<${victim}>`);
    await c.cmd("DATA");
    for (const piece of ["Subject: split\r\n\r\nbody", "\r", "\n", ".", "\r", "\n", "NOOP\r\n"]) c.send(piece);
    expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).code).toBe(250); // the NOOP after the end
    c.close();
    expect((await messagesOf(victim)).length).toBe(1);
  });

  test("a BDAT chunk containing CRLF.CRLF and commands is message content, not commands", async () => {
    const victim = `victim${++n}@example.test`;
    await addAccount(t.server.db, victim, "pw");
    const c = await RawSmtp.connect(t.port("mx"));
    await c.reply();
    await c.cmd("EHLO client.test");
    await c.cmd("MAIL FROM:<sender@other.test>");
    await c.cmd(`RCPT TO:<${victim}>`);
    const chunk = `Subject: bdat\r\n\r\nbody\r\n.\r\nMAIL FROM:<ceo@example.test>\r\nRCPT TO:<${victim}>\r\nDATA\r\n`;
    c.send(`BDAT ${Buffer.byteLength(chunk)} LAST\r\n${chunk}`);
    expect((await c.reply()).code).toBe(250);
    c.send("QUIT\r\n");
    expect(await repliesUntilClosed(c)).toEqual([221]);
    const stored = await messagesOf(victim);
    expect(stored.length).toBe(1);
    expect(stored[0].endsWith(chunk)).toBe(true);
  });
});
