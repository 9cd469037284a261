// Command-line parser tests: every verb in valid and invalid forms, with the reply each
// syntax error maps to (RFC 5321 §4.1.1, §4.2.2; RFC 3030; RFC 3207; RFC 4954; RFC 6531).
import { describe, expect, test } from "bun:test";
import { parseCommand } from "../../../src/protocol/smtp/command.ts";
import type { Command } from "../../../src/protocol/smtp/command.ts";

const inv = (code: number, enhanced: string) => ({ verb: "INVALID", reply: { code, enhanced } });

describe("valid commands", () => {
  const cases: [string, Partial<Command> | Record<string, unknown>][] = [
    ["HELO mail.example.com", { verb: "HELO", domain: "mail.example.com" }],
    ["helo localhost", { verb: "HELO", domain: "localhost" }],
    ["EHLO [192.0.2.1]", { verb: "EHLO", domain: "[192.0.2.1]" }],
    ["EHLO [IPv6:2001:db8::1]", { verb: "EHLO", domain: "[IPv6:2001:db8::1]" }],
    ["ehlo DESKTOP_ABC", { verb: "EHLO", domain: "DESKTOP_ABC" }],
    ["EHLO client.example ", { verb: "EHLO", domain: "client.example" }],
    ["LHLO lmtp.example", { verb: "LHLO", domain: "lmtp.example" }],
    ["MAIL FROM:<a@b.c>", { verb: "MAIL", path: { address: "a@b.c", isNull: false }, params: { size: null } }],
    ["mail from:<a@b.c>", { verb: "MAIL", path: { address: "a@b.c" } }],
    ["MAIL FROM: <a@b.c>", { verb: "MAIL", path: { address: "a@b.c" } }],
    ["MAIL FROM:<>", { verb: "MAIL", path: { isNull: true } }],
    ["MAIL FROM:<> SIZE=100 BODY=8BITMIME", { verb: "MAIL", path: { isNull: true }, params: { size: 100, body: "8BITMIME" } }],
    ["MAIL FROM:<@relay.example:a@b.c>", { verb: "MAIL", path: { address: "a@b.c", routeIgnored: true } }],
    ['MAIL FROM:<"a b"@c> RET=HDRS', { verb: "MAIL", path: { local: "a b" }, params: { ret: "HDRS" } }],
    ['MAIL FROM:<"a> SIZE=1"@c>', { verb: "MAIL", path: { local: "a> SIZE=1" }, params: { size: null } }],
    ["MAIL FROM:<pel\u00e9@x.example> SMTPUTF8", { verb: "MAIL", path: { needsSmtputf8: true }, params: { smtputf8: true } }],
    ["RCPT TO:<z@w.example>", { verb: "RCPT", path: { address: "z@w.example" }, params: { notify: null } }],
    ["rcpt to: <z@w.example> NOTIFY=NEVER", { verb: "RCPT", params: { notify: { never: true } } }],
    ["RCPT TO:<Postmaster>", { verb: "RCPT", path: { isPostmaster: true, address: "postmaster" } }],
    ["RCPT TO:<postmaster@example.com>", { verb: "RCPT", path: { isPostmaster: false } }],
    ["RCPT TO:<\u00fc@x.example>", { verb: "RCPT", path: { needsSmtputf8: true } }],
    ["DATA", { verb: "DATA" }],
    ["data", { verb: "DATA" }],
    ["DATA ", { verb: "DATA" }],
    ["RSET", { verb: "RSET" }],
    ["NOOP", { verb: "NOOP" }],
    ["NOOP anything at all", { verb: "NOOP" }],
    ["QUIT", { verb: "QUIT" }],
    ["StartTLS", { verb: "STARTTLS" }],
    ["VRFY postmaster", { verb: "VRFY", arg: "postmaster" }],
    ["VRFY <a@b.c>", { verb: "VRFY", arg: "<a@b.c>" }],
    ["EXPN staff list", { verb: "EXPN", arg: "staff list" }],
    ["HELP", { verb: "HELP", arg: "" }],
    ["HELP MAIL", { verb: "HELP", arg: "MAIL" }],
    ["BDAT 0", { verb: "BDAT", size: 0, last: false }],
    ["BDAT 0 LAST", { verb: "BDAT", size: 0, last: true }],
    ["bdat 1000 last", { verb: "BDAT", size: 1000, last: true }],
    ["BDAT 0009007199254740991", { verb: "BDAT", size: 9007199254740991, last: false }],
    ["AUTH PLAIN", { verb: "AUTH", mechanism: "PLAIN", initial: null }],
    ["auth scram-sha-256", { verb: "AUTH", mechanism: "SCRAM-SHA-256", initial: null }],
    ["AUTH PLAIN AGFsaWNlAHNlY3JldA==", { verb: "AUTH", mechanism: "PLAIN", initial: "AGFsaWNlAHNlY3JldA==" }],
    ["AUTH PLAIN =", { verb: "AUTH", mechanism: "PLAIN", initial: "" }],
    ["AUTH X_OAUTH-2 YWJj", { verb: "AUTH", mechanism: "X_OAUTH-2", initial: "YWJj" }],
    ["XCLIENT ADDR=1.2.3.4", { verb: "UNKNOWN", name: "XCLIENT" }],
    ["turn", { verb: "UNKNOWN", name: "TURN" }],
    ["SEND FROM:<a@b>", { verb: "UNKNOWN", name: "SEND" }],
  ];
  test.each(cases)("%p", (line, expected) => {
    expect(parseCommand(line)).toMatchObject(expected);
  });
});

