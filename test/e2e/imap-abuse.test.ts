// Hostile IMAP clients (DESIGN §5: every buffer has a cap, overflow is a reply, never an OOM):
// huge and numerous literals before and after login, deep nesting, NUL and 8-bit bytes, long
// lines, STARTTLS injection, cleartext login refusal, auth back-off, connection caps, timers,
// IDLE keep-alives, and a 50 MiB FETCH to a slow reader while other sessions are served.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawImap } from "../helpers/imap-client.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";

const MiB = 1024 * 1024;
const APPEND_LIMIT = 64 * 1024;
const PRE_AUTH_LITERAL = 4096;

const servers: TestServer[] = [];
async function server(overrides: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(overrides);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

// The main server: plaintext LOGIN allowed on loopback, a small APPENDLIMIT.
let t: TestServer;
let port: number;
beforeAll(async () => {
  t = await server({ auth: { allowPlaintextOnLoopback: true }, imap: { appendLimit: APPEND_LIMIT } });
  port = t.port("imap");
});

async function greeted(p = port): Promise<RawImap> {
  const c = await RawImap.connect(p);
  expect(await c.line()).toMatch(/^\* OK /);
  return c;
}

/** Lines until one starts with `prefix` (or the connection closes: then null). */
async function lineStarting(c: RawImap, prefix: string, timeoutMs = 5000): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const l = await c.line(Math.max(1, deadline - Date.now()));
      if (l.startsWith(prefix)) return l;
    }
  } catch {
    return null;
  }
}

/** Nothing arrives within `ms` (and the connection stays open). */
async function silent(c: RawImap, ms = 300): Promise<boolean> {
  try {
    await c.line(ms);
    return false;
  } catch {
    return !c.closed;
  }
}

