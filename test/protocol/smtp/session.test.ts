// Pure tests of the SMTP/LMTP session state machine: step(state, input) with fake verdicts and
// provider results, no sockets. Every 2xx/4xx/5xx reply is checked for an enhanced status code
// (RFC 2034) except the greeting and the HELO/EHLO/LHLO answer.

import { describe, expect, test } from "bun:test";
import { createSession, step } from "../../../src/protocol/smtp/session.ts";
import type { SessionOptions, SmtpAction, SmtpInput, SmtpState } from "../../../src/protocol/smtp/types.ts";
import type { AuthCheck, DeliveryResult, EnvelopeInfo, Resolution, SessionInfo, TlsInfo } from "../../../src/events/catalog.ts";
import { verdict, type Verdict } from "../../../src/events/verdict.ts";

const TLS: TlsInfo = { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", bits: 256 };
const enc = new TextEncoder();
const dec = new TextDecoder();
const b64 = (s: string) => Buffer.from(s).toString("base64");

type PolicyAction = Extract<SmtpAction, { type: "policy" }>;
type ProvideAction = Extract<SmtpAction, { type: "provide" }>;
const FAIL = Symbol("provide-failed");

type Fakes = {
  policy: (a: PolicyAction) => Verdict;
  provide: (a: ProvideAction) => unknown | typeof FAIL;
};

/** Default fakes: policies continue; alice/bob are local, other example.test names unknown, the rest remote. */
function resolve(address: string): Resolution {
  const a = address.toLowerCase();
  if (a === "alice@example.test" || a === "alice.alias@example.test") return { kind: "local", accounts: [{ id: 1, address: "alice@example.test" }], remote: [] };
  if (a === "bob@example.test") return { kind: "local", accounts: [{ id: 2, address: "bob@example.test" }], remote: [] };
  if (a.endsWith("@example.test")) return { kind: "unknown" };
  return { kind: "remote" };
}

const defaultFakes: Fakes = {
  policy: () => verdict.continue(),
  provide(a) {
    switch (a.event) {
      case "address.resolve":
        return resolve((a.payload as { address: string }).address);
      case "auth.verify": {
        const p = a.payload as { username: string; password: string };
        const ok = (p.username === "alice@example.test" && p.password === "alice-pw") || (p.username === "bob@example.test" && p.password === "bob-pw");
        return (ok ? { ok: true, address: p.username } : { ok: false }) satisfies AuthCheck;
      }
      case "auth.scram":
        return null;
      case "message.deliver": {
        const env = (a.payload as { envelope: EnvelopeInfo }).envelope;
        return {
          queueId: env.transactionId,
          recipients: env.recipients.map((r) => ({ address: r.address, ok: true, reply: "Ok: delivered" })),
          stored: [],
          queued: [],
        } satisfies DeliveryResult;
      }
    }
  },
};

type Reply = { code: number; enhanced: string | null; text: string; raw: string };

function parseReply(raw: string): Reply {
  const last = raw.split("\r\n").filter(Boolean).at(-1)!;
  const m = /^(\d{3})[ -]?(?:([245]\.\d{1,3}\.\d{1,3})(?: |$))?(.*)$/.exec(last)!;
  return { code: Number(m[1]), enhanced: m[2] ?? null, text: m[3], raw };
}

class Driver {
  readonly s: SmtpState;
  readonly log: SmtpAction[] = [];
  fakes: Fakes;
  #ids = 0;

  constructor(opts: Partial<SessionOptions> = {}, info: Partial<SessionInfo> = {}, fakes: Partial<Fakes> = {}) {
    const role = opts.role ?? info.role ?? "mx";
    const session: SessionInfo = {
      id: "sess1",
      protocol: role === "lmtp" ? "lmtp" : "smtp",
      role,
      remoteAddress: "192.0.2.1",
      remotePort: 40000,
      localAddress: "192.0.2.25",
      localPort: 25,
      tls: null,
      helo: null,
      authUser: null,
      ...info,
    };
    this.s = createSession(session, {
      hostname: "mx.example.test",
      role,
      startTlsAvailable: true,
      plaintextAuthAllowed: false,
      maxMessageBytes: 10_000,
      maxRecipients: 3,
      maxHeaderBytes: 1024,
      maxErrors: 5,
      maxAuthFailures: 3,
      authFailureDelayMs: 100,
      enforceSender: true,
      ...opts,
    });
    this.fakes = { ...defaultFakes, ...fakes };
  }

  /** Feeds one input, answers every event it emits, and returns the replies it produced. */
  feed(input: SmtpInput): Reply[] {
    const replies: Reply[] = [];
    const queue: SmtpInput[] = [input];
    const exempt = input.type === "connect" || (input.type === "line" && /^(HELO|EHLO|LHLO) /i.test(input.line));
    while (queue.length > 0) {
      const { actions } = step(this.s, queue.shift()!, { newId: () => `TX${++this.#ids}` });
      for (const a of actions) {
        this.log.push(a);
        if (a.type === "reply") {
          const r = parseReply(a.text);
          if (r.code < 300 || r.code >= 400) {
            if (!(exempt && (r.code === 220 || r.code === 250))) expect(r.enhanced).not.toBeNull();
            if (r.enhanced) expect(r.enhanced[0]).toBe(String(r.code)[0]);
          }
          replies.push(r);
        } else if (a.type === "policy") {
          queue.push({ type: "verdict", verdict: this.fakes.policy(a) });
        } else if (a.type === "provide") {
          const result = this.fakes.provide(a);
          queue.push(result === FAIL ? { type: "provide-failed" } : { type: "provided", result });
        }
      }
    }
    return replies;
  }

  line(l: string): Reply[] {
    return this.feed({ type: "line", line: l });
  }

  /** The single reply to a command line. */
  one(l: string): Reply {
    const r = this.line(l);
    expect(r.length).toBe(1);
    return r[0];
  }

  actionsSince(mark: number): SmtpAction[] {
    return this.log.slice(mark);
  }

  greet(verb = "EHLO"): Reply[] {
    this.feed({ type: "connect" });
    return this.line(`${verb} client.test`);
  }

  data(body: string, error: "too-big" | "bare-cr-lf" | "line-too-long" | null = null): Reply[] {
    return this.feed({ type: "data", body: enc.encode(body), error, receivedAt: Date.UTC(2024, 0, 2, 3, 4, 5) });
  }

  chunk(body: string | null, opts: { last?: boolean; tooBig?: boolean; size?: number } = {}): Reply[] {
    return this.feed({
      type: "chunk",
      body: body === null ? null : enc.encode(body),
      tooBig: opts.tooBig ?? false,
      last: opts.last ?? false,
      size: opts.size ?? (body === null ? 0 : body.length),
      receivedAt: Date.UTC(2024, 0, 2, 3, 4, 5),
    });
  }
}

const codes = (rs: Reply[]) => rs.map((r) => r.code);
const heads = (rs: Reply[]) => rs.map((r) => `${r.code} ${r.enhanced ?? "-"}`);

describe("connect and greeting", () => {
  test("continue: 220 greeting without enhanced code, via an smtp.connect policy event", () => {
    const d = new Driver();
    const r = d.feed({ type: "connect" });
    expect(r.map((x) => x.raw)).toEqual(["220 mx.example.test ESMTP Hikyaku\r\n"]);
    expect(d.log[0]).toMatchObject({ type: "policy", event: "smtp.connect" });
  });

  test("LMTP greets as LMTP", () => {
    const d = new Driver({ role: "lmtp" });
    expect(d.feed({ type: "connect" })[0].raw).toBe("220 mx.example.test LMTP Hikyaku\r\n");
  });

  test("reject → 554 and close; tempfail → 421 and close", () => {
    for (const [v, code] of [
      [verdict.reject(550, "5.7.1", "No"), 554],
      [verdict.tempfail(451, "4.3.0", "Later"), 421],
      [verdict.disconnect(421, "4.7.0", "Bye"), 421],
    ] as const) {
      const d = new Driver({}, {}, { policy: () => v });
      const r = d.feed({ type: "connect" });
      expect(codes(r)).toEqual([code]);
      expect(d.log.at(-1)).toEqual({ type: "close" });
      expect(d.s.closed).toBe(true);
      // A closed session ignores everything.
      expect(step(d.s, { type: "line", line: "NOOP" }, { newId: () => "x" }).actions).toEqual([]);
    }
  });

  test("a line that arrived before the greeting: 554 5.5.1 and close, never executed", () => {
    const d = new Driver();
    d.feed({ type: "connect" });
    const r = d.feed({ type: "line", line: "EHLO early.test", early: true });
    expect(heads(r)).toEqual(["554 5.5.1"]);
    expect(d.s.closed).toBe(true);
    expect(d.s.greeted).toBe("none");
    expect(d.log.some((a) => a.type === "policy" && a.event === "smtp.helo")).toBe(false);
  });
});

describe("HELO / EHLO / LHLO", () => {
  const combos = [
    { role: "mx", tls: false, plain: false, auth: false },
    { role: "mx", tls: true, plain: true, auth: false },
    { role: "submission", tls: false, plain: false, auth: false },
    { role: "submission", tls: false, plain: true, auth: true },
    { role: "submission", tls: true, plain: false, auth: true },
    { role: "submissions", tls: true, plain: false, auth: true },
    { role: "lmtp", tls: false, plain: true, auth: false },
  ] as const;
  for (const c of combos) {
    test(`extensions for ${c.role}, tls=${c.tls}, plaintextAuthAllowed=${c.plain}`, () => {
      const d = new Driver({ role: c.role, plaintextAuthAllowed: c.plain, startTlsAvailable: c.role !== "submissions" }, { tls: c.tls ? TLS : null });
      const [r] = d.greet(c.role === "lmtp" ? "LHLO" : "EHLO");
      const ext = r.raw.split("\r\n").filter(Boolean).slice(1).map((l) => l.slice(4));
      expect(ext.slice(0, 7)).toEqual(["PIPELINING", "8BITMIME", "SMTPUTF8", "SIZE 10000", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"]);
      expect(ext.includes("STARTTLS")).toBe(!c.tls);
      expect(ext.includes("REQUIRETLS")).toBe(c.tls);
      expect(ext.includes("AUTH PLAIN LOGIN SCRAM-SHA-256")).toBe(c.auth);
    });
  }

  test("HELO: one line, no extensions; the greeting name is recorded", () => {
    const d = new Driver();
    const [r] = d.greet("HELO");
    expect(r.raw).toBe("250 mx.example.test Hello client.test [192.0.2.1]\r\n");
    expect(d.s.greeted).toBe("HELO");
    expect(d.s.session.helo).toBe("client.test");
  });

  test("LMTP refuses HELO and EHLO; SMTP refuses LHLO", () => {
    const l = new Driver({ role: "lmtp" });
    l.feed({ type: "connect" });
    expect(heads(l.line("HELO x.test"))).toEqual(["500 5.5.1"]);
    expect(heads(l.line("EHLO x.test"))).toEqual(["500 5.5.1"]);
    expect(l.s.greeted).toBe("none");
    expect(codes(l.line("LHLO x.test"))).toEqual([250]);
    const s = new Driver();
    s.feed({ type: "connect" });
    expect(heads(s.line("LHLO x.test"))).toEqual(["500 5.5.1"]);
  });

  test("a helo policy reject leaves the session ungreeted", () => {
    const d = new Driver({}, {}, { policy: (a) => (a.event === "smtp.helo" ? verdict.reject(550, "5.7.1", "bad") : verdict.continue()) });
    d.feed({ type: "connect" });
    expect(heads(d.line("EHLO bad.test"))).toEqual(["550 5.7.1"]);
    expect(heads(d.line("MAIL FROM:<a@b.test>"))).toEqual(["503 5.5.1"]);
  });

  test("EHLO in a transaction resets it (endTransaction action)", () => {
    const d = new Driver();
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    const mark = d.log.length;
    d.line("EHLO again.test");
    expect(d.actionsSince(mark)).toContainEqual({ type: "endTransaction", transactionId: "TX1", messageId: null });
    expect(d.s.tx).toBeNull();
  });
});

describe("simple commands", () => {
  test("NOOP, RSET, VRFY, EXPN, HELP, QUIT", () => {
    const d = new Driver();
    d.greet();
    expect(heads(d.line("NOOP"))).toEqual(["250 2.0.0"]);
    expect(heads(d.line("RSET"))).toEqual(["250 2.0.0"]);
    expect(heads(d.line("VRFY alice"))).toEqual(["252 2.5.0"]);
    expect(heads(d.line("EXPN list"))).toEqual(["502 5.5.1"]);
    expect(heads(d.line("HELP"))).toEqual(["214 2.0.0"]);
    const q = d.line("QUIT");
    expect(heads(q)).toEqual(["221 2.0.0"]);
    expect(d.log.at(-1)).toEqual({ type: "close" });
    expect(d.s.closed).toBe(true);
  });

  test("unknown, invalid and over-long commands are errors; maxErrors closes with 421 4.7.0", () => {
    const d = new Driver({ maxErrors: 3 });
    d.greet();
    expect(heads(d.line("XYZZY"))).toEqual(["500 5.5.2"]);
    expect(heads(d.feed({ type: "line-too-long" }))).toEqual(["500 5.5.2"]);
    expect(d.s.errors).toBe(2);
    const r = d.feed({ type: "invalid-utf8" });
    expect(heads(r)).toEqual(["500 5.5.2", "421 4.7.0"]);
    expect(d.s.closed).toBe(true);
  });

  test("timeout: 421 4.4.2 and close", () => {
    const d = new Driver();
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    const mark = d.log.length;
    expect(heads(d.feed({ type: "timeout" }))).toEqual(["421 4.4.2"]);
    expect(d.actionsSince(mark).map((a) => a.type)).toEqual(["reply", "endTransaction", "close"]);
  });

  test("RSET ends the transaction and asks for its trace", () => {
    const d = new Driver();
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    const mark = d.log.length;
    d.line("RSET");
    expect(d.actionsSince(mark)[0]).toEqual({ type: "endTransaction", transactionId: "TX1", messageId: null });
    expect(d.s.tx).toBeNull();
  });
});

describe("MAIL", () => {
  test("out of order: before EHLO, nested", () => {
    const d = new Driver();
    d.feed({ type: "connect" });
    expect(heads(d.line("MAIL FROM:<a@other.test>"))).toEqual(["503 5.5.1"]);
    d.line("EHLO c.test");
    expect(heads(d.line("MAIL FROM:<a@other.test>"))).toEqual(["250 2.1.0"]);
    expect(heads(d.line("MAIL FROM:<a@other.test>"))).toEqual(["503 5.5.1"]);
  });

  test("the smtp.mail policy sees the transaction id and parameters; a reject drops the transaction", () => {
    let seen: unknown = null;
    const d = new Driver({}, {}, {
      policy(a) {
        if (a.event === "smtp.mail") {
          seen = a.payload;
          return verdict.reject(550, "5.7.1", "no");
        }
        return verdict.continue();
      },
    });
    d.greet();
    expect(heads(d.line("MAIL FROM:<a@other.test> SIZE=100 BODY=8BITMIME"))).toEqual(["550 5.7.1"]);
    expect(seen).toMatchObject({ transactionId: "TX1", from: "a@other.test", params: { SIZE: "100", BODY: "8BITMIME" } });
    expect(d.s.tx).toBeNull();
    expect(d.log).toContainEqual({ type: "endTransaction", transactionId: "TX1", messageId: null });
  });

  test("SIZE over the limit: 552 5.3.4; BINARYMIME: 555; REQUIRETLS without TLS: 530 5.7.10", () => {
    const d = new Driver();
    d.greet();
    expect(heads(d.line("MAIL FROM:<a@other.test> SIZE=10001"))).toEqual(["552 5.3.4"]);
    expect(heads(d.line("MAIL FROM:<a@other.test> BODY=BINARYMIME"))).toEqual(["555 5.5.4"]);
    expect(heads(d.line("MAIL FROM:<a@other.test> REQUIRETLS"))).toEqual(["530 5.7.10"]);
    expect(d.s.tx).toBeNull();
    const t = new Driver({}, { tls: TLS });
    t.greet();
    expect(heads(t.line("MAIL FROM:<a@other.test> REQUIRETLS"))).toEqual(["250 2.1.0"]);
    expect(t.s.tx!.params.requireTls).toBe(true);
  });

  test("submission: MAIL needs AUTH (530 5.7.0)", () => {
    const d = new Driver({ role: "submission" }, { tls: TLS });
    d.greet();
    expect(heads(d.line("MAIL FROM:<alice@example.test>"))).toEqual(["530 5.7.0"]);
  });

  test("sender enforcement: own address and alias pass, someone else's gets 553 5.7.1", () => {
    const d = new Driver({ role: "submission" }, { tls: TLS, authUser: "alice@example.test" });
    d.greet();
    // The tls/authUser of SessionInfo survive greeting (they are set at construction here).
    expect(heads(d.line("MAIL FROM:<bob@example.test>"))).toEqual(["553 5.7.1"]);
    expect(d.log.some((a) => a.type === "provide" && a.event === "address.resolve")).toBe(true);
    expect(heads(d.line("MAIL FROM:<x@foreign.test>"))).toEqual(["553 5.7.1"]);
    expect(heads(d.line("MAIL FROM:<alice.alias@example.test>"))).toEqual(["250 2.1.0"]);
    d.line("RSET");
    expect(heads(d.line("MAIL FROM:<alice@example.test>"))).toEqual(["250 2.1.0"]);
    d.line("RSET");
    // The null sender needs no ownership check.
    expect(heads(d.line("MAIL FROM:<>"))).toEqual(["250 2.1.0"]);
  });

  test("enforceSender=false lets an authenticated user use any sender", () => {
    const d = new Driver({ role: "submission", enforceSender: false }, { tls: TLS, authUser: "alice@example.test" });
    d.greet();
    expect(heads(d.line("MAIL FROM:<bob@example.test>"))).toEqual(["250 2.1.0"]);
  });
});

describe("RCPT", () => {
  test("before MAIL: 503 5.5.1", () => {
    const d = new Driver();
    d.greet();
    expect(heads(d.line("RCPT TO:<alice@example.test>"))).toEqual(["503 5.5.1"]);
  });

  test("local → smtp.rcpt policy → 250 2.1.5; unknown 550 5.1.1; remote on mx 554 5.7.1 with no policy event", () => {
    const events: string[] = [];
    const d = new Driver({}, {}, {
      policy(a) {
        events.push(`${a.event}:${(a.payload as { recipient?: { address: string } }).recipient?.address ?? ""}`);
        return verdict.continue();
      },
    });
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    events.length = 0;
    expect(heads(d.line("RCPT TO:<alice@example.test>"))).toEqual(["250 2.1.5"]);
    expect(heads(d.line("RCPT TO:<nobody@example.test>"))).toEqual(["550 5.1.1"]);
    expect(heads(d.line("RCPT TO:<x@foreign.test>"))).toEqual(["554 5.7.1"]);
    expect(heads(d.line("RCPT TO:<x@[127.0.0.1]>"))).toEqual(["554 5.7.1"]);
    expect(events).toEqual(["smtp.rcpt:alice@example.test"]);
    expect(d.s.tx!.recipients.map((r) => r.address)).toEqual(["alice@example.test"]);
  });

  test("address literals are never resolved (no relay by IP)", () => {
    const d = new Driver();
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    const mark = d.log.length;
    d.line("RCPT TO:<x@[192.0.2.25]>");
    expect(d.actionsSince(mark).some((a) => a.type === "provide")).toBe(false);
  });

  test("authenticated submission may relay; NOTIFY/ORCPT are kept on the recipient", () => {
    const d = new Driver({ role: "submission" }, { tls: TLS, authUser: "alice@example.test" });
    d.greet();
    d.line("MAIL FROM:<alice@example.test>");
    expect(heads(d.line("RCPT TO:<x@foreign.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x@foreign.test"))).toEqual(["250 2.1.5"]);
    expect(d.s.tx!.recipients[0]).toMatchObject({ address: "x@foreign.test", notify: "FAILURE,DELAY", orcpt: "rfc822;x@foreign.test", resolution: { kind: "remote" } });
  });

  test("maxRecipients: the next RCPT gets 452 4.5.3", () => {
    const d = new Driver({ maxRecipients: 3 });
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    for (let i = 0; i < 3; i++) expect(codes(d.line("RCPT TO:<alice@example.test>"))).toEqual([250]);
    expect(heads(d.line("RCPT TO:<bob@example.test>"))).toEqual(["452 4.5.3"]);
    expect(d.s.errors).toBe(0);
  });

  test("rcpt policy reject and disconnect", () => {
    const d = new Driver({}, {}, {
      policy(a) {
        if (a.event !== "smtp.rcpt") return verdict.continue();
        const to = (a.payload as { recipient: { address: string } }).recipient.address;
        if (to === "bob@example.test") return verdict.disconnect(421, "4.7.0", "go away");
        return verdict.reject(550, "5.7.1", "refused");
      },
    });
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    expect(heads(d.line("RCPT TO:<alice@example.test>"))).toEqual(["550 5.7.1"]);
    expect(d.s.tx!.recipients).toEqual([]);
    expect(heads(d.line("RCPT TO:<bob@example.test>"))).toEqual(["421 4.7.0"]);
    expect(d.s.closed).toBe(true);
  });

  test("a failing resolver is 451 4.3.0 and the session goes on", () => {
    const d = new Driver({}, {}, { provide: (a) => (a.event === "address.resolve" ? FAIL : defaultFakes.provide(a)) });
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    expect(heads(d.line("RCPT TO:<alice@example.test>"))).toEqual(["451 4.3.0"]);
    expect(heads(d.line("NOOP"))).toEqual(["250 2.0.0"]);
  });
});

describe("DATA", () => {
  function ready(d: Driver): void {
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    d.line("RCPT TO:<alice@example.test>");
  }

  test("out of order: no MAIL → 503; no recipients → 554 (SMTP) / 503 (LMTP)", () => {
    const d = new Driver();
    d.greet();
    expect(heads(d.line("DATA"))).toEqual(["503 5.5.1"]);
    d.line("MAIL FROM:<a@other.test>");
    expect(heads(d.line("DATA"))).toEqual(["554 5.5.1"]);
    const l = new Driver({ role: "lmtp" });
    l.greet("LHLO");
    l.line("MAIL FROM:<a@other.test>");
    expect(heads(l.line("DATA"))).toEqual(["503 5.5.1"]);
  });

  test("354 and a readData action; the message gets a Received header and is delivered", () => {
    let message = "";
    const d = new Driver({}, {}, {
      policy(a) {
        if (a.event === "smtp.data") message = dec.decode((a.payload as { message: Uint8Array }).message);
        return verdict.continue();
      },
    });
    ready(d);
    const mark = d.log.length;
    const r = d.line("DATA");
    expect(r.map((x) => x.raw)).toEqual(["354 End data with <CR><LF>.<CR><LF>\r\n"]);
    expect(d.actionsSince(mark).at(-1)).toEqual({ type: "readData" });
    const done = d.data("Message-ID: <m1@other.test>\r\nSubject: hi\r\n\r\nbody\r\n");
    expect(done.map((x) => x.raw)).toEqual(["250 2.0.0 Ok: queued as TX1\r\n"]);
    expect(message).toBe(
      "Received: from client.test ([192.0.2.1])\r\n\tby mx.example.test (Hikyaku) with ESMTP id TX1\r\n\tfor <alice@example.test>; Tue, 2 Jan 2024 03:04:05 +0000\r\n" +
        "Message-ID: <m1@other.test>\r\nSubject: hi\r\n\r\nbody\r\n",
    );
    // The transaction ends with the Message-ID recorded for the trace.
    expect(d.log.at(-1)).toEqual({ type: "endTransaction", transactionId: "TX1", messageId: "<m1@other.test>" });
    expect(d.s.tx).toBeNull();
  });

  test("decoder errors: bare CR/LF and long lines 550 5.6.0, too big 552 5.3.4; the transaction ends", () => {
    for (const [error, head] of [
      ["bare-cr-lf", "550 5.6.0"],
      ["line-too-long", "550 5.6.0"],
      ["too-big", "552 5.3.4"],
    ] as const) {
      const d = new Driver();
      ready(d);
      d.line("DATA");
      expect(heads(d.data("x", error))).toEqual([head]);
      expect(d.s.tx).toBeNull();
      expect(d.log.some((a) => a.type === "provide" && a.event === "message.deliver")).toBe(false);
    }
  });

  test("header block over maxHeaderBytes: 552 5.3.4, no smtp.data event", () => {
    const d = new Driver({ maxHeaderBytes: 1024 });
    ready(d);
    d.line("DATA");
    const mark = d.log.length;
    expect(heads(d.data(`X-Big: ${"h".repeat(1100)}\r\n\r\nbody\r\n`))).toEqual(["552 5.3.4"]);
    expect(d.actionsSince(mark).some((a) => a.type === "policy")).toBe(false);
  });

  test("data verdicts: reject, tempfail, discard (no delivery), quarantine (delivery flagged)", () => {
    const cases: [Verdict, string, boolean][] = [
      [verdict.reject(554, "5.7.1", "no"), "554 5.7.1", false],
      [verdict.tempfail(451, "4.7.1", "later"), "451 4.7.1", false],
      [verdict.discard("drop"), "250 2.0.0", false],
      [verdict.quarantine("junk"), "250 2.0.0", true],
    ];
    for (const [v, head, delivers] of cases) {
      let quarantine: boolean | null = null;
      const d = new Driver({}, {}, {
        policy: (a) => (a.event === "smtp.data" ? v : verdict.continue()),
        provide(a) {
          if (a.event === "message.deliver") quarantine = (a.payload as { quarantine: boolean }).quarantine;
          return defaultFakes.provide(a);
        },
      });
      ready(d);
      d.line("DATA");
      expect(heads(d.data("Subject: x\r\n\r\ny\r\n"))).toEqual([head]);
      expect(quarantine === true).toBe(delivers);
      expect(d.s.tx).toBeNull();
    }
  });

  test("a failed delivery provider is 451 4.3.0, never a 250", () => {
    const d = new Driver({}, {}, { provide: (a) => (a.event === "message.deliver" ? FAIL : defaultFakes.provide(a)) });
    ready(d);
    d.line("DATA");
    expect(heads(d.data("Subject: x\r\n\r\ny\r\n"))).toEqual(["451 4.3.0"]);
  });

  test("LMTP: one reply per recipient — delivery results, policy refusals and decoder errors", () => {
    const setup = (fakes: Partial<Fakes> = {}) => {
      const d = new Driver({ role: "lmtp" }, {}, fakes);
      d.greet("LHLO");
      d.line("MAIL FROM:<a@other.test>");
      d.line("RCPT TO:<alice@example.test>");
      d.line("RCPT TO:<nobody@example.test>");
      d.line("RCPT TO:<bob@example.test>");
      d.line("DATA");
      return d;
    };
    const partial = setup({
      provide(a) {
        if (a.event !== "message.deliver") return defaultFakes.provide(a);
        return { queueId: "Q", stored: [], queued: [], recipients: [
          { address: "alice@example.test", ok: true, reply: "delivered" },
          { address: "bob@example.test", ok: false, reply: "mailbox busy" },
        ] } satisfies DeliveryResult;
      },
    });
    expect(partial.data("Subject: x\r\n\r\ny\r\n").map((r) => r.raw)).toEqual([
      "250 2.0.0 <alice@example.test> delivered\r\n",
      "451 4.3.0 <bob@example.test> mailbox busy\r\n",
    ]);
    const refused = setup({ policy: (a) => (a.event === "smtp.data" ? verdict.reject(550, "5.7.1", "no") : verdict.continue()) });
    expect(heads(refused.data("Subject: x\r\n\r\ny\r\n"))).toEqual(["550 5.7.1", "550 5.7.1"]);
    for (const [error, head] of [
      ["bare-cr-lf", "550 5.6.0"],
      ["too-big", "552 5.3.4"],
      ["line-too-long", "550 5.6.0"],
    ] as const) {
      expect(heads(setup().data("x", error))).toEqual([head, head]);
    }
    const failed = setup({ provide: (a) => (a.event === "message.deliver" ? FAIL : defaultFakes.provide(a)) });
    expect(heads(failed.data("Subject: x\r\n\r\ny\r\n"))).toEqual(["451 4.3.0", "451 4.3.0"]);
  });
});

describe("BDAT", () => {
  function ready(d: Driver): void {
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    d.line("RCPT TO:<alice@example.test>");
  }

  test("chunks: readChunk actions, 250 per chunk, delivery at LAST", () => {
    const d = new Driver();
    ready(d);
    let mark = d.log.length;
    expect(d.line("BDAT 5")).toEqual([]);
    expect(d.actionsSince(mark)).toEqual([{ type: "readChunk", size: 5, last: false, discard: false, remaining: 10_000 }]);
    expect(d.chunk(null, { size: 5 }).map((r) => r.raw)).toEqual(["250 2.0.0 5 octets received\r\n"]);
    expect(heads(d.line("DATA"))).toEqual(["503 5.5.1"]);
    expect(heads(d.line("RCPT TO:<bob@example.test>"))).toEqual(["503 5.5.1"]);
    mark = d.log.length;
    d.line("BDAT 0 LAST");
    expect(d.actionsSince(mark)).toEqual([{ type: "readChunk", size: 0, last: true, discard: false, remaining: 10_000 }]);
    expect(heads(d.chunk("Subject: x\r\n\r\nhello", { size: 0, last: true }))).toEqual(["250 2.0.0"]);
    expect(d.s.tx).toBeNull();
  });

  test("without MAIL: the chunk is read and discarded, then 503", () => {
    const d = new Driver();
    d.greet();
    const mark = d.log.length;
    d.line("BDAT 12 LAST");
    expect(d.actionsSince(mark)).toEqual([{ type: "readChunk", size: 12, last: true, discard: true, remaining: 0 }]);
    expect(heads(d.chunk(null, { size: 12, last: true }))).toEqual(["503 5.5.1"]);
  });

  test("without recipients: discarded, 554, the transaction stays open", () => {
    const d = new Driver();
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    const mark = d.log.length;
    d.line("BDAT 3");
    expect(d.actionsSince(mark)[0]).toMatchObject({ type: "readChunk", discard: true });
    expect(heads(d.chunk(null, { size: 3 }))).toEqual(["554 5.5.1"]);
    expect(heads(d.line("RCPT TO:<alice@example.test>"))).toEqual(["250 2.1.5"]);
  });

  test("too big: 552 5.3.4 for that chunk and every later one, ending at LAST", () => {
    const d = new Driver();
    ready(d);
    d.line("BDAT 6000");
    expect(codes(d.chunk(null, { size: 6000 }))).toEqual([250]);
    d.line("BDAT 6000");
    expect(heads(d.chunk(null, { size: 6000, tooBig: true }))).toEqual(["552 5.3.4"]);
    const mark = d.log.length;
    d.line("BDAT 10");
    expect(d.actionsSince(mark)[0]).toMatchObject({ type: "readChunk", discard: true });
    expect(heads(d.chunk(null, { size: 10 }))).toEqual(["552 5.3.4"]);
    d.line("BDAT 1 LAST");
    expect(heads(d.chunk(null, { size: 1, last: true }))).toEqual(["552 5.3.4"]);
    expect(d.s.tx).toBeNull();
  });
});

describe("STARTTLS", () => {
  test("220 then a startTls action; the tls input resets the session; no second STARTTLS", () => {
    const d = new Driver({ role: "submission" });
    d.greet();
    d.line("MAIL FROM:<alice@example.test>"); // 530, no tx: unauthenticated
    const mark = d.log.length;
    const r = d.line("STARTTLS");
    expect(r.map((x) => x.raw)).toEqual(["220 2.0.0 Ready to start TLS\r\n"]);
    expect(d.actionsSince(mark).at(-1)).toEqual({ type: "startTls" });
    d.feed({ type: "tls", info: TLS });
    expect(d.s.greeted).toBe("none");
    expect(d.s.session.tls).toEqual(TLS);
    expect(d.s.session.helo).toBeNull();
    expect(heads(d.line("MAIL FROM:<alice@example.test>"))).toEqual(["503 5.5.1"]);
    const [ehlo] = d.line("EHLO client.test");
    expect(ehlo.raw).not.toContain("STARTTLS");
    expect(ehlo.raw).toContain("AUTH PLAIN");
    expect(heads(d.line("STARTTLS"))).toEqual(["503 5.5.1"]);
  });

  test("the tls input ends an open transaction through endTransaction (drops cleartext BDAT chunks)", () => {
    const d = new Driver();
    d.greet();
    d.line("MAIL FROM:<a@other.test>");
    d.line("RCPT TO:<alice@example.test>");
    d.line("STARTTLS");
    const mark = d.log.length;
    d.feed({ type: "tls", info: TLS });
    expect(d.actionsSince(mark)).toEqual([{ type: "endTransaction", transactionId: "TX1", messageId: null }]);
    expect(d.s.tx).toBeNull();
  });

  test("the tls input forgets an authenticated user", () => {
    const d = new Driver({ role: "submission", plaintextAuthAllowed: true });
    d.greet();
    expect(codes(d.line(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`))).toEqual([235]);
    d.line("STARTTLS");
    d.feed({ type: "tls", info: TLS });
    expect(d.s.session.authUser).toBeNull();
  });

  test("not available: 502 5.5.1", () => {
    const d = new Driver({ startTlsAvailable: false });
    d.greet();
    expect(heads(d.line("STARTTLS"))).toEqual(["502 5.5.1"]);
  });
});

describe("AUTH", () => {
  const sub = (opts: Partial<SessionOptions> = {}) => {
    const d = new Driver({ role: "submission", ...opts }, { tls: TLS });
    d.greet();
    return d;
  };

  test("not on mx/lmtp (502), not before EHLO (503), not in cleartext unless allowed (530 5.7.0)", () => {
    const mx = new Driver();
    mx.greet();
    expect(heads(mx.line("AUTH PLAIN"))).toEqual(["502 5.5.1"]);
    const early = new Driver({ role: "submission" }, { tls: TLS });
    early.feed({ type: "connect" });
    expect(heads(early.line("AUTH PLAIN"))).toEqual(["503 5.5.1"]);
    const clear = new Driver({ role: "submission" });
    clear.greet();
    expect(heads(clear.line("AUTH PLAIN"))).toEqual(["530 5.7.0"]);
    const allowed = new Driver({ role: "submission", plaintextAuthAllowed: true });
    allowed.greet();
    expect(codes(allowed.line(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`))).toEqual([235]);
  });

  test("PLAIN with initial response: auth.verify, smtp.auth policy, 235 2.7.0; authUser is the account", () => {
    const events: string[] = [];
    const d = new Driver({ role: "submission" }, { tls: TLS }, {
      policy(a) {
        events.push(a.event);
        return verdict.continue();
      },
      provide(a) {
        events.push(a.event);
        return defaultFakes.provide(a);
      },
    });
    d.greet();
    events.length = 0;
    expect(heads(d.line(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`))).toEqual(["235 2.7.0"]);
    expect(events).toEqual(["auth.verify", "smtp.auth"]);
    expect(d.s.session.authUser).toBe("alice@example.test");
    expect(heads(d.line(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`))).toEqual(["503 5.5.1"]);
  });

  test("PLAIN with an empty challenge: '334 ' (SP required by RFC 4954 §4)", () => {
    const d = sub();
    const r = d.line("AUTH PLAIN");
    expect(r.map((x) => x.raw)).toEqual(["334 \r\n"]);
    expect(heads(d.line(b64("\0bob@example.test\0bob-pw")))).toEqual(["235 2.7.0"]);
  });

  test("LOGIN: two challenges then 235", () => {
    const d = sub();
    expect(d.line("AUTH LOGIN").map((x) => x.raw)).toEqual([`334 ${b64("Username:")}\r\n`]);
    expect(d.line(b64("alice@example.test")).map((x) => x.raw)).toEqual([`334 ${b64("Password:")}\r\n`]);
    expect(codes(d.line(b64("alice-pw")))).toEqual([235]);
  });

  test("'*' cancels (501), invalid base64 is 501 5.5.2, an unknown mechanism 504 5.5.4", () => {
    const d = sub();
    d.line("AUTH LOGIN");
    expect(heads(d.line("*"))).toEqual(["501 5.0.0"]);
    expect(d.s.sasl).toBeNull();
    d.line("AUTH LOGIN");
    expect(heads(d.line("%%%"))).toEqual(["501 5.5.2"]);
    expect(d.s.sasl).toBeNull();
    expect(heads(d.line("AUTH PLAIN !!!!"))).toEqual(["501 5.5.2"]);
    expect(heads(d.line("AUTH CRAM-MD5"))).toEqual(["504 5.5.4"]);
    // An over-long line during the exchange ends it as malformed.
    d.line("AUTH LOGIN");
    expect(heads(d.feed({ type: "line-too-long" }))).toEqual(["501 5.5.2"]);
    expect(d.s.sasl).toBeNull();
    expect(d.s.authFailures).toBe(0);
  });

  test("wrong passwords: growing delay before each 535 5.7.8, then 421 4.7.0 and close", () => {
    const d = sub({ authFailureDelayMs: 100, maxAuthFailures: 3 });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const mark = d.log.length;
      const r = d.line(`AUTH PLAIN ${b64("\0alice@example.test\0nope")}`);
      const acts = d.actionsSince(mark);
      const delay = acts.find((a) => a.type === "delay") as { ms: number } | undefined;
      delays.push(delay!.ms);
      // The delay comes before the reply.
      expect(acts.findIndex((a) => a.type === "delay")).toBeLessThan(acts.findIndex((a) => a.type === "reply"));
      if (i < 2) expect(heads(r)).toEqual(["535 5.7.8"]);
      else expect(heads(r)).toEqual(["535 5.7.8", "421 4.7.0"]);
    }
    expect(delays).toEqual([100, 200, 400]);
    expect(d.s.closed).toBe(true);
  });

  test("a smtp.auth policy reject keeps the session unauthenticated", () => {
    const d = new Driver({ role: "submission" }, { tls: TLS }, {
      policy: (a) => (a.event === "smtp.auth" ? verdict.reject(535, "5.7.8", "not from here") : verdict.continue()),
    });
    d.greet();
    expect(heads(d.line(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`))).toEqual(["535 5.7.8"]);
    expect(d.s.session.authUser).toBeNull();
    expect(heads(d.line("MAIL FROM:<alice@example.test>"))).toEqual(["530 5.7.0"]);
  });

  test("a failing credential provider is 451 4.3.0, not an accept", () => {
    const d = new Driver({ role: "submission" }, { tls: TLS }, { provide: (a) => (a.event === "auth.verify" ? FAIL : defaultFakes.provide(a)) });
    d.greet();
    expect(heads(d.line(`AUTH PLAIN ${b64("\0alice@example.test\0alice-pw")}`))).toEqual(["451 4.3.0"]);
    expect(d.s.session.authUser).toBeNull();
    expect(d.s.sasl).toBeNull();
  });
});
