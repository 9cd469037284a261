// Rate limits on a real server: connections, messages and recipients per client IP and per
// authenticated user, trusted networks exempt, counters kept across a restart, and AUTH
// failures (SMTP, POP3 and IMAP, across connections) locking out an IP and, when enabled, a user.
// Time comes from an injected clock; clients connect from 127.0.0.x source addresses.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rateLimit } from "../../handlers/rate-limit.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import type { AnyHandler } from "../../src/events/handler.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { addDomain } from "../../src/store/domains.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { NO_DNS_CHECKS, startTestServer, type TestServer } from "../helpers/server.ts";

const T0 = 1_700_000_000_000;
const clock = { now: T0 };
const withClock = (hs: AnyHandler[]): AnyHandler[] =>
  hs.map((h) => ({ ...h, handle: (p: never, ctx: { now: () => number }) => h.handle(p, { ...ctx, now: () => clock.now } as never) }) as AnyHandler);

const HOUR = 3_600_000;
const OPTIONS = {
  ip: {
    connections: { limit: 3, windowMs: 60_000 },
    messages: { limit: 2, windowMs: HOUR },
    recipients: { limit: 3, windowMs: HOUR },
    authFailures: { limit: 3, windowMs: 900_000 },
  },
  user: { messages: { limit: 2, windowMs: HOUR }, recipients: { limit: 3, windowMs: HOUR }, authFailures: { limit: 4, windowMs: HOUR } },
};
const INPUT: ConfigInput = {
  trust: { trustedNetworks: ["127.0.0.9/32"], ...NO_DNS_CHECKS, rateLimit: false },
  auth: { allowPlaintextOnLoopback: true },
  limits: { maxAuthFailures: 2, authFailureDelayMs: 1 },
};
function handlers(defaults: AnyHandler[]): AnyHandler[] {
  const mine = withClock(rateLimit(OPTIONS, parseConfig(INPUT)));
  return [...defaults.filter((d) => !mine.some((m) => m.name === d.name)), ...mine];
}

async function socketFrom(ip: string, port: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress: ip }, () => resolve(s));
    s.once("error", reject);
  });
}

/** RawSmtp from another loopback source address; returns it with its greeting line. */
async function smtpFrom(ip: string, port: number): Promise<{ c: RawSmtp; greeting: string }> {
  const c = await RawSmtp.connect(port, { localAddress: ip });
  return { c, greeting: (await c.reply()).lines.at(-1)! };
}

async function session(srv: TestServer, ip: string, role: "mx" | "submission" = "mx"): Promise<RawSmtp> {
  const { c, greeting } = await smtpFrom(ip, srv.port(role));
  expect(greeting).toStartWith("220 ");
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  return c;
}

const b64 = (s: string) => btoa(s);
const plain = (user: string, pw: string) => `AUTH PLAIN ${b64(`\0${user}\0${pw}`)}`;

