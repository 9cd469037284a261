// Table tests for IMAP data formatting: quoted vs literal choice (RFC 9051 §4.3), astrings,
// flag lists, date-time (RFC 9051 §9) and the chunked response writer.

import { describe, expect, test } from "bun:test";
import {
  astring,
  formatFlags,
  formatInternalDate,
  ImapWriter,
  imapString,
  MAX_QUOTED_OCTETS,
} from "../../../src/protocol/imap/serialize.ts";
import { render } from "./serialize-helpers.ts";
import { concatBytes } from "../../../src/protocol/bytes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function show(v: string | Uint8Array): string {
  return typeof v === "string" ? v : `literal:${dec.decode(v)}`;
}

describe("imapString", () => {
  const cases: [string, string | Uint8Array, boolean, string][] = [
    ["plain ASCII", "hello world", false, '"hello world"'],
    ["empty", "", false, '""'],
    ["quote and backslash escaped", 'say "hi" \\o/', false, '"say \\"hi\\" \\\\o/"'],
    ["CR forces a literal", "a\rb", false, "literal:a\rb"],
    ["LF forces a literal", "a\nb", false, "literal:a\nb"],
    ["NUL forces a literal", "a\0b", false, "literal:a\0b"],
    ["8-bit without UTF8=ACCEPT", "Grüße", false, "literal:Grüße"],
    ["8-bit with UTF8=ACCEPT", "Grüße", true, '"Grüße"'],
    ["astral plane with UTF8=ACCEPT", "mail 📬", true, '"mail 📬"'],
    ["lone surrogate", "a\ud800b", true, `literal:${dec.decode(enc.encode("a\ud800b"))}`],
    ["ASCII bytes", enc.encode("abc"), false, '"abc"'],
    ["UTF-8 bytes, UTF8=ACCEPT", enc.encode("é"), true, '"é"'],
    ["UTF-8 bytes, no UTF8=ACCEPT", enc.encode("é"), false, "literal:é"],
    ["invalid UTF-8 bytes", new Uint8Array([0x61, 0xe9]), true, `literal:${dec.decode(new Uint8Array([0x61, 0xe9]))}`],
    ["tab is a TEXT-CHAR", "a\tb", false, '"a\tb"'],
  ];
  for (const [name, value, utf8, expected] of cases) {
    test(name, () => expect(show(imapString(value, { utf8 }))).toBe(expected));
  }

  test("length threshold in octets", () => {
    expect(typeof imapString("a".repeat(MAX_QUOTED_OCTETS), { utf8: false })).toBe("string");
    expect(imapString("a".repeat(MAX_QUOTED_OCTETS + 1), { utf8: false })).toBeInstanceOf(Uint8Array);
    // 400 "é" are 800 octets: quoted; 501 are 1002 octets: literal.
    expect(typeof imapString("é".repeat(400), { utf8: true })).toBe("string");
    expect(imapString("é".repeat(501), { utf8: true })).toBeInstanceOf(Uint8Array);
  });

  test("bytes that must be a literal are returned as they are", () => {
    const b = enc.encode("line\r\n");
    expect(imapString(b, { utf8: false })).toBe(b);
  });
});

describe("astring", () => {
  const cases: [string, string][] = [
    ["INBOX", "INBOX"],
    ["Sent Items", '"Sent Items"'],
    ["a]b", "a]b"],
    ["a%", '"a%"'],
    ["a*", '"a*"'],
    ["(x)", '"(x)"'],
    ["{3}", '"{3}"'],
    ["", '""'],
    ["NIL", '"NIL"'],
    ["nil", '"nil"'],
    ["Archive/2024", "Archive/2024"],
    ['a"b', '"a\\"b"'],
  ];
  for (const [value, expected] of cases) {
    test(JSON.stringify(value), () => expect(show(astring(value, { utf8: false }))).toBe(expected));
  }
  test("non-ASCII is never an atom", () => {
    expect(show(astring("Entwürfe", { utf8: true }))).toBe('"Entwürfe"');
    expect(show(astring("Entwürfe", { utf8: false }))).toBe("literal:Entwürfe");
  });
});

