// Bad input and abuse on the real POP3 listeners, each a test: commands before login, the
// 255-octet command line (RFC 2449 §4), unknown commands and the error limit, RETR/DELE of
// missing or deleted messages, STLS injection (RFC 2595), cleartext USER/PASS (DESIGN §5),
// authentication back-off and limit ([AUTH], [SYS/TEMP]), the autologout timer (RFC 1939 §3).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawPop3, deliver, sampleMessage } from "../protocol/pop3/raw-pop3.ts";
import { parseConfig } from "../../src/config/load.ts";
import { defineHandler } from "../../src/events/handler.ts";
import { checkPassword, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, listMessages } from "../../src/store/messages.ts";

// Replaces the built-in credential check (the last auth.verify provider wins): "boom@…" fails.
const flakyAuth = defineHandler({
  event: "auth.verify",
  name: "flaky-auth",
  async handle({ username, password }, ctx) {
    if (username.startsWith("boom")) throw new Error("credential store down");
    const a = await checkPassword(ctx.db, username, password);
    return a ? { ok: true as const, address: a.address } : { ok: false as const };
  },
});

let open: TestServer; // cleartext USER/PASS allowed on loopback
let strict: TestServer; // the default: no authentication before TLS
beforeAll(async () => {
  open = await startTestServer({
    auth: { allowPlaintextOnLoopback: true },
    limits: { authFailureDelayMs: 150, maxAuthFailures: 3, maxErrors: 10 },
    pop3: { idleTimeoutMs: 400, maxConnectionsPerIp: 6 },
    handlers: [flakyAuth],
  });
  strict = await startTestServer();
});
afterAll(async () => {
  await open.stop();
  await strict.stop();
});

async function connect(t: TestServer, role: "pop3" | "pop3s" = "pop3"): Promise<RawPop3> {
  const c = await RawPop3.connect(t.port(role), { tls: role === "pop3s" });
  expect(await c.line()).toStartWith("+OK ");
  return c;
}

describe("state and syntax", () => {
  test("transaction commands before authentication are refused", async () => {
    const c = await connect(open);
    for (const cmd of ["STAT", "LIST", "LIST 1", "UIDL", "RETR 1", "TOP 1 1", "DELE 1", "RSET", "NOOP"]) {
      expect(await c.cmd(cmd)).toBe(`-ERR ${cmd.split(" ")[0]} is not allowed before authentication`);
    }
    c.close();
  });

  test("a command line of 255 octets with CRLF is accepted, 256 is refused (RFC 2449 §4)", async () => {
    const c = await connect(open);
    const name = (n: number) => "x".repeat(n - "USER ".length - 2);
    expect(await c.cmd(`USER ${name(255)}`)).toBe("+OK Send PASS");
    expect(await c.cmd(`USER ${name(256)}`)).toBe("-ERR Line too long");
    // A far longer one is refused once and the session goes on.
    expect(await c.cmd(`USER ${"y".repeat(100_000)}`)).toBe("-ERR Line too long");
    expect(await c.cmd("CAPA")).toBe("+OK Capability list follows");
    c.close();
  });

  test("unknown commands, bad arguments and invalid UTF-8; the 10th error closes", async () => {
    const c = await connect(open);
    expect(await c.cmd("XYZZY")).toBe("-ERR Unknown command");
    expect(await c.cmd("HELO client.test")).toBe("-ERR Unknown command");
    expect(await c.cmd("GET / HTTP/1.0")).toBe("-ERR Unknown command");
    expect(await c.cmd("RETR one")).toBe("-ERR Syntax: RETR message-number");
    c.send(new Uint8Array([0x55, 0x53, 0x45, 0x52, 0x20, 0xff, 0xfe, 13, 10]));
    expect(await c.line()).toBe("-ERR Invalid characters in command");
    for (let i = 0; i < 4; i++) await c.cmd("XYZZY");
    c.send("XYZZY\r\n");
    expect(await c.line()).toBe("-ERR Unknown command");
    expect(await c.line()).toBe("-ERR Too many errors, closing connection");
    await c.waitClosed();
  });

  test("RETR, TOP, DELE, LIST, UIDL of nonexistent and deleted messages", async () => {
    await deliver(open.server.db, "bob@example.test", sampleMessage("only"));
    const c = await RawPop3.login(open.port("pop3"), "bob@example.test");
    for (const cmd of ["RETR 0", "RETR 2", "TOP 9 1", "DELE 2", "LIST 5", "UIDL 3"]) expect(await c.cmd(cmd)).toBe("-ERR No such message");
    expect(await c.cmd("DELE 1")).toBe("+OK Message 1 deleted");
    for (const cmd of ["RETR 1", "TOP 1 0", "DELE 1", "LIST 1", "UIDL 1"]) expect(await c.cmd(cmd)).toBe("-ERR Message 1 already deleted");
    expect(await c.cmd("STAT")).toBe("+OK 0 0");
    expect((await c.multiCmd("LIST")).lines).toEqual([]);
    expect(await c.cmd("QUIT")).toStartWith("+OK");
  });
});

