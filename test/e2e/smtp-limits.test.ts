// Every buffer has a cap (DESIGN §5): command line, text line, message size (SIZE, DATA and
// BDAT), recipients, header block, connections (total and per IP), idle time and errors.
// Overflow is a protocol reply, never an exception or unbounded memory.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, listMessages } from "../../src/store/messages.ts";

const MAX_MESSAGE = 20_000;
const MAX_HEADER = 2048;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ limits: { maxCommandLine: 512, maxMessageBytes: MAX_MESSAGE, maxHeaderBytes: MAX_HEADER } });
});
afterAll(async () => {
  await t.stop();
});

async function open(port: number): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port);
  expect((await c.reply()).code).toBe(220);
  return c;
}

async function transaction(c: RawSmtp, to: string): Promise<void> {
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
  expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
}

let n = 0;
async function freshRecipient(): Promise<string> {
  const address = `limits${++n}@example.test`;
  await addAccount(t.server.db, address, "pw");
  return address;
}

async function storedCount(address: string): Promise<number> {
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, "INBOX");
  return (await listMessages(t.server.db, box!.id)).length;
}

describe("command lines", () => {
  test("a command line over maxCommandLine gets 500 5.5.2 and the session goes on", async () => {
    const c = await open(t.port("mx"));
    const r = await c.cmd("NOOP " + "x".repeat(600));
    expect(r.lines).toEqual(["500 5.5.2 Line too long"]);
    expect((await c.cmd("NOOP")).code).toBe(250);
    // Just under the limit is fine.
    expect((await c.cmd("NOOP " + "x".repeat(500))).code).toBe(250);
    c.close();
  });

  test("a 10 MiB line without CRLF: one 500, bounded memory, and the server still answers", async () => {
    const sock = net.connect({ host: "127.0.0.1", port: t.port("mx") });
    let buf = "";
    let closed = false;
    let wake: (() => void) | null = null;
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      buf += d;
      wake?.();
    });
    sock.on("close", () => {
      closed = true;
      wake?.();
    });
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 15_000;
      while (!re.test(buf)) {
        if (closed) throw new Error(`closed; got ${JSON.stringify(buf)}`);
        if (Date.now() > deadline) throw new Error(`timeout; got ${JSON.stringify(buf)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
    };
    await waitFor(/^220 [^\n]*\r\n$/);
    buf = "";
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    // 10 MiB in 64 KiB writes with backpressure, reusing one buffer: the client holds ~64 KiB.
    const chunk = Buffer.alloc(64 * 1024, "A");
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
      if (!sock.write(chunk)) await new Promise((r) => sock.once("drain", r));
    }
    sock.write("\r\nNOOP\r\n");
    await waitFor(/250 2\.0\.0 Ok\r\n$/);
    Bun.gc(true);
    const after = process.memoryUsage().rss;
    expect(buf).toBe("500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
    expect(closed).toBe(false);
    // A server that buffered the line would hold ≥ 10 MiB (plus copies while growing it);
    // measured growth here is about 2 MiB.
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
    sock.destroy();
  });

  test("many over-long lines count as errors and end with 421 at maxErrors", async () => {
    const c = await open(t.port("mx"));
    const long = "NOOP " + "y".repeat(1000) + "\r\n";
    c.send(long.repeat(10));
    for (let i = 0; i < 10; i++) expect((await c.reply()).lines).toEqual(["500 5.5.2 Line too long"]);
    const bye = await c.reply();
    expect(bye.lines[0]).toStartWith("421 4.7.0 ");
    expect(await c.waitClosed()).toBe(true);
  });
});

describe("message content", () => {
  test("a text line over 1000 octets in DATA is refused, nothing stored, session in sync", async () => {
    const to = await freshRecipient();
    const c = await open(t.port("mx"));
    await transaction(c, to);
    expect((await c.cmd("DATA")).code).toBe(354);
    const r = await c.cmd(`Subject: long\r\n\r\n${"z".repeat(999)}\r\n.`);
    expect(r.code).toBe(550);
    expect(r.lines[0]).toStartWith("550 5.6.0 ");
    expect((await c.cmd("NOOP")).code).toBe(250);
    // Exactly 998 octets + CRLF is the limit and accepted.
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd(`Subject: ok\r\n\r\n${"z".repeat(998)}\r\n.`)).code).toBe(250);
    c.close();
    expect(await storedCount(to)).toBe(1);
  });

  test("SIZE= over the limit at MAIL: 552 5.3.4; within the limit: 250", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    expect((await c.cmd(`MAIL FROM:<sender@other.test> SIZE=${MAX_MESSAGE + 1}`)).lines[0]).toStartWith("552 5.3.4 ");
    expect((await c.cmd(`MAIL FROM:<sender@other.test> SIZE=${MAX_MESSAGE}`)).code).toBe(250);
    c.close();
  });

  test("DATA over the limit: 552 5.3.4 after the final dot, nothing stored, session in sync", async () => {
    const to = await freshRecipient();
    const c = await open(t.port("mx"));
    await transaction(c, to);
    expect((await c.cmd("DATA")).code).toBe(354);
    const line = "x".repeat(76) + "\r\n";
    const r = await c.cmd(`Subject: big\r\n\r\n${line.repeat(Math.ceil((MAX_MESSAGE * 3) / line.length))}.`);
    expect(r.lines[0]).toStartWith("552 5.3.4 ");
    expect((await c.cmd("NOOP")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).lines[0]).toStartWith("503 5.5.1 ");
    c.close();
    expect(await storedCount(to)).toBe(0);
  });

  test("BDAT chunks that add up past the limit: 552 5.3.4, nothing stored, session in sync", async () => {
    const to = await freshRecipient();
    const c = await open(t.port("mx"));
    await transaction(c, to);
    const half = "Subject: bdat\r\n\r\n" + "b".repeat(12_000 - 17);
    expect((await cmdBdat(c, half, false)).code).toBe(250);
    const r = await cmdBdat(c, half, false);
    expect(r.lines[0]).toStartWith("552 5.3.4 ");
    // Later chunks are still read and refused until LAST.
    expect((await cmdBdat(c, "more", true)).lines[0]).toStartWith("552 5.3.4 ");
    expect((await c.cmd("NOOP")).code).toBe(250);
    // A new transaction works.
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    c.close();
    expect(await storedCount(to)).toBe(0);
  });

  test("one BDAT LAST chunk over the limit: 552 5.3.4", async () => {
    const to = await freshRecipient();
    const c = await open(t.port("mx"));
    await transaction(c, to);
    expect((await cmdBdat(c, "c".repeat(MAX_MESSAGE + 1), true)).lines[0]).toStartWith("552 5.3.4 ");
    expect((await c.cmd("NOOP")).code).toBe(250);
    c.close();
    expect(await storedCount(to)).toBe(0);
  });

  test("a header block over maxHeaderBytes: 552 (DATA and BDAT)", async () => {
    const to = await freshRecipient();
    const c = await open(t.port("mx"));
    await transaction(c, to);
    const header = Array.from({ length: 40 }, (_, i) => `X-Filler-${i}: ${"h".repeat(60)}\r\n`).join("");
    expect(header.length).toBeGreaterThan(MAX_HEADER);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd(`${header}\r\nbody\r\n.`)).lines[0]).toStartWith("552 5.3.4 ");
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
    expect((await cmdBdat(c, `${header}\r\nbody\r\n`, true)).lines[0]).toStartWith("552 5.3.4 ");
    // A large body under a small header is fine.
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    expect((await c.cmd(`RCPT TO:<${to}>`)).code).toBe(250);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd(`Subject: small header\r\n\r\n${header}.`)).code).toBe(250);
    c.close();
    expect(await storedCount(to)).toBe(1);
  });
});

describe("large input within the limits", () => {
  // Big socket reads (hundreds of KiB at once) pause the socket; reading must resume once the
  // DATA/BDAT framer has consumed them, or the session stalls until the timeout.
  test("a 4 MiB message in one write (DATA) and in one BDAT chunk is accepted promptly", async () => {
    const s = await startTestServer();
    try {
      const c = await RawSmtp.connect(s.port("mx"));
      await c.reply();
      await c.cmd("EHLO client.test");
      await c.cmd("MAIL FROM:<sender@other.test>");
      await c.cmd("RCPT TO:<alice@example.test>");
      expect((await c.cmd("DATA")).code).toBe(354);
      const line = "d".repeat(78) + "\r\n";
      const body = "Subject: big\r\n\r\n" + line.repeat((4 * 1024 * 1024) / line.length);
      c.send(body + ".\r\n");
      expect((await c.reply(10_000)).code).toBe(250);
      await c.cmd("MAIL FROM:<sender@other.test>");
      await c.cmd("RCPT TO:<alice@example.test>");
      c.send(`BDAT ${body.length} LAST\r\n${body}`);
      expect((await c.reply(10_000)).code).toBe(250);
      c.close();
    } finally {
      await s.stop();
    }
  });
});

describe("recipients", () => {
  test("the 101st RCPT gets 452 4.5.3 (maxRecipients 100); the 100 are delivered", async () => {
    const to = await freshRecipient();
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    expect((await c.cmd("MAIL FROM:<sender@other.test>")).code).toBe(250);
    const local = to.split("@")[0];
    c.send(Array.from({ length: 101 }, (_, i) => `RCPT TO:<${local}+${i}@example.test>\r\n`).join(""));
    for (let i = 0; i < 100; i++) expect((await c.reply()).code).toBe(250);
    expect((await c.reply()).lines).toEqual(["452 4.5.3 Too many recipients"]);
    // Still 452 for more, not an error that ends the session.
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(452);
    expect((await c.cmd("DATA")).code).toBe(354);
    expect((await c.cmd("Subject: many\r\n\r\nhi\r\n.")).code).toBe(250);
    c.close();
    // All hundred plus-addresses resolve to one mailbox: stored once.
    expect(await storedCount(to)).toBe(1);
  });
});

describe("connections", () => {
  test("connections per IP over the limit: 421 4.7.0 and close; a freed slot is reusable", async () => {
    const s = await startTestServer({ limits: { maxConnectionsPerIp: 2 } });
    try {
      const a = await open(s.port("mx"));
      const b = await open(s.port("submission"));
      const c = await RawSmtp.connect(s.port("mx"));
      const r = await c.reply();
      expect(r.lines[0]).toStartWith("421 4.7.0 ");
      expect(r.lines[0]).toContain("from your address");
      expect(await c.waitClosed()).toBe(true);
      expect((await a.cmd("QUIT")).code).toBe(221);
      expect(await a.waitClosed()).toBe(true);
      // The slot is released when the server sees the close; retry briefly (bounded).
      let code = 0;
      for (let i = 0; i < 50 && code !== 220; i++) {
        const d = await RawSmtp.connect(s.port("mx"));
        code = (await d.reply()).code;
        d.close();
        if (code !== 220) await new Promise((res) => setTimeout(res, 20));
      }
      expect(code).toBe(220);
      b.close();
    } finally {
      await s.stop();
    }
  });

  test("STARTTLS and implicit-TLS sessions give their connection slot back when they end", async () => {
    const s = await startTestServer({ limits: { maxConnectionsPerIp: 2 } });
    try {
      // Four sequential sessions through a limit of two: each must release its slot.
      for (let i = 0; i < 4; i++) {
        const implicit = i % 2 === 1;
        let c: RawSmtp | null = null;
        // The server releases the slot when it sees the close, a moment after the client does.
        for (let attempt = 0; attempt < 50 && !c; attempt++) {
          const d = await RawSmtp.connect(s.port(implicit ? "submissions" : "mx"), { tls: implicit });
          if ((await d.reply()).code === 220) c = d;
          else {
            d.close();
            await new Promise((res) => setTimeout(res, 20));
          }
        }
        expect(c).not.toBeNull();
        expect((await c!.cmd("EHLO client.test")).code).toBe(250);
        if (!implicit) {
          expect((await c!.cmd("STARTTLS")).code).toBe(220);
          await c!.startTls();
          expect((await c!.cmd("EHLO client.test")).code).toBe(250);
        }
        expect((await c!.cmd("QUIT")).code).toBe(221);
        expect(await c!.waitClosed()).toBe(true);
      }
    } finally {
      await s.stop();
    }
  });

  test("total connections over the limit (across listeners): 421 4.7.0 and close", async () => {
    const s = await startTestServer({ limits: { maxConnections: 2 } });
    try {
      const a = await open(s.port("mx"));
      const b = await open(s.port("lmtp"));
      const c = await RawSmtp.connect(s.port("submission"));
      const r = await c.reply();
      expect(r.lines[0]).toStartWith("421 4.7.0 ");
      expect(r.lines[0]).not.toContain("from your address");
      expect(await c.waitClosed()).toBe(true);
      // The admitted sessions are unaffected.
      expect((await a.cmd("NOOP")).code).toBe(250);
      expect((await b.cmd("NOOP")).code).toBe(250);
      a.close();
      b.close();
    } finally {
      await s.stop();
    }
  });
});

describe("timeouts and errors", () => {
  test("idle past commandTimeoutMs: 421 4.4.2 and close", async () => {
    const s = await startTestServer({ limits: { commandTimeoutMs: 200, dataTimeoutMs: 300 } });
    try {
      const c = await open(s.port("mx"));
      expect((await c.cmd("EHLO client.test")).code).toBe(250);
      const t0 = performance.now();
      const r = await c.reply(5000);
      expect(r.lines[0]).toStartWith("421 4.4.2 ");
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
      expect(await c.waitClosed()).toBe(true);

      // The DATA phase has its own timer.
      const d = await open(s.port("mx"));
      await d.cmd("EHLO client.test");
      await d.cmd("MAIL FROM:<sender@other.test>");
      await d.cmd("RCPT TO:<alice@example.test>");
      expect((await d.cmd("DATA")).code).toBe(354);
      d.send("Subject: stalled\r\n\r\npartial");
      expect((await d.reply(5000)).lines[0]).toStartWith("421 4.4.2 ");
      expect(await d.waitClosed()).toBe(true);
    } finally {
      await s.stop();
    }
  });

  test("too many errors: 421 4.7.0 and close at maxErrors", async () => {
    const s = await startTestServer({ limits: { maxErrors: 3 } });
    try {
      const c = await open(s.port("mx"));
      expect((await c.cmd("XYZZY")).code).toBe(500);
      expect((await c.cmd("MAIL FROM:<a@b.test>")).code).toBe(503);
      // Good commands do not reset the count.
      expect((await c.cmd("NOOP")).code).toBe(250);
      const r = await c.cmd("FOO");
      expect(r.lines).toEqual(["500 5.5.2 Command unrecognized"]);
      const bye = await c.reply();
      expect(bye.lines[0]).toStartWith("421 4.7.0 ");
      expect(await c.waitClosed()).toBe(true);
    } finally {
      await s.stop();
    }
  });
});

/** Sends one BDAT chunk and returns its reply. */
async function cmdBdat(c: RawSmtp, body: string, last: boolean) {
  c.send(`BDAT ${Buffer.byteLength(body)}${last ? " LAST" : ""}\r\n${body}`);
  return c.reply();
}
