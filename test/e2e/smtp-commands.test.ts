// Transcript tests for every SMTP command on the real listener: EHLO extension lists per role
// and TLS state, HELO, LHLO refusal, RSET/NOOP/QUIT/VRFY/EXPN/HELP, unknown and out-of-order
// commands, and enhanced status codes on every reply but the greeting and EHLO/HELO.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";

type Reply = Awaited<ReturnType<RawSmtp["reply"]>>;

let t: TestServer;
let loop: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  loop = await startTestServer({ auth: { allowPlaintextOnLoopback: true }, limits: { maxMessageBytes: 1_000_000 } });
});
afterAll(async () => {
  await t.stop();
  await loop.stop();
});

async function open(port: number, opts: { tls?: boolean } = {}): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port, opts);
  const banner = await c.reply();
  expect(banner.code).toBe(220);
  return c;
}

/** Extension keywords (with arguments) of an EHLO/LHLO reply, without the greeting line. */
function extensions(r: Reply): string[] {
  return r.lines.slice(1).map((l) => l.slice(4));
}

/** RFC 2034 §3: every 2xx/4xx/5xx reply line carries the enhanced code of the reply's class. */
function expectEnhanced(r: Reply): void {
  const cls = String(r.code)[0];
  for (const l of r.lines) expect(l).toMatch(new RegExp(`^${r.code}[ -]${cls}\\.\\d{1,3}\\.\\d{1,3}( |$)`));
}

async function inbox(address: string): Promise<string[]> {
  const acct = await findAccount(t.server.db, address);
  const box = await findMailbox(t.server.db, acct!.id, "INBOX");
  const out: string[] = [];
  for (const m of await listMessages(t.server.db, box!.id)) {
    out.push(new TextDecoder().decode((await getBody(t.server.db, m.bodyHash))!.content));
  }
  return out;
}

describe("greeting and EHLO", () => {
  test("the greeting is a plain 220 with the host name, without an enhanced code", async () => {
    const c = await RawSmtp.connect(t.port("mx"));
    const r = await c.reply();
    expect(r.lines).toEqual(["220 mx.example.test ESMTP Hikyaku"]);
    c.close();
  });

  test("EHLO on port 25 in cleartext: STARTTLS offered, no AUTH, no REQUIRETLS, SIZE from the limit", async () => {
    const c = await open(t.port("mx"));
    const r = await c.cmd("EHLO client.test");
    expect(r.code).toBe(250);
    expect(r.lines[0]).toBe("250-mx.example.test Hello client.test [127.0.0.1]");
    const ext = extensions(r);
    expect(ext).toEqual(["PIPELINING", "8BITMIME", "SMTPUTF8", `SIZE ${50 * 1024 * 1024}`, "ENHANCEDSTATUSCODES", "CHUNKING", "DSN", "STARTTLS"]);
    expect(ext.some((e) => e.startsWith("AUTH"))).toBe(false);
    expect(ext).not.toContain("REQUIRETLS");
    c.close();
  });

  test("EHLO on port 25 after STARTTLS: no STARTTLS, REQUIRETLS offered, still no AUTH", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    expect((await c.cmd("STARTTLS")).code).toBe(220);
    await c.startTls();
    const ext = extensions(await c.cmd("EHLO client.test"));
    expect(ext).not.toContain("STARTTLS");
    expect(ext).toContain("REQUIRETLS");
    expect(ext.some((e) => e.startsWith("AUTH"))).toBe(false);
    c.close();
  });

  test("EHLO on submission: AUTH only after TLS", async () => {
    const c = await open(t.port("submission"));
    const before = extensions(await c.cmd("EHLO client.test"));
    expect(before).toContain("STARTTLS");
    expect(before.some((e) => e.startsWith("AUTH"))).toBe(false);
    expect(before).not.toContain("REQUIRETLS");
    expect((await c.cmd("STARTTLS")).code).toBe(220);
    await c.startTls();
    const after = extensions(await c.cmd("EHLO client.test"));
    expect(after).toContain("AUTH PLAIN LOGIN SCRAM-SHA-256");
    expect(after).toContain("REQUIRETLS");
    expect(after).not.toContain("STARTTLS");
    c.close();
  });

  test("EHLO on implicit-TLS submissions: AUTH and REQUIRETLS, never STARTTLS", async () => {
    const c = await open(t.port("submissions"), { tls: true });
    const ext = extensions(await c.cmd("EHLO client.test"));
    expect(ext).toContain("AUTH PLAIN LOGIN SCRAM-SHA-256");
    expect(ext).toContain("REQUIRETLS");
    expect(ext).not.toContain("STARTTLS");
    c.close();
  });

  test("with allowPlaintextOnLoopback, AUTH is offered in cleartext on submission only; SIZE follows maxMessageBytes", async () => {
    const sub = await open(loop.port("submission"));
    const ext = extensions(await sub.cmd("EHLO client.test"));
    expect(ext).toContain("AUTH PLAIN LOGIN SCRAM-SHA-256");
    expect(ext).toContain("SIZE 1000000");
    expect(ext).not.toContain("REQUIRETLS");
    sub.close();
    const mx = await open(loop.port("mx"));
    const mxExt = extensions(await mx.cmd("EHLO client.test"));
    expect(mxExt.some((e) => e.startsWith("AUTH"))).toBe(false);
    mx.close();
  });

  test("EHLO syntax: missing or invalid domain is refused; an address literal is accepted", async () => {
    const c = await open(t.port("mx"));
    let r = await c.cmd("EHLO");
    expect(r.code).toBe(501);
    expectEnhanced(r);
    r = await c.cmd("EHLO bad..name");
    expect(r.code).toBe(501);
    expectEnhanced(r);
    r = await c.cmd("EHLO [127.0.0.1]");
    expect(r.code).toBe(250);
    expect(r.lines[0]).toContain("Hello [127.0.0.1]");
    c.close();
  });

  test("HELO is a single 250 line without extensions; ESMTP parameters still parse as MAIL", async () => {
    const c = await open(t.port("mx"));
    const r = await c.cmd("HELO client.test");
    expect(r.lines).toEqual(["250 mx.example.test Hello client.test [127.0.0.1]"]);
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    c.close();
  });

  test("LHLO is refused on an SMTP port (500 5.5.1)", async () => {
    const c = await open(t.port("mx"));
    const r = await c.cmd("LHLO client.test");
    expect(r.code).toBe(500);
    expect(r.lines[0]).toStartWith("500 5.5.1 ");
    // Not greeted: MAIL is out of sequence.
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).lines[0]).toStartWith("503 5.5.1 ");
    c.close();
  });

  test("a second EHLO resets the transaction (RFC 5321 §4.1.4)", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    expect((await c.cmd("EHLO client.test")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<alice@example.test>")).lines[0]).toStartWith("503 5.5.1 ");
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    c.close();
  });
});

