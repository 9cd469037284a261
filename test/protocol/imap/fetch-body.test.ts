// BODY[section]<partial> extraction (RFC 9051 §6.4.5): part numbering through multiparts and
// encapsulated messages, HEADER/TEXT/MIME/HEADER.FIELDS(.NOT), partials and response keys.

import { describe, expect, test } from "bun:test";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import {
  applyPartial,
  extractSection,
  rfc822Section,
  sectionKey,
} from "../../../src/protocol/imap/fetch-body.ts";
import type { FetchSection } from "../../../src/protocol/imap/types.ts";
import { msg, text } from "./serialize-helpers.ts";

function sec(spec: string, fields: string[] = []): FetchSection {
  const m = /^([\d.]*?)\.?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?$/.exec(spec)!;
  const part = m[1] ? m[1].split(".").map(Number) : [];
  return { part, text: (m[2] ?? null) as FetchSection["text"], fields };
}

const outerHeader =
  "From: a@example.com\r\nSubject: Test\r\nTo: b@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n";
const innerMessage = [
  "From: c@example.com",
  "Subject: inner",
  "Content-Type: multipart/alternative; boundary=c",
  "",
  "--c",
  "Content-Type: text/plain",
  "",
  "inner plain",
  "--c",
  "Content-Type: text/html",
  "",
  "<b>inner</b>",
  "--c--",
].join("\r\n");
const outerText = [
  "preamble",
  "--b",
  "Content-Type: text/plain",
  "",
  "part one",
  "--b",
  "Content-Type: message/rfc822",
  "",
  innerMessage,
  "--b",
  "Content-Type: message/rfc822",
  "",
  "Subject: single",
  "",
  "single body",
  "--b--",
  "",
].join("\r\n");
const raw = new TextEncoder().encode(outerHeader + "\r\n" + outerText);
const parsed = parseMime(raw);

describe("extractSection", () => {
  const cases: [string, string[], string | null][] = [
    ["", [], outerHeader + "\r\n" + outerText],
    ["HEADER", [], outerHeader + "\r\n"],
    ["HEADER.FIELDS", ["SUBJECT", "TO"], "Subject: Test\r\nTo: b@example.com\r\n\r\n"],
    ["HEADER.FIELDS", ["subject"], "Subject: Test\r\n\r\n"],
    ["HEADER.FIELDS", ["X-NONE"], "\r\n"],
    ["HEADER.FIELDS.NOT", ["SUBJECT", "TO"], "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"],
    ["TEXT", [], outerText],
    ["1", [], "part one"],
    ["1.MIME", [], "Content-Type: text/plain\r\n\r\n"],
    ["2", [], innerMessage],
    ["2.MIME", [], "Content-Type: message/rfc822\r\n\r\n"],
    ["2.HEADER", [], "From: c@example.com\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"],
    ["2.HEADER.FIELDS", ["FROM"], "From: c@example.com\r\n\r\n"],
    ["2.TEXT", [], "--c\r\nContent-Type: text/plain\r\n\r\ninner plain\r\n--c\r\nContent-Type: text/html\r\n\r\n<b>inner</b>\r\n--c--"],
    ["2.1", [], "inner plain"],
    ["2.2", [], "<b>inner</b>"],
    ["2.2.MIME", [], "Content-Type: text/html\r\n\r\n"],
    // Part 1 of a non-multipart encapsulated message is its body.
    ["3.1", [], "single body"],
    ["3.TEXT", [], "single body"],
    ["3.HEADER", [], "Subject: single\r\n\r\n"],
    ["3.1.MIME", [], "Subject: single\r\n\r\n"],
    // Sections that do not exist.
    ["4", [], null],
    ["2.3", [], null],
    ["1.1", [], null],
    ["3.2", [], null],
    ["1.HEADER", [], null],
    ["1.TEXT", [], null],
    ["MIME", [], null],
    ["0", [], null],
  ];
  for (const [spec, fields, expected] of cases) {
    test(`BODY[${spec}${fields.length ? ` (${fields.join(" ")})` : ""}]`, () => {
      expect(text(extractSection(raw, parsed, sec(spec, fields)))).toBe(expected);
    });
  }

  test("whole message and plain ranges are views of raw, not copies", () => {
    expect(extractSection(raw, parsed, sec(""))).toBe(raw);
    expect(extractSection(raw, parsed, sec("1"))!.buffer).toBe(raw.buffer);
  });

  describe("single-part message", () => {
    const single = msg(["Subject: s", "Content-Type: text/plain", "", "only body", ""]);
    const p = parseMime(single);
    const cases2: [string, string | null][] = [
      ["1", "only body\r\n"],
      ["TEXT", "only body\r\n"],
      ["1.MIME", "Subject: s\r\nContent-Type: text/plain\r\n\r\n"],
      ["2", null],
      ["1.1", null],
    ];
    for (const [spec, expected] of cases2) {
      test(spec, () => expect(text(extractSection(single, p, sec(spec))) ).toBe(expected));
    }
  });

  test("HEADER.FIELDS keeps folding, duplicates and order", () => {
    const m = msg(["Received: one", "Subject: a", " folded", "X-A: 1", "Received: two", "", "b"]);
    const out = extractSection(m, parseMime(m), sec("HEADER.FIELDS", ["RECEIVED", "SUBJECT"]));
    expect(text(out)).toBe("Received: one\r\nSubject: a\r\n folded\r\nReceived: two\r\n\r\n");
  });

  test("a message without blank line: no blank line is invented", () => {
    const m = msg(["Subject: x", "To: y@z", ""]);
    const out = extractSection(m, parseMime(m), sec("HEADER.FIELDS", ["SUBJECT"]));
    expect(text(out)).toBe("Subject: x\r\n");
  });

  test("LF-only message keeps its line ends", () => {
    const m = msg(["Subject: x", "To: y@z", "", "b"], "\n");
    expect(text(extractSection(m, parseMime(m), sec("HEADER.FIELDS", ["TO"])))).toBe("To: y@z\n\n");
    expect(text(extractSection(m, parseMime(m), sec("HEADER")))).toBe("Subject: x\nTo: y@z\n\n");
  });

  test("multipart without body parts: part 1 is empty", () => {
    const m = msg(["Content-Type: multipart/mixed; boundary=zz", "", "nothing"]);
    expect(text(extractSection(m, parseMime(m), sec("1")))).toBe("");
    expect(extractSection(m, parseMime(m), sec("2"))).toBeNull();
  });

  test("base64 message/rfc822 has no HEADER to point into", () => {
    const m = msg(["Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: message/rfc822", "Content-Transfer-Encoding: base64", "", "U3ViamVjdDogeAoKeQ==", "--b--"]);
    const p = parseMime(m);
    expect(text(extractSection(m, p, sec("1")))).toBe("U3ViamVjdDogeAoKeQ==");
    expect(extractSection(m, p, sec("1.HEADER"))).toBeNull();
  });
});