let srv: TestServer;
const dir = mkdtempSync(join(tmpdir(), "hikyaku-rate-"));
beforeAll(async () => {
  srv = await startTestServer({ ...INPUT, handlers }, { keepDir: dir });
  await addDomain(srv.server.db, "example.test");
  await addAccount(srv.server.db, "alice@example.test", "alice-pw");
  await addAccount(srv.server.db, "bob@example.test", "bob-pw");
});
afterAll(async () => {
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("per client IP", () => {
  test("connections: past the limit 421 4.7.0 and close; other and trusted IPs unaffected; the window slides", async () => {
    clock.now = T0;
    for (let i = 0; i < 3; i++) (await session(srv, "127.0.0.20")).close();
    const { c, greeting } = await smtpFrom("127.0.0.20", srv.port("mx"));
    expect(greeting).toBe("421 4.7.0 Too many connections from your address, try again later");
    expect(await c.waitClosed()).toBe(true);
    (await session(srv, "127.0.0.21")).close();
    for (let i = 0; i < 5; i++) (await session(srv, "127.0.0.9")).close();
    // Two windows later the old counts have slid out.
    clock.now += 120_000;
    (await session(srv, "127.0.0.20")).close();
  });

  test("messages: the third MAIL in the hour gets 451 4.7.1", async () => {
    const c = await session(srv, "127.0.0.22");
    for (let i = 0; i < 2; i++) {
      expect((await c.cmd("MAIL FROM:<x@sender.test>")).code).toBe(250);
      expect((await c.cmd("RSET")).code).toBe(250);
    }
    expect((await c.cmd("MAIL FROM:<x@sender.test>")).lines).toEqual(["451 4.7.1 Rate limit exceeded (messages), try again later"]);
    c.close();
  });

  test("recipients: the fourth RCPT in the hour gets 451 4.7.1", async () => {
    const c = await session(srv, "127.0.0.23");
    expect((await c.cmd("MAIL FROM:<x@sender.test>")).code).toBe(250);
    for (const r of ["alice", "bob", "alice"]) expect((await c.cmd(`RCPT TO:<${r}@example.test>`)).code).toBe(250);
    expect((await c.cmd("RCPT TO:<bob@example.test>")).lines).toEqual(["451 4.7.1 Rate limit exceeded (recipients), try again later"]);
    c.close();
  });

  test("counters hold across a restart", async () => {
    clock.now = T0 + 10 * HOUR;
    for (let i = 0; i < 3; i++) (await session(srv, "127.0.0.26")).close();
    await srv.stop();
    srv = await startTestServer({ ...INPUT, handlers }, { keepDir: dir });
    const { c, greeting } = await smtpFrom("127.0.0.26", srv.port("mx"));
    expect(greeting).toStartWith("421 4.7.0");
    c.close();
  });
});

describe("per authenticated user", () => {
  test("messages and recipients count per user across IPs, not per IP", async () => {
    clock.now = T0 + 20 * HOUR;
    const a = await session(srv, "127.0.0.24", "submission");
    expect((await a.cmd(plain("alice@example.test", "alice-pw"))).code).toBe(235);
    expect((await a.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    for (const r of ["bob", "bob", "bob"]) expect((await a.cmd(`RCPT TO:<${r}@example.test>`)).code).toBe(250);
    expect((await a.cmd("RCPT TO:<bob@example.test>")).lines.at(-1)).toStartWith("451 4.7.1 Rate limit exceeded (recipients)");
    expect((await a.cmd("RSET")).code).toBe(250);
    expect((await a.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
    a.close();
    // Same user from another address: her third message is refused …
    const b = await session(srv, "127.0.0.25", "submission");
    expect((await b.cmd(plain("alice@example.test", "alice-pw"))).code).toBe(235);
    expect((await b.cmd("MAIL FROM:<alice@example.test>")).lines.at(-1)).toStartWith("451 4.7.1 Rate limit exceeded (messages)");
    b.close();
    // … while bob, from alice's first address, has his own budget.
    const c = await session(srv, "127.0.0.24", "submission");
    expect((await c.cmd(plain("bob@example.test", "bob-pw"))).code).toBe(235);
    expect((await c.cmd("MAIL FROM:<bob@example.test>")).code).toBe(250);
    c.close();
  });
});

describe("AUTH failures", () => {
  test("failures from one IP across connections refuse that IP at connect on submission (421 4.7.0)", async () => {
    clock.now = T0 + 30 * HOUR;
    const a = await session(srv, "127.0.0.30", "submission");
    expect((await a.cmd(plain("bob@example.test", "wrong"))).lines).toEqual(["535 5.7.8 Authentication credentials invalid"]);
    await a.cmd(plain("bob@example.test", "wrong"));
    expect(await a.waitClosed()).toBe(true);
    const b = await session(srv, "127.0.0.30", "submission");
    expect((await b.cmd(plain("bob@example.test", "wrong"))).code).toBe(535);
    // The third failure reached the IP limit: even the right password is refused, with the
    // same reply as a wrong one.
    expect((await b.cmd(plain("bob@example.test", "bob-pw"))).lines).toEqual(["535 5.7.8 Authentication credentials invalid"]);
    b.close();
    const { c, greeting } = await smtpFrom("127.0.0.30", srv.port("submission"));
    expect(greeting).toBe("421 4.7.0 Too many authentication failures from your address, try again later");
    c.close();
    // Port 25 (no AUTH there) and other addresses are not affected.
    (await session(srv, "127.0.0.30", "mx")).close();
    (await session(srv, "127.0.0.31", "submission")).close();
    // After the window the IP may try again.
    clock.now += 2 * 900_000;
    (await session(srv, "127.0.0.30", "submission")).close();
  });

  test("POP3 failures count too", async () => {
    clock.now = T0 + 40 * HOUR;
    for (let i = 0; i < 2; i++) {
      const p = await Pop3Line.connect("127.0.0.40", srv.port("pop3"));
      expect(await p.cmd("USER bob@example.test")).toStartWith("+OK");
      expect(await p.cmd("PASS wrong")).toStartWith("-ERR [AUTH]");
      p.close();
    }
    const p = await Pop3Line.connect("127.0.0.40", srv.port("pop3"));
    expect(await p.cmd("USER bob@example.test")).toStartWith("+OK");
    expect(await p.cmd("PASS wrong")).toStartWith("-ERR [AUTH]");
    p.close();
    const { c, greeting } = await smtpFrom("127.0.0.40", srv.port("submission"));
    expect(greeting).toStartWith("421 4.7.0 Too many authentication failures");
    c.close();
  });

  test("IMAP failures count too", async () => {
    clock.now = T0 + 45 * HOUR;
    for (let i = 0; i < 3; i++) {
      const m = await Pop3Line.connect("127.0.0.45", srv.port("imap"), "* OK");
      expect(await m.cmd(`a${i} LOGIN bob@example.test wrong`)).toBe(`a${i} NO [AUTHENTICATIONFAILED] Authentication failed`);
      m.close();
    }
    // Locked out: even the right password gets exactly the wrong-password answer.
    const m = await Pop3Line.connect("127.0.0.45", srv.port("imap"), "* OK");
    expect(await m.cmd("b LOGIN bob@example.test bob-pw")).toBe("b NO [AUTHENTICATIONFAILED] Authentication failed");
    m.close();
    const { c, greeting } = await smtpFrom("127.0.0.45", srv.port("submission"));
    expect(greeting).toStartWith("421 4.7.0 Too many authentication failures");
    c.close();
  });

  test("per-user lockout (opt-in): failures from several IPs refuse the right password everywhere", async () => {
    clock.now = T0 + 50 * HOUR;
    for (const ip of ["127.0.0.51", "127.0.0.52"]) {
      const a = await session(srv, ip, "submission");
      for (let i = 0; i < 2; i++) expect((await a.cmd(plain("alice@example.test", "guess"))).code).toBe(535);
      a.close();
    }
    const s = await session(srv, "127.0.0.53", "submission");
    expect((await s.cmd(plain("alice@example.test", "alice-pw"))).lines).toEqual(["535 5.7.8 Authentication credentials invalid"]);
    expect((await s.cmd(plain("bob@example.test", "bob-pw"))).code).toBe(235);
    s.close();
    const p = await Pop3Line.connect("127.0.0.53", srv.port("pop3"));
    expect(await p.cmd("USER alice@example.test")).toStartWith("+OK");
    // The same answer as a wrong password: a guesser cannot tell the password was right.
    expect(await p.cmd("PASS alice-pw")).toBe("-ERR [AUTH] Authentication failed");
    p.close();
    // The lockout ends with the window.
    clock.now += 2 * HOUR;
    const t = await session(srv, "127.0.0.53", "submission");
    expect((await t.cmd(plain("alice@example.test", "alice-pw"))).code).toBe(235);
    t.close();
  });

  test("trace notes name the counters", async () => {
    await srv.server.flushTraces();
    const rs = await srv.server.db.client.execute("SELECT text FROM traces WHERE handler = 'rate-limit-rcpt' AND verdict = 'continue' ORDER BY id LIMIT 1");
    expect(rs.rows[0]?.["text"]).toBe("recipients:ip 1/3");
  });
});

/** A minimal POP3 line client bound to a source address (single-line replies only). */
class Pop3Line {
  #buf = "";
  #wake: (() => void) | null = null;
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      this.#buf += d;
      this.#wake?.();
    });
    sock.on("close", () => this.#wake?.());
    sock.on("error", () => {});
  }
  /** `greeting`: "+OK" for POP3, "* OK" for IMAP (both answer these tests in single lines). */
  static async connect(ip: string, port: number, greeting = "+OK"): Promise<Pop3Line> {
    const p = new Pop3Line(await socketFrom(ip, port));
    expect(await p.line()).toStartWith(greeting);
    return p;
  }
  async line(): Promise<string> {
    for (let i = 0; i < 1000; i++) {
      const n = this.#buf.indexOf("\r\n");
      if (n >= 0) {
        const l = this.#buf.slice(0, n);
        this.#buf = this.#buf.slice(n + 2);
        return l;
      }
      if (this.sock.destroyed) break;
      await new Promise<void>((r) => (this.#wake = r));
    }
    throw new Error(`no POP3 line; buffered ${JSON.stringify(this.#buf)}`);
  }
  cmd(line: string): Promise<string> {
    this.sock.write(line + "\r\n");
    return this.line();
  }
  close(): void {
    this.sock.destroy();
  }
}