describe("STLS (RFC 2595)", () => {
  test("commands pipelined after STLS are discarded, never run in cleartext or after the handshake", async () => {
    const c = await connect(open);
    // One write: the injected commands ride in the same segment as STLS.
    c.send("STLS\r\nUSER alice@example.test\r\nPASS alice-pw\r\n");
    expect(await c.line()).toBe("+OK Begin TLS negotiation");
    expect(c.pending()).toBe("");
    expect(await c.upgrade()).toMatch(/^TLSv1\.[23]$/);
    // The first answer over TLS is to our command, and the injected login did not happen.
    expect(await c.cmd("STAT")).toBe("-ERR STAT is not allowed before authentication");
    expect(await c.cmd("PASS alice-pw")).toBe("-ERR Send USER first");
    c.close();
  });

  test("a USER given before STLS is forgotten", async () => {
    const c = await connect(open);
    expect(await c.cmd("USER alice@example.test")).toStartWith("+OK");
    await c.stls();
    expect(await c.cmd("PASS alice-pw")).toBe("-ERR Send USER first");
    expect((await c.multiCmd("CAPA")).lines).not.toContain("STLS");
    expect(await c.cmd("STLS")).toBe("-ERR TLS already active");
    c.close();
  });

  test("no STLS on implicit TLS (pop3s), nor after login", async () => {
    const c = await connect(open, "pop3s");
    expect((await c.multiCmd("CAPA")).lines).not.toContain("STLS");
    expect(await c.cmd("STLS")).toBe("-ERR TLS already active");
    c.close();
    const d = await RawPop3.login(open.port("pop3"), "bob@example.test");
    expect(await d.cmd("STLS")).toBe("-ERR STLS is not allowed after authentication");
    await d.cmd("QUIT");
  });
});

describe("cleartext authentication (DESIGN §5)", () => {
  test("USER/PASS and AUTH are refused before TLS unless allowed on loopback", async () => {
    const c = await connect(strict);
    const caps = (await c.multiCmd("CAPA")).lines;
    expect(caps).toContain("STLS");
    expect(caps).not.toContain("USER");
    expect(caps.some((l) => l.startsWith("SASL"))).toBe(false);
    const refusal = "-ERR Plaintext authentication disallowed on non-secure connections; use STLS first";
    expect(await c.cmd("USER alice@example.test")).toBe(refusal);
    expect(await c.cmd("PASS alice-pw")).toBe(refusal);
    expect(await c.cmd(`AUTH PLAIN ${Buffer.from("\0alice@example.test\0alice-pw").toString("base64")}`)).toBe(refusal);
    // After STLS the same credentials work.
    await c.stls();
    expect((await c.multiCmd("CAPA")).lines).toContain("USER");
    expect(await c.cmd("USER alice@example.test")).toBe("+OK Send PASS");
    expect(await c.cmd("PASS alice-pw")).toStartWith("+OK Logged in");
    await c.cmd("QUIT");
  });

  test("implicit TLS (pop3s) allows USER/PASS at once", async () => {
    const c = await connect(strict, "pop3s");
    await c.cmd("USER alice@example.test");
    expect(await c.cmd("PASS alice-pw")).toStartWith("+OK Logged in");
    await c.cmd("QUIT");
  });
});

