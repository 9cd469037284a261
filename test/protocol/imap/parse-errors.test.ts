// Parser robustness: NUL and 8-bit bytes, control characters, literals where they do not
// belong, hand-built events, 64 KiB lines, and a seeded fuzz run that must never throw.
import { describe, expect, test } from "bun:test";
import { CommandFramer } from "../../../src/protocol/imap/framer.ts";
import { parseCommand } from "../../../src/protocol/imap/parser.ts";
import type { ParseResult } from "../../../src/protocol/imap/types.ts";
import { bytes, ok, parse, raw } from "./parse-helpers.ts";
import { rng } from "../../helpers/rng.ts";

const badResult = (tag: string | null, text: string): ParseResult => ({ ok: false, tag, status: "BAD", text });

describe("NUL, 8-bit and control bytes", () => {
  const cases: [Uint8Array, unknown][] = [
    [raw("A1 NO\x00OP"), badResult("A1", "NUL byte in command")],
    [raw('A1 LOGIN "a\x00b" c'), badResult("A1", "NUL byte in command")],
    [raw("A1 LOGIN {3}\r\na\x00b c"), badResult("A1", "LOGIN: NUL in literal")],
    [raw("\x00A1 NOOP"), badResult(null, "Invalid tag")],
    [bytes("A1 SELECT Entwürfe"), badResult("A1", "SELECT: 8-bit character in astring")],
    [bytes("A1 LIST \"\" Entwürfe*"), badResult("A1", "LIST: 8-bit character in mailbox pattern")],
    [bytes("A1 SEARCH KEYWORD schön"), badResult("A1", "SEARCH: 8-bit character in atom")],
    [bytes("Ä1 NOOP"), badResult(null, "Invalid tag")],
    [bytes("A\u00e41 NOOP"), badResult(null, "Invalid tag")],
    [raw("A1\tNOOP"), badResult(null, "Invalid tag")],
    [raw("A1 NOOP\rX"), badResult("A1", "NOOP: Unexpected character")],
    [raw('A1 LOGIN "a\rb" c'), badResult("A1", "LOGIN: Invalid character in quoted string")],
    [raw("A1 LOGIN a\x01 b"), badResult("A1", "LOGIN: Expected SP")],
    [raw("A1 {4}\r\nNOOP"), badResult("A1", "Expected a keyword")],
    [raw("A1 FETCH {1}\r\n1 FLAGS"), badResult("A1", "FETCH: Expected sequence set")],
    [raw("A1 LOGIN a {1+}\r\nb{1+}\r\nc"), badResult("A1", "LOGIN: Unexpected character")],
  ];
  for (const [input, expected] of cases) test(JSON.stringify(Buffer.from(input).toString("latin1")), () => expect(parse(input)).toEqual(expected as never));
  test("quoted strings may hold TAB and UTF-8 (RFC 9051 QUOTED-CHAR)", () => {
    expect(ok(raw('A1 LOGIN "a\tb" c'))).toEqual({ name: "LOGIN", user: "a\tb", password: "c" });
    expect(ok('A1 SELECT "日本語"')).toEqual({ name: "SELECT", mailbox: "日本語", condstore: false, qresync: null });
  });
});

describe("long input", () => {
  test("a 64 KiB command line parses", () => {
    const value = "x".repeat(65000);
    expect(ok(`A1 SEARCH TEXT ${value}`)).toEqual({ name: "SEARCH", uid: false, charset: null, key: { kind: "text", value }, returns: null });
  });
  test("a large literal parses without copying per byte", () => {
    const f = new CommandFramer({ maxLine: 1000, maxLiteral: 10_000_000, maxCommand: 10_001_000, maxLiterals: 10 });
    f.push(bytes("A1 APPEND INBOX ~{10000000+}\r\n"));
    f.push(new Uint8Array(10_000_000).fill(0x61));
    f.push(bytes("\r\n"));
    const ev = f.next();
    if (ev?.type !== "command") throw new Error("expected a command");
    const r = parseCommand(ev);
    expect(r.ok && r.command.name === "APPEND" && r.command.message.length).toBe(10_000_000);
  });
});

describe("hand-built events", () => {
  const seg = (s: string) => bytes(s);
  test("a literal whose size disagrees with its marker is BAD", () => {
    expect(parseCommand({ segments: [seg("A1 LOGIN {3}"), seg(" b")], literals: [{ data: bytes("ab"), binary: false, sync: true }] })).toEqual(badResult("A1", "LOGIN: Literal does not match its marker"));
  });
  test("a marker without its literal is BAD", () => {
    expect(parseCommand({ segments: [seg("A1 LOGIN {3}")], literals: [] })).toEqual(badResult("A1", "LOGIN: Invalid literal"));
  });
  test("no segments at all is an empty command", () => {
    expect(parseCommand({ segments: [], literals: [] })).toEqual(badResult(null, "Empty command line"));
  });
});


describe("fuzz", () => {
  const FRAGMENTS = [
    "A1", " ", "UID", "FETCH", "SEARCH", "STORE", "APPEND", "LIST", "SELECT", "STATUS", "ID", "LOGIN", "CREATE", "(", ")", "[", "]", "<", ">", ".", "1", "*", ":", ",", "$",
    "BODY", "BODY.PEEK", "HEADER.FIELDS", "MIME", "NOT", "OR", "MODSEQ", "\"", "\\", "{3}\r\nabc", "{0+}\r\n", "~{2}\r\n\x00\x01", "{", "}", "+", "-", "FLAGS", "\\Seen",
    "RETURN", "CHARSET", "QRESYNC", "CONDSTORE", "INBOX", "NIL", "\xff", "\x00", "\r", "\t", "ü", "\"17-Jul-1996 02:44:25 -0700\"", "1-Feb-1994", "USE", "\\Drafts", "VANISHED",
  ];
  test("random token soup never throws and always yields a result", () => {
    const next = rng(42);
    for (let i = 0; i < 20000; i++) {
      let line = "A1 ";
      const n = 1 + Math.floor(next() * 14);
      for (let k = 0; k < n; k++) line += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)];
      const f = new CommandFramer({ maxLine: 4096, maxLiteral: 64, maxCommand: 8192, maxLiterals: 8 });
      f.push(raw(`${line}\r\n`));
      for (let ev = f.next(); ev !== null; ev = f.next()) {
        if (ev.type !== "command") continue;
        const r = parseCommand(ev);
        expect(typeof r.ok).toBe("boolean");
      }
    }
  });
  test("random bytes never throw", () => {
    const next = rng(7);
    for (let i = 0; i < 5000; i++) {
      const data = new Uint8Array(1 + Math.floor(next() * 80)).map(() => (next() < 0.7 ? 0x20 + Math.floor(next() * 95) : Math.floor(next() * 256)));
      const f = new CommandFramer({ maxLine: 64, maxLiteral: 16, maxCommand: 256, maxLiterals: 4 });
      f.push(data);
      f.push(bytes("\r\n"));
      for (let ev = f.next(); ev !== null; ev = f.next()) if (ev.type === "command") parseCommand(ev);
    }
  });
});