describe("transaction commands", () => {
  test("MAIL, RCPT, DATA deliver; verbs are case-insensitive", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("ehlo client.test");
    let r = await c.cmd("mail from:<bob@other.test>");
    expect(r.lines).toEqual(["250 2.1.0 Ok"]);
    r = await c.cmd("rcpt to:<alice@example.test>");
    expect(r.lines).toEqual(["250 2.1.5 <alice@example.test> OK"]);
    r = await c.cmd("data");
    expect(r.code).toBe(354);
    r = await c.cmd("Subject: commands-case\r\n\r\nbody\r\n.");
    expect(r.code).toBe(250);
    expect(r.lines[0]).toMatch(/^250 2\.0\.0 Ok: queued as \S+$/);
    expect((await inbox("alice@example.test")).some((m) => m.includes("Subject: commands-case"))).toBe(true);
    c.close();
  });

  test("commands in the wrong order get 503 5.5.1", async () => {
    const c = await open(t.port("mx"));
    for (const cmd of ["MAIL FROM:<bob@other.test>", "RCPT TO:<alice@example.test>", "DATA"]) {
      const r = await c.cmd(cmd);
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toStartWith("503 5.5.1 ");
    }
    await c.cmd("EHLO client.test");
    expect((await c.cmd("RCPT TO:<alice@example.test>")).lines[0]).toStartWith("503 5.5.1 ");
    expect((await c.cmd("DATA")).lines[0]).toStartWith("503 5.5.1 ");
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    // Nested MAIL.
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).lines[0]).toStartWith("503 5.5.1 ");
    // DATA with no accepted recipient: 554 5.5.1 "No valid recipients" (RFC 5321 §3.3).
    expect((await c.cmd("DATA")).lines[0]).toStartWith("554 5.5.1 ");
    c.close();
  });

  test("RSET clears the transaction and answers 250 2.0.0", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    await c.cmd("MAIL FROM:<bob@other.test>");
    await c.cmd("RCPT TO:<alice@example.test>");
    expect((await c.cmd("RSET")).lines).toEqual(["250 2.0.0 Ok"]);
    expect((await c.cmd("DATA")).lines[0]).toStartWith("503 5.5.1 ");
    expect((await c.cmd("RSET ")).code).toBe(250); // trailing space tolerated
    expect((await c.cmd("RSET now")).lines[0]).toStartWith("501 5.5.4 ");
    c.close();
  });

  test("NOOP answers 250 2.0.0, with or without an argument, in any state", async () => {
    const c = await open(t.port("mx"));
    expect((await c.cmd("NOOP")).lines).toEqual(["250 2.0.0 Ok"]);
    expect((await c.cmd("NOOP anything at all")).lines).toEqual(["250 2.0.0 Ok"]);
    await c.cmd("EHLO client.test");
    await c.cmd("MAIL FROM:<bob@other.test>");
    expect((await c.cmd("NOOP")).code).toBe(250);
    // The transaction survived NOOP.
    expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
    c.close();
  });

  test("QUIT answers 221 2.0.0 and closes the connection", async () => {
    const c = await open(t.port("mx"));
    expect((await c.cmd("QUIT")).lines).toEqual(["221 2.0.0 mx.example.test Bye"]);
    expect(await c.waitClosed()).toBe(true);
  });

  test("VRFY answers 252 (neither confirms nor denies); without argument 501", async () => {
    const c = await open(t.port("mx"));
    const known = await c.cmd("VRFY alice@example.test");
    const unknown = await c.cmd("VRFY nobody@example.test");
    expect(known.code).toBe(252);
    expect(known.lines[0]).toStartWith("252 2.5.0 ");
    // No address harvesting: both answers are identical.
    expect(unknown.lines).toEqual(known.lines);
    const bare = await c.cmd("VRFY");
    expect(bare.lines[0]).toStartWith("501 5.5.2 ");
    c.close();
  });

  test("EXPN is not available (502 5.5.1)", async () => {
    const c = await open(t.port("mx"));
    expect((await c.cmd("EXPN staff")).lines[0]).toStartWith("502 5.5.1 ");
    c.close();
  });

  test("HELP answers 214 2.0.0", async () => {
    const c = await open(t.port("mx"));
    const r = await c.cmd("HELP");
    expect(r.lines[0]).toStartWith("214 2.0.0 ");
    expect((await c.cmd("HELP MAIL")).code).toBe(214);
    c.close();
  });

  test("unknown commands and control characters get 500 5.5.2", async () => {
    const c = await open(t.port("mx"));
    expect((await c.cmd("XYZZY")).lines).toEqual(["500 5.5.2 Command unrecognized"]);
    expect((await c.cmd("TURN")).lines[0]).toStartWith("500 5.5.2 ");
    expect((await c.cmd("MAIL\x00FROM:<a@b.test>")).lines[0]).toStartWith("500 5.5.2 ");
    expect((await c.cmd("1234")).lines[0]).toStartWith("500 5.5.2 ");
    // The session goes on.
    expect((await c.cmd("NOOP")).code).toBe(250);
    c.close();
  });

  test("STARTTLS with an argument is a syntax error (RFC 3207 §4)", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    expect((await c.cmd("STARTTLS now")).lines[0]).toStartWith("501 5.5.4 ");
    c.close();
  });

  test("MAIL/RCPT syntax errors are 501 with an address status code", async () => {
    const c = await open(t.port("mx"));
    await c.cmd("EHLO client.test");
    expect((await c.cmd("MAIL FROM:bob@other.test")).lines[0]).toMatch(/^501 5\.5\.2 /);
    expect((await c.cmd("MAIL FROM:<bob@>")).lines[0]).toMatch(/^501 5\.1\.7 /);
    expect((await c.cmd("MAIL FROM:<bob@other.test> FOO=BAR")).lines[0]).toMatch(/^555 5\.5\.4 /);
    expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
    expect((await c.cmd("RCPT TO:<>")).lines[0]).toMatch(/^501 5\.1\.3 /);
    expect((await c.cmd("RCPT TO:<a b@example.test>")).lines[0]).toMatch(/^501 5\.1\.3 /);
    c.close();
  });
});