describe("authentication failures", () => {
  test("each failure waits longer (RFC 3206 [AUTH]); the third closes the connection", async () => {
    const c = await connect(open);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      await c.cmd("USER alice@example.test");
      const t0 = performance.now();
      const r = await c.cmd("PASS wrong", 10_000);
      times.push(performance.now() - t0);
      expect(r).toBe(i < 2 ? "-ERR [AUTH] Authentication failed" : "-ERR [AUTH] Authentication failed; too many failures, closing connection");
    }
    // 150 ms, 300 ms, 600 ms back-off (plus the scrypt check itself).
    expect(times[0]).toBeGreaterThanOrEqual(140);
    expect(times[1]).toBeGreaterThanOrEqual(290);
    expect(times[2]).toBeGreaterThanOrEqual(590);
    await c.waitClosed();
  });

  test("SASL failures count the same way", async () => {
    const c = await connect(open);
    const bad = Buffer.from("\0alice@example.test\0nope").toString("base64");
    expect(await c.cmd(`AUTH PLAIN ${bad}`)).toBe("-ERR [AUTH] Authentication failed");
    await c.cmd("USER alice@example.test");
    expect(await c.cmd("PASS nope")).toBe("-ERR [AUTH] Authentication failed");
    expect(await c.cmd(`AUTH PLAIN ${bad}`, 10_000)).toBe("-ERR [AUTH] Authentication failed; too many failures, closing connection");
    await c.waitClosed();
  });

  test("a failing credential store answers [SYS/TEMP] without counting a failure", async () => {
    const c = await connect(open);
    for (let i = 0; i < 4; i++) {
      await c.cmd("USER boom@example.test");
      expect(await c.cmd("PASS whatever")).toBe("-ERR [SYS/TEMP] Authentication service unavailable, try again later");
    }
    await c.cmd("USER alice@example.test");
    expect(await c.cmd("PASS alice-pw")).toStartWith("+OK Logged in");
    await c.cmd("QUIT");
  });
});

describe("timers and connection limits", () => {
  test("the autologout timer closes an idle session without entering UPDATE", async () => {
    await deliver(open.server.db, "alice@example.test", sampleMessage("idle"));
    const c = await RawPop3.login(open.port("pop3"));
    expect(await c.cmd("DELE 1")).toStartWith("+OK");
    const t0 = performance.now();
    expect(await c.line(5000)).toBe("-ERR Autologout; idle for too long");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(350);
    await c.waitClosed();
    const acct = await findAccount(open.server.db, "alice@example.test");
    const box = await findMailbox(open.server.db, acct!.id, "INBOX");
    expect((await listMessages(open.server.db, box!.id)).length).toBeGreaterThanOrEqual(1);
  });

  test("the default autologout timer is at least 10 minutes (RFC 1939 §3)", () => {
    expect(parseConfig({}).pop3.idleTimeoutMs).toBeGreaterThanOrEqual(10 * 60_000);
  });

  test("connections per address are capped with -ERR [SYS/TEMP]", async () => {
    const held: RawPop3[] = [];
    for (let i = 0; i < 6; i++) held.push(await connect(open));
    const extra = await RawPop3.connect(open.port("pop3"));
    expect(await extra.line()).toBe("-ERR [SYS/TEMP] Too many connections from your address, try again later");
    await extra.waitClosed();
    for (const h of held) h.close();
  });
});