test("formatFlags", () => {
  expect(formatFlags([])).toBe("()");
  expect(formatFlags(["\\Seen", "\\Answered", "$Forwarded"])).toBe("(\\Seen \\Answered $Forwarded)");
});

describe("formatInternalDate", () => {
  const cases: [number, number, string][] = [
    [Date.UTC(2024, 0, 5, 3, 4, 5), 0, '"05-Jan-2024 03:04:05 +0000"'],
    [Date.UTC(1996, 6, 17, 9, 44, 25), -420, '"17-Jul-1996 02:44:25 -0700"'],
    [Date.UTC(2023, 11, 31, 23, 59, 59), 330, '"01-Jan-2024 05:29:59 +0530"'],
    [Date.UTC(2020, 1, 29, 0, 0, 0), 0, '"29-Feb-2020 00:00:00 +0000"'],
  ];
  for (const [ms, offset, expected] of cases) {
    test(expected, () => expect(formatInternalDate(ms, offset)).toBe(expected));
  }
});

describe("ImapWriter", () => {
  test("a FETCH line with a literal", () => {
    const out = render((w) =>
      w.atom("*").atom(1).atom("FETCH").open().atom("UID").atom(5).atom("BODY[]").literal(enc.encode("abc")).close().crlf(),
    );
    expect(out).toBe("* 1 FETCH (UID 5 BODY[] {3}\r\nabc)\r\n");
  });

  test("spacing: lists, nested lists, glue", () => {
    const out = render((w) => {
      w.open().open().nil().close().glue().open().nil().close().close().open().close().crlf();
    });
    expect(out).toBe("((NIL)(NIL)) ()\r\n");
  });

  test("string/nstring/astring pick their forms", () => {
    const out = render((w) => w.string("a b").nstring(null).nstring("x\r\ny").astring("INBOX").crlf());
    expect(out).toBe('"a b" NIL {4}\r\nx\r\ny INBOX\r\n');
  });

  test("literal8", () => {
    expect(render((w) => w.atom("BINARY[1]").literal(new Uint8Array([0, 1]), true))).toBe("BINARY[1] ~{2}\r\n\0\x01");
  });

  test("text after a status", () => {
    expect(render((w) => w.atom("A1").atom("OK").text("[READ-WRITE] SELECT completed").crlf())).toBe(
      "A1 OK [READ-WRITE] SELECT completed\r\n",
    );
  });

  test("a large literal is its own chunk, not copied", () => {
    const big = new Uint8Array(100_000).fill(0x61);
    const w = new ImapWriter({ utf8: false });
    w.atom("*").atom(1).atom("FETCH").open().atom("BODY[]").literal(big).close().crlf();
    const chunks = w.finish();
    expect(chunks.length).toBe(3);
    expect(chunks[1]).toBe(big);
    expect(dec.decode(chunks[0])).toBe("* 1 FETCH (BODY[] {100000}\r\n");
    expect(dec.decode(chunks[2])).toBe(")\r\n");
  });

  test("small literals stay in one chunk", () => {
    const w = new ImapWriter({ utf8: false });
    w.open().literal(enc.encode("a\r\n")).literal(enc.encode("b")).close();
    const chunks = w.finish();
    expect(chunks.length).toBe(1);
    expect(dec.decode(chunks[0])).toBe("({3}\r\na\r\n {1}\r\nb)");
  });

  test("finish empties the writer; several lines", () => {
    const w = new ImapWriter({ utf8: true });
    w.atom("*").atom("OK").crlf();
    expect(dec.decode(concatBytes(w.finish()))).toBe("* OK\r\n");
    expect(w.finish()).toEqual([]);
    w.atom("*").atom(2).atom("EXISTS").crlf().atom("*").atom(0).atom("RECENT").crlf();
    expect(dec.decode(concatBytes(w.finish()))).toBe("* 2 EXISTS\r\n* 0 RECENT\r\n");
  });

  test("string with UTF8=ACCEPT uses the writer's mode", () => {
    expect(render((w) => w.string("ü"), true)).toBe('"ü"');
    expect(render((w) => w.string("ü"), false)).toBe("{2}\r\nü");
  });
});
