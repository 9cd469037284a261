// CHUNKING / BDAT (RFC 3030) on the real listener: chunks concatenate, BDAT LAST and BDAT 0
// LAST end the message, DATA is refused after BDAT, and a refused BDAT still consumes its
// octets so the session stays in sync.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

let n = 0;
async function fresh(): Promise<string> {
  const a = `bdat${++n}@example.test`;
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

async function open(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port("mx"));
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).lines).toContain("250-CHUNKING");
  return c;
}

async function begin(c: RawSmtp, to: string): Promise<void> {
  expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
  expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
}

function bdat(c: RawSmtp, body: string, last = false) {
  c.send(`BDAT ${Buffer.byteLength(body)}${last ? " LAST" : ""}\r\n${body}`);
  return c.reply();
}

describe("chunks", () => {
  test("chunks are acknowledged with their size and concatenated at BDAT LAST", async () => {
    const to = await fresh();
    const c = await open();
    await begin(c, to);
    expect((await bdat(c, "Subject: chunks\r\n")).lines).toEqual(["250 2.0.0 17 octets received"]);
    expect((await bdat(c, "\r\nfirst part, ")).code).toBe(250);
    const last = await bdat(c, "second part\r\n", true);
    expect(last.lines[0]).toMatch(/^250 2\.0\.0 Ok: queued as \S+$/);
    c.close();
    const msgs = await stored(to);
    expect(msgs.length).toBe(1);
    expect(msgs[0].endsWith("Subject: chunks\r\n\r\nfirst part, second part\r\n")).toBe(true);
    expect(msgs[0]).toStartWith(`Return-Path: <sender@other.test>\r\nReceived: from client.test`);
  });

  test("BDAT 0 LAST ends a chunked message", async () => {
    const to = await fresh();
    const c = await open();
    await begin(c, to);
    expect((await bdat(c, "Subject: zero last\r\n\r\nbody\r\n")).code).toBe(250);
    c.send("BDAT 0 LAST\r\n");
    expect((await c.reply()).lines[0]).toStartWith("250 2.0.0 Ok: queued as ");
    c.close();
    expect((await stored(to)).length).toBe(1);
  });

  test("binary content (bare CR/LF, NUL, a lone dot line) is stored verbatim", async () => {
    const to = await fresh();
    const c = await open();
    await begin(c, to);
    const content = "Subject: raw\r\n\r\nline\nwith bare LF\rand CR\r\n.\r\n..\r\n\x00end\r\n";
    expect((await bdat(c, content, true)).code).toBe(250);
    c.close();
    const msgs = await stored(to);
    expect(msgs[0].endsWith(content)).toBe(true);
  });

  test("RSET drops collected chunks: the next message contains only its own", async () => {
    const to = await fresh();
    const c = await open();
    await begin(c, to);
    expect((await bdat(c, "Subject: stale\r\n\r\nSTALE-CHUNK\r\n")).code).toBe(250);
    expect((await c.cmd("RSET")).code).toBe(250);
    await begin(c, to);
    expect((await bdat(c, "Subject: fresh\r\n\r\nfresh\r\n", true)).code).toBe(250);
    c.close();
    const msgs = await stored(to);
    expect(msgs.length).toBe(1);
    expect(msgs[0]).not.toContain("STALE-CHUNK");
    expect(msgs[0].endsWith("Subject: fresh\r\n\r\nfresh\r\n")).toBe(true);
  });

  test("two chunked transactions in a row are independent", async () => {
    const to = await fresh();
    const c = await open();
    await begin(c, to);
    expect((await bdat(c, "Subject: one\r\n\r\n1\r\n", true)).code).toBe(250);
    await begin(c, to);
    expect((await bdat(c, "Subject: two\r\n\r\n2\r\n", true)).code).toBe(250);
    c.close();
    const msgs = await stored(to);
    expect(msgs.length).toBe(2);
    expect(msgs[1]).not.toContain("Subject: one");
  });
});

describe("refusals keep the session in sync", () => {
  test("DATA after BDAT: 503 5.5.1 (RFC 3030 §2); RCPT after BDAT too", async () => {
    const to = await fresh();
    const c = await open();
    await begin(c, to);
    expect((await bdat(c, "Subject: mixed\r\n")).code).toBe(250);
    expect((await c.cmd("DATA")).lines[0]).toStartWith("503 5.5.1 ");
    expect((await c.cmd("RCPT TO:<alice@example.test>")).lines[0]).toStartWith("503 5.5.1 ");
    // The chunked message can still be finished.
    expect((await bdat(c, "\r\nok\r\n", true)).code).toBe(250);
    c.close();
    expect((await stored(to)).length).toBe(1);
  });

  test("BDAT without MAIL: the chunk is consumed (not run as commands) and refused with 503", async () => {
    const c = await open();
    const r = await bdat(c, "QUIT\r\nRSET\r\n");
    expect(r.lines[0]).toStartWith("503 5.5.1 ");
    // The QUIT inside the chunk was not executed.
    expect((await c.cmd("NOOP")).lines).toEqual(["250 2.0.0 Ok"]);
    expect(c.closed).toBe(false);
    c.close();
  });

  test("BDAT without an accepted RCPT: the chunk is consumed and refused, and the session goes on", async () => {
    const to = await fresh();
    const c = await open();
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<nobody@example.test>")).code).toBe(550);
    const r = await bdat(c, "QUIT\r\n", true);
    expect(r.lines[0]).toStartWith("554 5.5.1 ");
    expect((await c.cmd("NOOP")).lines).toEqual(["250 2.0.0 Ok"]);
    // A recipient can still be added and the message sent.
    expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
    expect((await bdat(c, "Subject: later\r\n\r\nx\r\n", true)).code).toBe(250);
    c.close();
    expect((await stored(to)).length).toBe(1);
  });

  test("malformed BDAT arguments are 501", async () => {
    const c = await open();
    expect((await c.cmd("BDAT")).lines[0]).toStartWith("501 ");
    expect((await c.cmd("BDAT x")).lines[0]).toStartWith("501 5.5.4 ");
    expect((await c.cmd("BDAT 10 FIRST")).lines[0]).toStartWith("501 5.5.4 ");
    expect((await c.cmd("BDAT -1")).lines[0]).toStartWith("501 5.5.4 ");
    expect((await c.cmd("NOOP")).code).toBe(250);
    c.close();
  });

  test("a chunk split over several writes is collected whole", async () => {
    const to = await fresh();
    const c = await open();
    await begin(c, to);
    const body = "Subject: split chunk\r\n\r\n" + "s".repeat(5000) + "\r\n";
    c.send(`BDAT ${body.length} LAST\r\n`);
    for (let i = 0; i < body.length; i += 777) c.send(body.slice(i, i + 777));
    c.send("NOOP\r\n");
    expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).lines).toEqual(["250 2.0.0 Ok"]);
    c.close();
    expect((await stored(to))[0].endsWith(body)).toBe(true);
  });
});