/** The process RSS peak while `work` runs, sampled after a full GC so that garbage does not count. */
async function rssGrowth(work: () => Promise<void>): Promise<number> {
  Bun.gc(true);
  const base = process.memoryUsage().rss;
  let peak = base;
  const sample = setInterval(() => {
    Bun.gc(true);
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    await work();
  } finally {
    clearInterval(sample);
  }
  Bun.gc(true);
  return Math.max(peak, process.memoryUsage().rss) - base;
}

async function writeAll(sock: net.Socket, chunk: Uint8Array | string): Promise<void> {
  if (!sock.write(chunk)) await new Promise((r) => sock.once("drain", r));
}

describe("literals", () => {
  test("{4294967295} before login: NO [TOOBIG], no continuation, the session goes on", async () => {
    const c = await greeted();
    c.send("a LOGIN {4294967295}\r\n");
    const r = await c.line();
    expect(r).toMatch(/^a (NO|BAD) \[TOOBIG\]/);
    expect(await silent(c)).toBe(true);
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });

  test("{4294967295} after login: refused the same way", async () => {
    const c = await RawImap.login(port);
    c.send("a APPEND INBOX {4294967295}\r\n");
    expect(await c.line()).toMatch(/^a (NO|BAD) \[TOOBIG\]/);
    expect(await silent(c)).toBe(true);
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });

  test("a size that is not even a number, {99999999999999999999999}: refused", async () => {
    const c = await greeted();
    c.send("a LOGIN {99999999999999999999999}\r\n");
    expect(await c.line()).toMatch(/^a (NO|BAD) /);
    expect(await silent(c)).toBe(true);
    c.close();
  });

  test("{9999999999+} (LITERAL+ beyond any limit): refused and the connection closed", async () => {
    const c = await greeted();
    c.send("a LOGIN {9999999999+}\r\n" + "x".repeat(1000) + "\r\nb LOGIN alice@example.test alice-pw\r\n");
    expect(await c.line()).toMatch(/^a BAD \[TOOBIG\]/);
    // RFC 7888 §4: the payload is already on its way; the stream cannot be resynchronized.
    expect(await lineStarting(c, "b ")).toBeNull();
    expect(await c.waitClosed()).toBe(true);
  });

  test("before login the literal limit is 4 KiB: 4096 is accepted, 4097 is NO [TOOBIG]", async () => {
    const c = await greeted();
    c.send(`a LOGIN {${PRE_AUTH_LITERAL}}\r\n`);
    expect(await c.line()).toMatch(/^\+ /);
    c.send("x".repeat(PRE_AUTH_LITERAL) + " y\r\n");
    const r = await c.until("a");
    expect(r.status).toBe("NO");
    c.send(`b LOGIN {${PRE_AUTH_LITERAL + 1}}\r\n`);
    expect(await c.line()).toMatch(/^b NO \[TOOBIG\]/);
    expect(await silent(c)).toBe(true);
    expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    c.close();
  });

  test("before login, a LITERAL+ over 4 KiB: BAD [TOOBIG], closed, payload never executed", async () => {
    const c = await greeted();
    const payload = "z".repeat(PRE_AUTH_LITERAL) + "\r\nc LOGIN alice@example.test alice-pw\r\n";
    c.send(`a LOGIN {${payload.length}+}\r\n${payload} x\r\nb NOOP\r\n`);
    expect(await c.line()).toMatch(/^a BAD \[TOOBIG\]/);
    expect(await lineStarting(c, "c ")).toBeNull();
    expect(await c.waitClosed()).toBe(true);
  });

  test("after login the limit is APPENDLIMIT: at the limit a continuation, one more NO [TOOBIG]", async () => {
    const c = await RawImap.login(port);
    const cap = await c.cmd("CAPABILITY");
    expect(cap.untagged[0]).toContain(`APPENDLIMIT=${APPEND_LIMIT}`);
    c.send(`a APPEND INBOX {${APPEND_LIMIT + 1}}\r\n`);
    expect(await c.line()).toMatch(/^a NO \[TOOBIG\]/);
    expect(await silent(c)).toBe(true);
    c.send(`b APPEND INBOX {${APPEND_LIMIT}}\r\n`);
    expect(await c.line()).toMatch(/^\+ /);
    const msg = "Subject: at the limit\r\n\r\n";
    c.send(msg + "x".repeat(APPEND_LIMIT - msg.length) + "\r\n");
    const r = await c.until("b", 10_000);
    // Framed in full: APPEND itself decides (OK once it exists, NO while it is a placeholder).
    expect(r.status).not.toBe("BAD");
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });

  test("after login, a LITERAL+ over APPENDLIMIT: BAD [TOOBIG] and the connection closed", async () => {
    const c = await RawImap.login(port);
    const growth = await rssGrowth(async () => {
      c.send(`a APPEND INBOX {${APPEND_LIMIT + 1}+}\r\n` + "y".repeat(APPEND_LIMIT + 1) + "\r\n");
      expect(await c.line()).toMatch(/^a BAD \[TOOBIG\]/);
      expect(await c.waitClosed()).toBe(true);
    });
    expect(growth).toBeLessThan(64 * MiB);
  });

  test("many synchronizing literals in one command: the 65th before login is refused", async () => {
    const c = await greeted();
    c.send("a ID (");
    for (let i = 0; i < 64; i++) {
      c.send(`{1}\r\n`);
      expect(await c.line()).toMatch(/^\+ /);
      c.send(i % 2 === 0 ? "k" : "v ");
    }
    c.send("{1}\r\n");
    expect(await c.line()).toMatch(/^a BAD .*literals/i);
    expect(await silent(c)).toBe(true);
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });

  test("many LITERAL+ in one command (5000 before login): refused and closed", async () => {
    const c = await greeted();
    let s = "a ID (";
    for (let i = 0; i < 5000; i++) s += `{1+}\r\nk `;
    c.send(s + ")\r\nb NOOP\r\n");
    expect(await c.line()).toMatch(/^a BAD /);
    expect(await lineStarting(c, "b ")).toBeNull();
    expect(await c.waitClosed()).toBe(true);
  });

  test("many LITERAL+ after login (2000 small ones): refused and closed", async () => {
    const c = await RawImap.login(port);
    let s = "a ID (";
    for (let i = 0; i < 2000; i++) s += `{1+}\r\nk `;
    c.send(s + ")\r\nb NOOP\r\n");
    expect(await c.line()).toMatch(/^a BAD /);
    expect(await lineStarting(c, "b ")).toBeNull();
    expect(await c.waitClosed()).toBe(true);
  });
});

describe("malformed input", () => {
  test("deeply nested parentheses: BAD, quickly, and the session goes on", async () => {
    const c = await RawImap.login(port);
    await c.cmd("SELECT INBOX");
    const deep = (n: number, inner: string) => "(".repeat(n) + inner + ")".repeat(n);
    for (const cmd of [`ID ${deep(30000, "")}`, `FETCH 1:* ${deep(30000, "FLAGS")}`, `SEARCH ${deep(30000, "ALL")}`, `SEARCH ${"NOT ".repeat(15000)}ALL`, `SEARCH ${"OR ALL ".repeat(9000)}ALL`, `LIST ${deep(30000, "")} "" *`, `STATUS INBOX ${deep(30000, "MESSAGES")}`]) {
      const started = Date.now();
      const r = await c.cmd(cmd);
      expect({ cmd: cmd.slice(0, 20), status: r.status }).toEqual({ cmd: cmd.slice(0, 20), status: "BAD" });
      expect(Date.now() - started).toBeLessThan(2000);
    }
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });

  test("NUL bytes: in a line, in a quoted string, in a literal — BAD each time", async () => {
    const c = await greeted();
    for (const cmd of ["NO\0OP", 'LOGIN "ali\0ce" x', "LOGIN {5+}\r\nal\0ce x"]) {
      const r = await c.cmd(cmd);
      expect(r.status).toBe("BAD");
    }
    // literal8 is only for APPEND/BINARY data (RFC 3516): not for LOGIN.
    expect((await c.cmd("LOGIN ~{5+}\r\nalice x")).status).toBe("BAD");
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });

  test("8-bit bytes in atoms, tags and command names: BAD; the session goes on", async () => {
    const c = await greeted();
    c.send(Buffer.from("ä1 NOOP\r\n", "utf8"));
    expect(await c.line()).toMatch(/^\* BAD /);
    c.send(Buffer.from("a2 NOÖP\r\n", "utf8"));
    expect(await c.line()).toMatch(/^a2 BAD /);
    c.send(Buffer.from("a3 LOGIN Ärger x\r\n", "utf8"));
    expect(await c.line()).toMatch(/^a3 BAD /);
    c.send(Buffer.from([0x61, 0x34, 0x20, 0x4e, 0x4f, 0x4f, 0x50, 0xff, 0xfe, 0x0d, 0x0a]));
    expect(await c.line()).toMatch(/^a4 BAD /);
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });

  test("a 64 KiB+ command line is BAD 'Line too long'; 256 MiB without a line end is never buffered", async () => {
    const c = await greeted();
    c.send(`a NOOP ${"x".repeat(70 * 1024)}\r\nb NOOP\r\n`);
    expect(await c.line()).toMatch(/^a BAD .*too long/i);
    expect(await c.line()).toBe("b OK NOOP completed");

    const sock = net.connect({ host: "127.0.0.1", port });
    let got = "";
    sock.setEncoding("latin1").on("data", (d: string) => (got += d));
    await new Promise((r) => sock.once("connect", r));
    const chunk = Buffer.alloc(MiB, 0x41);
    const growth = await rssGrowth(async () => {
      await writeAll(sock, "a NOOP ");
      for (let i = 0; i < 256; i++) await writeAll(sock, chunk);
      await writeAll(sock, "\r\nb NOOP\r\n");
      const deadline = Date.now() + 20_000;
      while (!got.includes("b OK") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    });
    expect(got).toMatch(/\r\na BAD [^\r]*too long[^\r]*\r\nb OK /i);
    // Buffering the line would take 256 MiB or more.
    expect(growth).toBeLessThan(128 * MiB);
    sock.destroy();
  }, 60_000);

  test("unknown commands, an unknown UID command, an empty line: BAD, and the session goes on", async () => {
    const c = await greeted();
    c.send("a FOOBAR\r\nb UID FOO 1\r\n\r\nc X-ANYTHING arg\r\n");
    expect(await c.line()).toMatch(/^a BAD /);
    expect(await c.line()).toMatch(/^b BAD /);
    expect(await c.line()).toMatch(/^\* BAD /);
    expect(await c.line()).toMatch(/^c BAD /);
    expect((await c.cmd("NOOP")).status).toBe("OK");
    c.close();
  });
});

describe("STARTTLS and cleartext", () => {
  test("commands pipelined after STARTTLS are discarded, never executed (RFC 9051 §6.2.1)", async () => {
    const c = await greeted();
    // One write: STARTTLS and an injected LOGIN and SELECT behind it, as a MITM would add.
    c.send("a STARTTLS\r\nb LOGIN alice@example.test alice-pw\r\nc SELECT INBOX\r\n");
    expect(await c.line()).toMatch(/^a OK /);
    await c.startTls();
    // Over TLS: nothing was answered for b or c, and the session is not authenticated.
    const cap = await c.cmd("CAPABILITY");
    expect(cap.untagged.length).toBe(1);
    expect(cap.untagged[0]).toContain("AUTH=PLAIN");
    expect(cap.untagged[0]).not.toContain("STARTTLS");
    const s = await c.cmd("SELECT INBOX");
    expect(s.raw).not.toMatch(/^[bc] /m);
    expect(s.status).toBe("BAD");
    expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    c.close();
  });

  describe("without allowPlaintextOnLoopback", () => {
    let strict: TestServer;
    beforeAll(async () => {
      strict = await server({});
    });

    test("plaintext: LOGINDISABLED, no AUTH=; LOGIN and AUTHENTICATE are NO [PRIVACYREQUIRED]", async () => {
      const c = await RawImap.connect(strict.port("imap"));
      const greeting = await c.line();
      expect(greeting).toContain("LOGINDISABLED");
      expect(greeting).toContain("STARTTLS");
      expect(greeting).not.toContain("AUTH=");
      const cap = (await c.cmd("CAPABILITY")).untagged[0];
      expect(cap).toContain("LOGINDISABLED");
      const l = await c.cmd("LOGIN alice@example.test alice-pw");
      expect(l.status).toBe("NO");
      expect(l.text).toMatch(/^\[PRIVACYREQUIRED\]/);
      const a = await c.cmd(`AUTHENTICATE PLAIN ${Buffer.from("\0alice@example.test\0alice-pw").toString("base64")}`);
      expect(a.status).toBe("NO");
      expect(a.text).toMatch(/^\[PRIVACYREQUIRED\]/);
      // Still not logged in.
      expect((await c.cmd("SELECT INBOX")).status).toBe("BAD");
      // After STARTTLS: LOGIN is offered and works.
      expect((await c.cmd("STARTTLS")).status).toBe("OK");
      await c.startTls();
      const after = (await c.cmd("CAPABILITY")).untagged[0];
      expect(after).not.toContain("LOGINDISABLED");
      expect(after).toContain("AUTH=PLAIN");
      expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
      c.close();
    });

    test("implicit TLS (993): no LOGINDISABLED, LOGIN works", async () => {
      const c = await RawImap.connect(strict.port("imaps"), { tls: true });
      const greeting = await c.line();
      expect(greeting).not.toContain("LOGINDISABLED");
      expect(greeting).toContain("AUTH=PLAIN");
      expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
      c.close();
    });
  });

  test("with allowPlaintextOnLoopback: no LOGINDISABLED on loopback, LOGIN works in cleartext", async () => {
    const c = await greeted();
    const cap = (await c.cmd("CAPABILITY")).untagged[0];
    expect(cap).not.toContain("LOGINDISABLED");
    expect((await c.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    c.close();
  });
});

describe("authentication failures", () => {
  // Well above the cost of one credential check, so that only the back-off explains the waits.
  const DELAY = 600;
  let slow: TestServer;
  let quick: TestServer;
  beforeAll(async () => {
    slow = await server({ limits: { maxAuthFailures: 3, authFailureDelayMs: DELAY } });
    quick = await server({ limits: { maxAuthFailures: 3, authFailureDelayMs: 10 } });
  });

  test("each failure waits longer (delay, 2×, 4×); after the limit: BYE and disconnect", async () => {
    const c = await RawImap.connect(slow.port("imaps"), { tls: true });
    await c.line();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      c.send(`f${i} LOGIN alice@example.test wrong-${i}\r\n`);
      expect(await c.line(15_000)).toMatch(new RegExp(`^f${i} NO \\[AUTHENTICATIONFAILED\\]`));
      times.push(performance.now() - started);
    }
    expect(times[0]).toBeGreaterThanOrEqual(DELAY - 20);
    expect(times[1]).toBeGreaterThanOrEqual(2 * DELAY - 20);
    expect(times[2]).toBeGreaterThanOrEqual(4 * DELAY - 20);
    expect(await c.line()).toMatch(/^\* BYE /);
    expect(await c.waitClosed()).toBe(true);
  }, 30_000);

  test("AUTHENTICATE failures count toward the same limit; a new connection is not locked out", async () => {
    const c = await RawImap.connect(quick.port("imaps"), { tls: true });
    await c.line();
    const bad = Buffer.from("\0alice@example.test\0nope").toString("base64");
    expect((await c.cmd(`AUTHENTICATE PLAIN ${bad}`, 10_000)).status).toBe("NO");
    expect((await c.cmd("LOGIN alice@example.test nope", 10_000)).status).toBe("NO");
    expect((await c.cmd(`AUTHENTICATE PLAIN ${bad}`, 10_000)).status).toBe("NO");
    expect(await c.line()).toMatch(/^\* BYE /);
    expect(await c.waitClosed()).toBe(true);
    const d = await RawImap.connect(quick.port("imaps"), { tls: true });
    await d.line();
    expect((await d.cmd("LOGIN alice@example.test alice-pw")).status).toBe("OK");
    d.close();
  });
});

describe("connection limits and timers", () => {
  test("per-IP connection limit: the connection over it gets * BYE and is closed; a freed slot is reusable", async () => {
    const s = await server({ auth: { allowPlaintextOnLoopback: true }, imap: { maxConnectionsPerIp: 3 } });
    const held: RawImap[] = [];
    for (let i = 0; i < 3; i++) held.push(await greeted(s.port("imap")));
    const over = await RawImap.connect(s.port("imap"));
    expect(await over.line()).toMatch(/^\* BYE /);
    expect(await over.waitClosed()).toBe(true);
    // imaps shares the IMAP cap.
    const overTls = await RawImap.connect(s.port("imaps"), { tls: true }).catch(() => null);
    if (overTls) {
      expect(await lineStarting(overTls, "* ")).toMatch(/^\* BYE /);
      overTls.close();
    }
    held[0].close();
    await new Promise((r) => setTimeout(r, 200));
    const again = await greeted(s.port("imap"));
    expect((await again.cmd("NOOP")).status).toBe("OK");
    for (const c of [again, ...held]) c.close();
  });

  describe("timers", () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await server({ auth: { allowPlaintextOnLoopback: true }, imap: { preAuthTimeoutMs: 300, idleTimeoutMs: 1000, keepaliveMs: 100 } });
    });

    test("pre-auth timeout: * BYE and closed", async () => {
      const c = await greeted(s.port("imap"));
      const started = Date.now();
      expect(await c.line(3000)).toMatch(/^\* BYE /);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(await c.waitClosed()).toBe(true);
    });

    test("pre-auth timer: trickled bytes and NOOPs do not keep an unauthenticated connection open", async () => {
      for (const trickle of ["a NOOP\r\n", "x"]) {
        const c = await greeted(s.port("imap"));
        const started = Date.now();
        const ticker = setInterval(() => c.send(trickle), 50);
        try {
          expect(await lineStarting(c, "* BYE", 3000)).toMatch(/^\* BYE /);
          expect(Date.now() - started).toBeLessThan(1500);
          expect(await c.waitClosed()).toBe(true);
        } finally {
          clearInterval(ticker);
        }
      }
    });

    test("autologout after login: * BYE after the idle timeout, which activity restarts", async () => {
      const c = await RawImap.login(s.port("imap"));
      await new Promise((r) => setTimeout(r, 600));
      expect((await c.cmd("NOOP")).status).toBe("OK");
      const started = Date.now();
      expect(await c.line(4000)).toMatch(/^\* BYE /);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(await c.waitClosed()).toBe(true);
    });

    test("IDLE keep-alive: * OK Still here every keepaliveMs; DONE ends it", async () => {
      const c = await RawImap.login(s.port("imap"));
      await c.cmd("SELECT INBOX");
      c.send("i1 IDLE\r\n");
      expect(await c.line()).toMatch(/^\+ /);
      const started = Date.now();
      const lines: string[] = [];
      while (Date.now() - started < 650) lines.push(await c.line(1000));
      expect(lines.every((l) => l === "* OK Still here")).toBe(true);
      expect(lines.length).toBeGreaterThanOrEqual(4);
      c.send("DONE\r\n");
      expect((await c.until("i1")).status).toBe("OK");
      c.close();
    });

    test("IDLE does not escape the autologout timer: keep-alives do not extend it", async () => {
      const c = await RawImap.login(s.port("imap"));
      c.send("i1 IDLE\r\n");
      expect(await c.line()).toMatch(/^\+ /);
      const started = Date.now();
      const bye = await lineStarting(c, "* BYE", 4000);
      expect(bye).toMatch(/^\* BYE /);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(await c.waitClosed()).toBe(true);
    });
  });
});

