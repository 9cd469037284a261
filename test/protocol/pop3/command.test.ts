// POP3 command parsing (RFC 1939 §3, RFC 2449 §3) and response formatting (RFC 2449 §8):
// table tests for every command, the argument rules, and byte-stuffed multi-line responses.

import { describe, expect, test } from "bun:test";
import { parseCommand } from "../../../src/protocol/pop3/command.ts";
import { continuation, err, multiline, ok } from "../../../src/protocol/pop3/response.ts";

describe("parseCommand", () => {
  const cases: [string, unknown][] = [
    ["USER alice@example.test", { verb: "USER", name: "alice@example.test" }],
    ["user alice", { verb: "USER", name: "alice" }],
    ["PASS secret with spaces ", { verb: "PASS", password: "secret with spaces " }],
    ["PASS", { verb: "INVALID", text: "PASS needs a password" }],
    ["USER", { verb: "INVALID", text: "USER needs a name" }],
    ["AUTH", { verb: "AUTH", mechanism: null, initial: null }],
    ["AUTH plain", { verb: "AUTH", mechanism: "PLAIN", initial: null }],
    ["AUTH PLAIN AGFsaWNlAHB3", { verb: "AUTH", mechanism: "PLAIN", initial: "AGFsaWNlAHB3" }],
    ["AUTH PLAIN =", { verb: "AUTH", mechanism: "PLAIN", initial: "=" }],
    ["AUTH PLAIN a b", { verb: "INVALID", text: "Syntax: AUTH mechanism [initial-response]" }],
    ["AUTH  PLAIN", { verb: "INVALID", text: "Syntax: AUTH mechanism [initial-response]" }],
    ["STAT", { verb: "STAT" }],
    ["stat", { verb: "STAT" }],
    ["STAT ", { verb: "STAT" }],
    ["STAT 1", { verb: "INVALID", text: "STAT takes no arguments" }],
    ["NOOP", { verb: "NOOP" }],
    ["RSET", { verb: "RSET" }],
    ["QUIT", { verb: "QUIT" }],
    ["CAPA", { verb: "CAPA" }],
    ["STLS", { verb: "STLS" }],
    ["STLS now", { verb: "INVALID", text: "STLS takes no arguments" }],
    ["APOP alice 0123456789abcdef", { verb: "INVALID", text: "APOP takes no arguments" }],
    ["APOP", { verb: "APOP" }],
    ["LIST", { verb: "LIST", msg: null }],
    ["LIST 3", { verb: "LIST", msg: 3 }],
    ["LIST 0", { verb: "LIST", msg: 0 }],
    ["LIST x", { verb: "INVALID", text: "Syntax: LIST [message-number]" }],
    ["LIST 1 2", { verb: "INVALID", text: "Syntax: LIST [message-number]" }],
    ["LIST -1", { verb: "INVALID", text: "Syntax: LIST [message-number]" }],
    ["LIST +1", { verb: "INVALID", text: "Syntax: LIST [message-number]" }],
    ["LIST 99999999999", { verb: "INVALID", text: "Syntax: LIST [message-number]" }],
    ["UIDL", { verb: "UIDL", msg: null }],
    ["UIDL 2", { verb: "UIDL", msg: 2 }],
    ["RETR 1", { verb: "RETR", msg: 1 }],
    ["retr 10 ", { verb: "RETR", msg: 10 }],
    ["RETR", { verb: "INVALID", text: "Syntax: RETR message-number" }],
    ["RETR  1", { verb: "INVALID", text: "Syntax: RETR message-number" }],
    ["DELE 1", { verb: "DELE", msg: 1 }],
    ["DELE one", { verb: "INVALID", text: "Syntax: DELE message-number" }],
    ["TOP 1 0", { verb: "TOP", msg: 1, lines: 0 }],
    ["TOP 1 25", { verb: "TOP", msg: 1, lines: 25 }],
    ["TOP 1", { verb: "INVALID", text: "Syntax: TOP message-number lines" }],
    ["TOP 1 -5", { verb: "INVALID", text: "Syntax: TOP message-number lines" }],
    ["XTND XMIT", { verb: "UNKNOWN", keyword: "XTND" }],
    ["HELO", { verb: "UNKNOWN", keyword: "HELO" }],
    ["", { verb: "UNKNOWN", keyword: "" }],
    ["GET / HTTP/1.1", { verb: "UNKNOWN", keyword: "GET" }],
  ];
  for (const [line, want] of cases) {
    test(JSON.stringify(line), () => expect(parseCommand(line)).toEqual(want as never));
  }
});

describe("responses", () => {
  test("status lines", () => {
    expect(ok()).toBe("+OK\r\n");
    expect(ok("2 320")).toBe("+OK 2 320\r\n");
    expect(err("no such message")).toBe("-ERR no such message\r\n");
    expect(err("locked", "IN-USE")).toBe("-ERR [IN-USE] locked\r\n");
    expect(err("x", "SYS/TEMP")).toBe("-ERR [SYS/TEMP] x\r\n");
  });

  test("a response line never exceeds 512 octets (RFC 2449 §4)", () => {
    expect(err("x".repeat(2000)).length).toBe(512);
    expect(ok("y".repeat(600)).length).toBe(512);
  });

  test("multi-line responses are byte-stuffed and end in CRLF.CRLF", () => {
    expect(multiline("list", ["1 10", ".hidden", "..", ""])).toBe("+OK list\r\n1 10\r\n..hidden\r\n...\r\n\r\n.\r\n");
    expect(multiline("empty", [])).toBe("+OK empty\r\n.\r\n");
  });

  test("SASL continuation keeps the space even when empty (RFC 5034 §4)", () => {
    expect(continuation("")).toBe("+ \r\n");
    expect(continuation("cj1hYmM=")).toBe("+ cj1hYmM=\r\n");
  });
});
