// Pure transcripts of the POP3 session (RFC 1939 states, RFC 2449 CAPA and response codes,
// RFC 2595 STLS, RFC 5034 AUTH): step(state, input) with a fake driver, no sockets.

import { describe, expect, test } from "bun:test";
import { createSession, step } from "../../../src/protocol/pop3/session.ts";
import type { Maildrop, MaildropResult, Pop3Action, Pop3Input, Pop3Options, Pop3State } from "../../../src/protocol/pop3/types.ts";
import type { SessionInfo, TlsInfo } from "../../../src/events/catalog.ts";
import { verdict, type Verdict } from "../../../src/events/verdict.ts";
import { rng } from "../smtp/chunking.ts";

const TLS: TlsInfo = { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", bits: 256 };
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

const SESSION: SessionInfo = {
  id: "s1",
  protocol: "pop3",
  role: "pop3",
  remoteAddress: "127.0.0.1",
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 110,
  tls: null,
  helo: null,
  authUser: null,
};

const OPTS: Pop3Options = {
  hostname: "mx.example.test",
  startTlsAvailable: true,
  plaintextAuthAllowed: true,
  maxErrors: 10,
  maxAuthFailures: 3,
  authFailureDelayMs: 1000,
  expire: "NEVER",
};

function maildrop(): Maildrop {
  return {
    mailboxId: 7,
    uidValidity: 1700000000,
    messages: [
      { uid: 3, size: 120, storedSize: 120, bodyHash: "h3", deleted: false, retrieved: false },
      // Stored with bare LFs: two more octets as transmitted.
      { uid: 5, size: 200, storedSize: 198, bodyHash: "h5", deleted: false, retrieved: false },
      { uid: 9, size: 80, storedSize: 80, bodyHash: "h9", deleted: false, retrieved: false },
    ],
  };
}

type Fakes = {
  verdict: () => Verdict;
  maildrop: () => MaildropResult;
  /** null: the provider failed (handler threw or timed out). */
  verify: (u: string, p: string) => { ok: true; address: string } | { ok: false } | null;
  retrieved: "sent" | "gone" | "error";
  updated: boolean;
};

/** A fake driver: answers every action the way src/pop3/connection.ts would. */
class Harness {
  readonly s: Pop3State;
  out: string[] = [];
  actions: Pop3Action[] = [];
  fakes: Fakes = {
    verdict: () => verdict.continue(),
    maildrop: () => ({ ok: true, maildrop: maildrop() }),
    verify: (u, p) => (u.toLowerCase() === "alice@example.test" && p === "alice-pw" ? { ok: true, address: "alice@example.test" } : { ok: false }),
    retrieved: "sent",
    updated: true,
  };

  constructor(opts: Partial<Pop3Options> = {}, session: Partial<SessionInfo> = {}) {
    this.s = createSession({ ...SESSION, ...session }, { ...OPTS, ...opts });
    this.feed({ type: "connect" });
  }

  feed(input: Pop3Input): void {
    const queue = [input];
    while (queue.length > 0) {
      for (const a of step(this.s, queue.shift()!).actions) {
        this.actions.push(a);
        switch (a.type) {
          case "reply":
            this.out.push(a.text);
            break;
          case "policy":
            queue.push({ type: "verdict", verdict: this.fakes.verdict() });
            break;
          case "provide": {
            if (a.event === "auth.scram") {
              queue.push({ type: "provided", result: null });
              break;
            }
            const r = this.fakes.verify(a.payload.username, a.payload.password);
            queue.push(r === null ? { type: "provide-failed" } : { type: "provided", result: r });
            break;
          }
          case "openMaildrop":
            queue.push({ type: "maildrop", result: this.fakes.maildrop() });
            break;
          case "retrieve":
            if (this.fakes.retrieved === "sent") this.out.push(`${a.head}<message ${a.uid} lines=${a.bodyLines}>`);
            queue.push({ type: "retrieved", result: this.fakes.retrieved });
            break;
          case "update":
            queue.push({ type: "updated", ok: this.fakes.updated });
            break;
          default:
            break;
        }
      }
    }
  }

  /** Sends one line; returns the text written in answer. */
  line(l: string): string {
    this.out = [];
    this.feed({ type: "line", line: l });
    return this.out.join("");
  }

  login(): this {
    this.line("USER alice@example.test");
    expect(this.line("PASS alice-pw")).toStartWith("+OK ");
    return this;
  }

  of<T extends Pop3Action["type"]>(type: T): Extract<Pop3Action, { type: T }>[] {
    return this.actions.filter((a) => a.type === type) as never;
  }
}

describe("AUTHORIZATION state", () => {
  test("greeting, then USER/PASS opens the maildrop and enters TRANSACTION", () => {
    const h = new Harness();
    expect(h.out).toEqual(["+OK mx.example.test Hikyaku POP3 ready\r\n"]);
    expect(h.line("USER alice@example.test")).toBe("+OK Send PASS\r\n");
    expect(h.line("PASS alice-pw")).toBe("+OK Logged in; maildrop has 3 messages (400 octets)\r\n");
    expect(h.s.phase).toBe("transaction");
    expect(h.s.session.authUser).toBe("alice@example.test");
    const policy = h.of("policy")[0];
    expect(policy.event).toBe("pop3.login");
    expect(policy.payload.mechanism).toBe("USER");
    expect(h.of("openMaildrop")[0].address).toBe("alice@example.test");
  });

  test("USER answers +OK for unknown names (no account probing); PASS then fails with [AUTH]", () => {
    const h = new Harness();
    expect(h.line("USER nobody@example.test")).toBe("+OK Send PASS\r\n");
    expect(h.line("PASS x")).toBe("-ERR [AUTH] Authentication failed\r\n");
    expect(h.of("delay")[0].ms).toBe(1000);
    // RFC 1939 §7: a new USER is needed after a failed PASS.
    expect(h.line("PASS alice-pw")).toBe("-ERR Send USER first\r\n");
  });

  test("failures back off 1×, 2×, 4× and the last one closes the connection", () => {
    const h = new Harness();
    for (let i = 0; i < 2; i++) {
      h.line("USER alice@example.test");
      expect(h.line("PASS bad")).toBe("-ERR [AUTH] Authentication failed\r\n");
    }
    h.line("USER alice@example.test");
    expect(h.line("PASS bad")).toBe("-ERR [AUTH] Authentication failed; too many failures, closing connection\r\n");
    expect(h.of("delay").map((d) => d.ms)).toEqual([1000, 2000, 4000]);
    expect(h.s.closed).toBe(true);
    expect(h.of("close")).toHaveLength(1);
  });

  test("a failing credential store is [SYS/TEMP], not an authentication failure", () => {
    const h = new Harness();
    h.fakes.verify = () => null;
    h.line("USER alice@example.test");
    expect(h.line("PASS alice-pw")).toBe("-ERR [SYS/TEMP] Authentication service unavailable, try again later\r\n");
    expect(h.s.authFailures).toBe(0);
    expect(h.of("delay")).toHaveLength(0);
  });

  test("pop3.login policy: reject is [SYS/PERM], tempfail [SYS/TEMP], disconnect closes", () => {
    const h = new Harness();
    h.fakes.verdict = () => verdict.reject(550, "5.7.1", "Account suspended");
    h.line("USER alice@example.test");
    expect(h.line("PASS alice-pw")).toBe("-ERR [SYS/PERM] Account suspended\r\n");
    expect(h.s.phase).toBe("authorization");
    h.fakes.verdict = () => verdict.tempfail(451, "4.7.1", "Try later");
    h.line("USER alice@example.test");
    expect(h.line("PASS alice-pw")).toBe("-ERR [SYS/TEMP] Try later\r\n");
    h.fakes.verdict = () => verdict.disconnect(421, "4.7.0", "Go away");
    h.line("USER alice@example.test");
    expect(h.line("PASS alice-pw")).toBe("-ERR [SYS/TEMP] Go away\r\n");
    expect(h.s.closed).toBe(true);
    expect(h.of("openMaildrop")).toHaveLength(0);
  });

  test("a locked maildrop is -ERR [IN-USE] and the session stays in AUTHORIZATION", () => {
    const h = new Harness();
    h.fakes.maildrop = () => ({ ok: false, reason: "in-use" });
    h.line("USER alice@example.test");
    expect(h.line("PASS alice-pw")).toBe("-ERR [IN-USE] Maildrop is locked by another POP3 session\r\n");
    expect(h.s.phase).toBe("authorization");
    expect(h.s.session.authUser).toBeNull();
    h.fakes.maildrop = () => ({ ok: false, reason: "error" });
    h.line("USER alice@example.test");
    expect(h.line("PASS alice-pw")).toBe("-ERR [SYS/TEMP] Cannot open the maildrop, try again later\r\n");
    h.fakes.maildrop = () => ({ ok: false, reason: "no-mailbox" });
    h.line("USER alice@example.test");
    expect(h.line("PASS alice-pw")).toBe("-ERR [SYS/PERM] No INBOX for this account\r\n");
  });

  test("transaction commands before authentication are refused", () => {
    const h = new Harness();
    for (const c of ["STAT", "LIST", "UIDL", "RETR 1", "TOP 1 1", "DELE 1", "RSET", "NOOP"]) {
      expect(h.line(c)).toBe(`-ERR ${c.split(" ")[0]} is not allowed before authentication\r\n`);
    }
    expect(h.s.phase).toBe("authorization");
    expect(h.of("retrieve")).toHaveLength(0);
  });

  test("QUIT in AUTHORIZATION closes without UPDATE", () => {
    const h = new Harness();
    expect(h.line("QUIT")).toBe("+OK mx.example.test Hikyaku POP3 signing off\r\n");
    expect(h.s.closed).toBe(true);
    expect(h.of("update")).toHaveLength(0);
  });

  test("APOP is refused (never offered in the greeting)", () => {
    const h = new Harness();
    expect(h.out[0]).not.toContain("<");
    expect(h.line("APOP")).toBe("-ERR APOP is not supported; use USER/PASS or AUTH\r\n");
  });
});

describe("cleartext (DESIGN §5, RFC 2595 §4)", () => {
  test("USER, PASS and AUTH are refused before TLS unless allowed; CAPA hides them", () => {
    const h = new Harness({ plaintextAuthAllowed: false });
    const refusal = "-ERR Plaintext authentication disallowed on non-secure connections; use STLS first\r\n";
    expect(h.line("USER alice@example.test")).toBe(refusal);
    expect(h.line("PASS alice-pw")).toBe(refusal);
    expect(h.line(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).toBe(refusal);
    expect(h.line("AUTH")).toBe(refusal);
    const capa = h.line("CAPA");
    expect(capa).not.toContain("USER\r\n");
    expect(capa).not.toContain("SASL");
    expect(capa).toContain("STLS\r\n");
    expect(h.of("provide")).toHaveLength(0);
  });

  test("after STLS they are allowed and STLS is no longer offered", () => {
    const h = new Harness({ plaintextAuthAllowed: false });
    h.line("USER alice@example.test");
    expect(h.line("STLS")).toBe("+OK Begin TLS negotiation\r\n");
    expect(h.of("startTls")).toHaveLength(1);
    h.feed({ type: "tls", info: TLS });
    const capa = h.line("CAPA");
    expect(capa).toContain("USER\r\n");
    expect(capa).toContain("SASL PLAIN LOGIN SCRAM-SHA-256\r\n");
    expect(capa).not.toContain("STLS");
    expect(h.line("STLS")).toBe("-ERR TLS already active\r\n");
    // RFC 2595 §4: state from before the handshake is forgotten.
    expect(h.line("PASS alice-pw")).toBe("-ERR Send USER first\r\n");
    h.login();
    expect(h.s.phase).toBe("transaction");
  });

  test("STLS is refused where it is not available, and after login", () => {
    expect(new Harness({ startTlsAvailable: false }).line("STLS")).toBe("-ERR STLS not available\r\n");
    expect(new Harness({}, { tls: TLS }).line("STLS")).toBe("-ERR TLS already active\r\n");
    const h = new Harness().login();
    expect(h.line("STLS")).toBe("-ERR STLS is not allowed after authentication\r\n");
    expect(h.of("startTls")).toHaveLength(0);
  });
});

describe("CAPA (RFC 2449 §5)", () => {
  test("the capability list in both states", () => {
    const h = new Harness({ expire: 30 });
    const want = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE 30", "USER", "SASL PLAIN LOGIN SCRAM-SHA-256", "STLS", "IMPLEMENTATION Hikyaku"];
    expect(h.line("CAPA")).toBe(`+OK Capability list follows\r\n${want.join("\r\n")}\r\n.\r\n`);
    h.login();
    const after = want.filter((c) => c !== "STLS");
    expect(h.line("CAPA")).toBe(`+OK Capability list follows\r\n${after.join("\r\n")}\r\n.\r\n`);
    expect(new Harness().line("CAPA")).toContain("EXPIRE NEVER\r\n");
  });
});

describe("AUTH (RFC 5034)", () => {
  test("PLAIN with an initial response", () => {
    const h = new Harness();
    expect(h.line(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`)).toStartWith("+OK Logged in");
    expect(h.of("policy")[0].payload.mechanism).toBe("PLAIN");
  });

  test("PLAIN with an empty challenge; LOGIN with its two prompts", () => {
    const h = new Harness();
    expect(h.line("AUTH PLAIN")).toBe("+ \r\n");
    expect(h.line(b64("\0alice@example.test\0alice-pw"))).toStartWith("+OK Logged in");
    const l = new Harness();
    expect(l.line("AUTH LOGIN")).toBe(`+ ${b64("Username:")}\r\n`);
    expect(l.line(b64("alice@example.test"))).toBe(`+ ${b64("Password:")}\r\n`);
    expect(l.line(b64("alice-pw"))).toStartWith("+OK Logged in");
  });

  test("a bare AUTH lists the mechanisms", () => {
    expect(new Harness().line("AUTH")).toBe("+OK Mechanisms follow\r\nPLAIN\r\nLOGIN\r\nSCRAM-SHA-256\r\n.\r\n");
  });

  test("cancel, bad base64, unknown mechanism, bad credentials", () => {
    const h = new Harness();
    h.line("AUTH PLAIN");
    expect(h.line("*")).toBe("-ERR Authentication cancelled\r\n");
    expect(h.s.sasl).toBeNull();
    expect(h.line("AUTH PLAIN !!!")).toBe("-ERR Invalid base64 in initial response\r\n");
    h.line("AUTH PLAIN");
    expect(h.line("@@@")).toBe("-ERR Malformed authentication data\r\n");
    expect(h.line("AUTH CRAM-MD5")).toBe("-ERR Unsupported authentication mechanism\r\n");
    expect(h.line(`AUTH PLAIN ${b64("\0alice@example.test\0nope")}`)).toBe("-ERR [AUTH] Authentication failed\r\n");
    expect(h.s.authFailures).toBe(1);
  });

  test("SCRAM-SHA-256 for an unknown user fails like a bad password", () => {
    const h = new Harness();
    expect(h.line(`AUTH SCRAM-SHA-256 ${b64("n,,n=nobody@example.test,r=abcdefghijkl")}`)).toStartWith("+ ");
    expect(h.of("provide").at(-1)!.event).toBe("auth.scram");
  });

  test("a SASL response line that is too long aborts the exchange", () => {
    const h = new Harness();
    h.line("AUTH PLAIN");
    h.out = [];
    h.feed({ type: "line-too-long" });
    expect(h.out.join("")).toBe("-ERR Malformed authentication data\r\n");
    expect(h.s.sasl).toBeNull();
  });

  test("AUTH after login is refused", () => {
    expect(new Harness().login().line("AUTH PLAIN")).toBe("-ERR AUTH is not allowed after authentication\r\n");
  });
});

describe("TRANSACTION state (RFC 1939 §5)", () => {
  test("STAT, LIST, UIDL over the maildrop", () => {
    const h = new Harness().login();
    expect(h.line("STAT")).toBe("+OK 3 400\r\n");
    expect(h.line("LIST")).toBe("+OK 3 messages (400 octets)\r\n1 120\r\n2 200\r\n3 80\r\n.\r\n");
    expect(h.line("LIST 2")).toBe("+OK 2 200\r\n");
    expect(h.line("UIDL")).toBe("+OK Unique-ID listing follows\r\n1 1700000000.3\r\n2 1700000000.5\r\n3 1700000000.9\r\n.\r\n");
    expect(h.line("UIDL 3")).toBe("+OK 3 1700000000.9\r\n");
    expect(h.line("NOOP")).toBe("+OK\r\n");
  });

  test("RETR and TOP ask the driver to stream; TOP does not count as retrieved", () => {
    const h = new Harness().login();
    expect(h.line("RETR 2")).toBe("+OK 200 octets\r\n<message 5 lines=null>");
    expect(h.s.maildrop!.messages[1].retrieved).toBe(true);
    expect(h.line("TOP 1 5")).toBe("+OK Top of message follows\r\n<message 3 lines=5>");
    expect(h.s.maildrop!.messages[0].retrieved).toBe(false);
    expect(h.of("retrieve")[0]).toMatchObject({ mailboxId: 7, uid: 5, bodyHash: "h5", storedSize: 198, canonical: false, bodyLines: null });
    expect(h.of("retrieve")[1]).toMatchObject({ uid: 3, storedSize: 120, canonical: true, bodyLines: 5 });
  });

  test("a message expunged over IMAP meanwhile, or unreadable now: -ERR, nothing sent", () => {
    const h = new Harness().login();
    h.fakes.retrieved = "gone";
    expect(h.line("RETR 1")).toBe("-ERR Message 1 was removed by another client\r\n");
    expect(h.s.maildrop!.messages[0].retrieved).toBe(false);
    h.fakes.retrieved = "error";
    expect(h.line("RETR 2")).toBe("-ERR [SYS/TEMP] Cannot read the message now, try again later\r\n");
    expect(h.s.maildrop!.messages[1].retrieved).toBe(false);
  });

  test("nonexistent and deleted messages", () => {
    const h = new Harness().login();
    for (const c of ["RETR 0", "RETR 4", "DELE 99", "LIST 4", "UIDL 0", "TOP 4 1"]) expect(h.line(c)).toBe("-ERR No such message\r\n");
    expect(h.line("DELE 2")).toBe("+OK Message 2 deleted\r\n");
    for (const c of ["RETR 2", "DELE 2", "LIST 2", "UIDL 2", "TOP 2 0"]) expect(h.line(c)).toBe("-ERR Message 2 already deleted\r\n");
    // RFC 1939 §5: deleted messages are not counted or listed.
    expect(h.line("STAT")).toBe("+OK 2 200\r\n");
    expect(h.line("LIST")).toBe("+OK 2 messages (200 octets)\r\n1 120\r\n3 80\r\n.\r\n");
    expect(h.line("UIDL")).toBe("+OK Unique-ID listing follows\r\n1 1700000000.3\r\n3 1700000000.9\r\n.\r\n");
    expect(h.line("RSET")).toBe("+OK Maildrop has 3 messages (400 octets)\r\n");
    expect(h.line("RETR 2")).toStartWith("+OK 200 octets");
  });

  test("QUIT commits deletions and \\Seen for retrieved messages in one update", () => {
    const h = new Harness().login();
    h.line("RETR 1");
    h.line("RETR 3");
    h.line("DELE 3");
    h.line("DELE 2");
    expect(h.line("QUIT")).toBe("+OK mx.example.test Hikyaku POP3 signing off\r\n");
    expect(h.of("update")).toEqual([{ type: "update", mailboxId: 7, expunge: [5, 9], seen: [3] }]);
    expect(h.s.closed).toBe(true);
  });

  test("QUIT with nothing to commit writes nothing", () => {
    const h = new Harness().login();
    h.line("DELE 1");
    h.line("RSET");
    expect(h.line("QUIT")).toBe("+OK mx.example.test Hikyaku POP3 signing off\r\n");
    expect(h.of("update")).toHaveLength(0);
  });

  test("a failed UPDATE answers -ERR [SYS/TEMP] (RFC 1939 §6)", () => {
    const h = new Harness().login();
    h.fakes.updated = false;
    h.line("DELE 1");
    expect(h.line("QUIT")).toBe("-ERR [SYS/TEMP] Some deleted messages not removed, try again later\r\n");
    expect(h.s.closed).toBe(true);
  });

  test("EXPIRE 0 deletes retrieved messages at QUIT (RFC 2449 §6.7)", () => {
    const h = new Harness({ expire: 0 }).login();
    h.line("RETR 2");
    h.line("TOP 1 0");
    h.line("QUIT");
    expect(h.of("update")).toEqual([{ type: "update", mailboxId: 7, expunge: [5], seen: [] }]);
  });

  test("USER, PASS, APOP after login are refused", () => {
    const h = new Harness().login();
    expect(h.line("USER bob")).toBe("-ERR USER is not allowed after authentication\r\n");
    expect(h.line("PASS x")).toBe("-ERR PASS is not allowed after authentication\r\n");
    expect(h.line("APOP")).toBe("-ERR APOP is not allowed after authentication\r\n");
  });
});

describe("limits and timers", () => {
  test("unknown commands, bad syntax and long lines count; the 10th closes", () => {
    const h = new Harness();
    expect(h.line("XYZZY")).toBe("-ERR Unknown command\r\n");
    expect(h.line("RETR x")).toBe("-ERR Syntax: RETR message-number\r\n");
    h.out = [];
    h.feed({ type: "line-too-long" });
    expect(h.out.join("")).toBe("-ERR Line too long\r\n");
    h.out = [];
    h.feed({ type: "invalid-utf8" });
    expect(h.out.join("")).toBe("-ERR Invalid characters in command\r\n");
    for (let i = 4; i < 9; i++) h.line("XYZZY");
    expect(h.s.closed).toBe(false);
    expect(h.line("XYZZY")).toBe("-ERR Unknown command\r\n-ERR Too many errors, closing connection\r\n");
    expect(h.s.closed).toBe(true);
    expect(h.line("NOOP")).toBe("");
  });

  test("autologout closes without UPDATE, even with messages marked", () => {
    const h = new Harness().login();
    h.line("DELE 1");
    h.out = [];
    h.feed({ type: "timeout" });
    expect(h.out.join("")).toBe("-ERR Autologout; idle for too long\r\n");
    expect(h.s.closed).toBe(true);
    expect(h.of("update")).toHaveLength(0);
  });

  test("shutdown closes with [SYS/TEMP] and commits nothing", () => {
    const h = new Harness().login();
    h.line("DELE 1");
    h.out = [];
    h.feed({ type: "shutdown" });
    expect(h.out.join("")).toBe("-ERR [SYS/TEMP] Server shutting down, try again later\r\n");
    expect(h.of("update")).toHaveLength(0);
  });
});

describe("fuzz", () => {
  test("random lines in every state: one well-formed answer per line, never a throw", () => {
    const next = rng(2449);
    const words = ["USER", "PASS", "AUTH", "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET", "NOOP", "CAPA", "STLS", "APOP", "QUIT", "X", "", "*", "PLAIN", "LOGIN", "0", "1", "3", "-1", "999999999999", "alice@example.test", "alice-pw", "=", "AGFsaWNlAA=="];
    for (let round = 0; round < 400; round++) {
      const h = new Harness({ maxErrors: 1000, authFailureDelayMs: 0, maxAuthFailures: 1000 });
      if (next() < 0.5) h.login();
      for (let i = 0; i < 30 && !h.s.closed; i++) {
        const n = 1 + Math.floor(next() * 3);
        const line = Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(" ");
        const out = h.line(line);
        expect(out.length).toBeGreaterThan(0);
        expect(out.endsWith("\r\n") || out.endsWith(">")).toBe(true);
        expect(/^(\+OK|-ERR|\+ )/.test(out)).toBe(true);
        expect(h.s.pending).toBeNull();
      }
    }
  });
});