describe("a 50 MiB message", () => {
  let s: TestServer;
  const SIZE = 50 * MiB;
  beforeAll(async () => {
    s = await server({ auth: { allowPlaintextOnLoopback: true }, limits: { maxMessageBytes: 64 * MiB } });
    const smtp = await RawSmtp.connect(s.port("mx"));
    expect((await smtp.reply()).code).toBe(220);
    await smtp.cmd("EHLO client.test");
    await smtp.cmd("MAIL FROM:<bob@other.test>");
    await smtp.cmd("RCPT TO:<alice@example.test>");
    expect((await smtp.cmd("DATA")).code).toBe(354);
    smtp.send("Subject: big\r\n\r\n");
    // RFC 5321 §4.5.3.1.6: text lines of at most 998 octets.
    const line = "x".repeat(998) + "\r\n";
    const block = line.repeat(1000);
    for (let sent = 0; sent < SIZE; sent += block.length) smtp.send(block);
    expect((await smtp.cmd(".", 60_000)).code).toBe(250);
    await smtp.cmd("QUIT");
    smtp.close();
  }, 120_000);

  test("FETCH BODY[] streams to a slow reader with bounded memory while another session is served", async () => {
    const sock = net.connect({ host: "127.0.0.1", port: s.port("imap") });
    let received = 0;
    let head = "";
    let tail = "";
    // A slow reader: one chunk, then a pause; `hold` stops reading altogether.
    let hold = false;
    sock.on("data", (d: Buffer) => {
      received += d.length;
      if (head.length < 200) head += d.subarray(0, 200).toString("latin1");
      tail = (tail + d.subarray(-200).toString("latin1")).slice(-200);
      sock.pause();
      setTimeout(() => {
        if (!hold) sock.resume();
      }, 1);
    });
    await new Promise((r) => sock.once("connect", r));
    sock.write("a LOGIN alice@example.test alice-pw\r\nb SELECT INBOX\r\n");
    while (!tail.includes("b OK")) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    head = "";
    received = 0;

    let literal = 0;
    let servedMs = 0;
    const growth = await rssGrowth(async () => {
      sock.write("c FETCH 1 BODY[]\r\n");
      while (received < 100_000) await new Promise((r) => setTimeout(r, 10));
      hold = true;
      // Not reading for a while: the server must wait on the socket, not buffer or block.
      const other = await RawImap.login(s.port("imap"));
      const started = performance.now();
      await other.cmd("SELECT INBOX");
      const f = await other.cmd("FETCH 1 (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
      expect(f.status).toBe("OK");
      literal = Number(/RFC822\.SIZE (\d+)/.exec(f.untagged[0])![1]);
      expect((await other.cmd("NOOP")).status).toBe("OK");
      servedMs = performance.now() - started;
      other.close();
      await new Promise((r) => setTimeout(r, 500));
      expect(received).toBeLessThan(literal);
      hold = false;
      sock.resume();
      const deadline = Date.now() + 60_000;
      while (!tail.includes("c OK") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    });
    expect(literal).toBeGreaterThan(SIZE);
    expect(head).toStartWith(`* 1 FETCH (BODY[] {${literal}}\r\nReturn-Path: `);
    expect(tail).toMatch(/x\r\n FLAGS \(\\Seen\)\)\r\nc OK [^\r]*\r\n$/);
    // Header line + literal + the rest of the response: nothing lost, nothing extra.
    const headLine = `* 1 FETCH (BODY[] {${literal}}\r\n`.length;
    const rest = " FLAGS (\\Seen))\r\n".length + tail.slice(tail.lastIndexOf("c OK")).length;
    expect(received).toBe(headLine + literal + rest);
    expect(servedMs).toBeLessThan(2000);
    // Generous: the body is held once or twice while it is written, never per chunk or as text.
    expect(growth).toBeLessThan(5 * SIZE);
    sock.destroy();
  }, 120_000);
});