describe("invalid commands", () => {
  const cases: [string, ReturnType<typeof inv>][] = [
    ["", inv(500, "5.5.2")],
    [" MAIL FROM:<a@b>", inv(500, "5.5.2")],
    ["MA\u00efL FROM:<a@b>", inv(500, "5.5.2")],
    ["123", inv(500, "5.5.2")],
    ["MAIL\u0000 FROM:<a@b>", inv(500, "5.5.2")],
    ["MAIL FROM:<a@b>\rRCPT TO:<c@d>", inv(500, "5.5.2")],
    ["DATA\n", inv(500, "5.5.2")],
    ["NOOP \u001b[31m", inv(500, "5.5.2")],
    ["HELO", inv(501, "5.5.2")],
    ["EHLO", inv(501, "5.5.2")],
    ["LHLO", inv(501, "5.5.2")],
    ["EHLO foo bar", inv(501, "5.5.4")],
    ["EHLO -bad-.example", inv(501, "5.5.4")],
    ["EHLO a..b", inv(501, "5.5.4")],
    ["EHLO [1.2.3.999]", inv(501, "5.5.4")],
    ["EHLO [foo]", inv(501, "5.5.4")],
    ["EHLO b\u00fccher.de", inv(501, "5.5.4")],
    ["HELO host.example.", inv(501, "5.5.4")],
    ["MAIL", inv(501, "5.5.2")],
    ["MAIL FROM", inv(501, "5.5.2")],
    ["MAIL FROM:", inv(501, "5.5.2")],
    ["MAIL TO:<a@b>", inv(501, "5.5.2")],
    ["MAIL FROM:a@b", inv(501, "5.5.2")],
    ["MAIL FROM:  <a@b>", inv(501, "5.5.2")],
    ["MAIL FROM :<a@b>", inv(501, "5.5.2")],
    ["MAIL FROM:<a@b>SIZE=1", inv(501, "5.5.2")],
    ["MAIL FROM:<a@b", inv(501, "5.5.2")],
    ["MAIL FROM:<a@>", inv(501, "5.1.7")],
    ["MAIL FROM:<Postmaster>", inv(501, "5.1.7")],
    ["MAIL FROM:<a@b> SIZE=x", inv(501, "5.5.4")],
    ["MAIL FROM:<a@b> SIZE=1 SIZE=2", inv(501, "5.5.4")],
    ["MAIL FROM:<a@b> FOO=bar", inv(555, "5.5.4")],
    ["MAIL FROM:<a@b> NOTIFY=NEVER", inv(555, "5.5.4")],
    ["MAIL FROM:<pel\u00e9@x.example>", inv(553, "5.6.7")],
    [`MAIL FROM:<${"a".repeat(65)}@b>`, inv(553, "5.1.7")],
    ["RCPT", inv(501, "5.5.2")],
    ["RCPT TO:", inv(501, "5.5.2")],
    ["RCPT FROM:<a@b>", inv(501, "5.5.2")],
    ["RCPT TO:a@b", inv(501, "5.5.2")],
    ["RCPT TO:<>", inv(501, "5.1.3")],
    ["RCPT TO:<a b@c>", inv(501, "5.1.3")],
    ["RCPT TO:<a@b> SIZE=1", inv(555, "5.5.4")],
    ["RCPT TO:<a@b> NOTIFY=NEVER,DELAY", inv(501, "5.5.4")],
    ["DATA now", inv(501, "5.5.4")],
    ["RSET x", inv(501, "5.5.4")],
    ["QUIT now", inv(501, "5.5.4")],
    ["STARTTLS x", inv(501, "5.5.4")],
    ["VRFY", inv(501, "5.5.2")],
    ["EXPN", inv(501, "5.5.2")],
    ["BDAT", inv(501, "5.5.2")],
    ["BDAT 1 LAST x", inv(501, "5.5.2")],
    ["BDAT x", inv(501, "5.5.4")],
    ["BDAT -1", inv(501, "5.5.4")],
    ["BDAT 1.5", inv(501, "5.5.4")],
    ["BDAT 1e3", inv(501, "5.5.4")],
    ["BDAT  1", inv(501, "5.5.4")],
    ["BDAT 9007199254740992", inv(501, "5.5.4")],
    ["BDAT 99999999999999999999999999999999", inv(501, "5.5.4")],
    ["BDAT 10 FIRST", inv(501, "5.5.4")],
    ["AUTH", inv(501, "5.5.4")],
    ["AUTH PLAIN a b", inv(501, "5.5.4")],
    ["AUTH PL@IN", inv(504, "5.5.4")],
    ["AUTH ABCDEFGHIJKLMNOPQRSTU", inv(504, "5.5.4")],
    ["AUTH PLAIN abc", inv(501, "5.5.2")],
    ["AUTH PLAIN a=bc", inv(501, "5.5.2")],
    ["AUTH PLAIN YWJj===", inv(501, "5.5.2")],
    ["AUTH PLAIN ==", inv(501, "5.5.2")],
  ];
  test.each(cases)("%p", (line, expected) => {
    const c = parseCommand(line);
    expect(c).toMatchObject(expected);
    if (c.verb === "INVALID") expect(c.reply.text.length).toBeGreaterThan(0);
  });
});

test("never throws on arbitrary input", () => {
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pieces = ["MAIL", "RCPT", " FROM:", " TO:", "<", ">", "@", "\"", "\\", " ", "a", ".", "[", "]", "=", "+", "BDAT", "AUTH", "\u00e9", "\u0000", "SIZE=", ":"];
  for (let i = 0; i < 5000; i++) {
    let s = "";
    for (let j = Math.floor(rnd() * 12); j > 0; j--) s += pieces[Math.floor(rnd() * pieces.length)];
    const c = parseCommand(s);
    expect(typeof c.verb).toBe("string");
  }
});