describe("applyPartial", () => {
  const b = new TextEncoder().encode("0123456789");
  const cases: [number, number, string][] = [
    [0, 3, "012"],
    [5, 100, "56789"],
    [9, 1, "9"],
    [10, 5, ""],
    [50, 5, ""],
    [2, 0, ""],
  ];
  for (const [offset, length, expected] of cases) {
    test(`<${offset}.${length}>`, () => expect(text(applyPartial(b, { offset, length }))).toBe(expected));
  }
  test("no partial", () => expect(applyPartial(b, null)).toBe(b));
});

describe("sectionKey", () => {
  const cases: [Parameters<typeof sectionKey>, string][] = [
    [["BODY", sec("1.2.HEADER.FIELDS", ["SUBJECT", "FROM"]), { offset: 0, length: 100 }], "BODY[1.2.HEADER.FIELDS (SUBJECT FROM)]<0>"],
    [["BODY", sec(""), null], "BODY[]"],
    [["BODY", sec(""), { offset: 1024, length: 512 }], "BODY[]<1024>"],
    [["BODY", sec("HEADER"), null], "BODY[HEADER]"],
    [["BODY", sec("2.MIME"), null], "BODY[2.MIME]"],
    [["BODY", sec("HEADER.FIELDS.NOT", ["X-A", "X-B"]), null], "BODY[HEADER.FIELDS.NOT (X-A X-B)]"],
    [["BODY", sec("HEADER.FIELDS", ['A"B']), null], 'BODY[HEADER.FIELDS ("A\\"B")]'],
    [["BINARY", sec("1.2"), { offset: 7, length: 3 }], "BINARY[1.2]<7>"],
    [["BINARY.SIZE", sec("3"), null], "BINARY.SIZE[3]"],
  ];
  for (const [args, expected] of cases) test(expected, () => expect(sectionKey(...args)).toBe(expected));
});

test("RFC822 equivalents", () => {
  expect(rfc822Section("RFC822")).toEqual({ section: sec(""), peek: false });
  expect(rfc822Section("RFC822.HEADER")).toEqual({ section: sec("HEADER"), peek: true });
  expect(rfc822Section("RFC822.TEXT")).toEqual({ section: sec("TEXT"), peek: false });
  expect(text(extractSection(raw, parsed, rfc822Section("RFC822.HEADER").section))).toBe(outerHeader + "\r\n");
});