describe("enhanced status codes", () => {
  test("every 2xx/4xx/5xx reply except the greeting and EHLO/HELO carries one", async () => {
    const c = await open(t.port("mx"));
    const replies: Reply[] = [];
    const run = async (line: string) => {
      const r = await c.cmd(line);
      replies.push(r);
      return r;
    };
    for (const line of [
      "NOOP",
      "MAIL FROM:<bob@other.test>",
      "XYZZY",
      "VRFY alice",
      "EXPN alice",
      "HELP",
      "AUTH PLAIN AGFsaWNlAGFsaWNlLXB3",
    ]) {
      await run(line);
    }
    const ehlo = await c.cmd("EHLO client.test");
    expect(ehlo.code).toBe(250);
    for (const line of [
      "RCPT TO:<alice@example.test>",
      "MAIL FROM:<bob@other.test> SIZE=999999999999",
      "MAIL FROM:<bob@other.test>",
      "MAIL FROM:<bob@other.test>",
      "RCPT TO:<nobody@example.test>",
      "RCPT TO:<x@foreign.test>",
      "RCPT TO:<alice@example.test>",
      "BDAT x",
      "RSET",
      "DATA",
      "STARTTLS extra",
    ]) {
      await run(line);
    }
    await run("MAIL FROM:<bob@other.test>");
    await run("RCPT TO:<alice@example.test>");
    expect((await c.cmd("DATA")).code).toBe(354);
    await run("Subject: codes\r\n\r\nhi\r\n.");
    await run("QUIT");
    expect(replies.length).toBeGreaterThan(20);
    for (const r of replies) expectEnhanced(r);
  });
});
