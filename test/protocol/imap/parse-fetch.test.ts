// Parser tests for FETCH and UID FETCH: macros, every fetch-att, sections and partials,
// BINARY (RFC 3516) and the CONDSTORE/QRESYNC modifiers (RFC 7162), valid and invalid forms.
import { describe, expect, test } from "bun:test";
import { ok, parse } from "./parse-helpers.ts";

const INF = Number.POSITIVE_INFINITY;
const set = (...ranges: [number, number][]) => ({ kind: "set", ranges });
const s = (kind: string) => ({ kind });
const body = (part: number[], text: string | null = null, fields: string[] = [], peek = false, partial: { offset: number; length: number } | null = null) => ({
  kind: "BODY[]",
  section: { part, text, fields },
  peek,
  partial,
});
const fetch = (attributes: unknown[], extra: object = {}) => ({ name: "FETCH", uid: false, set: set([1, 1]), attributes, changedSince: null, vanished: false, ...extra });

function table(cases: [string, unknown][]): void {
  for (const [input, expected] of cases) test(JSON.stringify(input), () => expect(ok(input)).toEqual(expected as never));
}
function bad(cases: [string, string][]): void {
  for (const [input, text] of cases) {
    test(JSON.stringify(input), () => {
      const r = parse(input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.tag).toBe("A1");
        expect(r.status).toBe("BAD");
        expect(r.text).toContain(text);
      }
    });
  }
}

describe("macros and simple attributes", () => {
  table([
    ["A1 FETCH 1 ALL", fetch(["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"].map(s))],
    ["A1 FETCH 1 fast", fetch(["FLAGS", "INTERNALDATE", "RFC822.SIZE"].map(s))],
    ["A1 FETCH 1 FULL", fetch(["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"].map(s))],
    ["A1 FETCH 1 FLAGS", fetch([s("FLAGS")])],
    [
      "A1 FETCH 2:4 (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE UID MODSEQ RFC822 RFC822.HEADER RFC822.TEXT)",
      fetch(["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY", "BODYSTRUCTURE", "UID", "MODSEQ", "RFC822", "RFC822.HEADER", "RFC822.TEXT"].map(s), { set: set([2, 4]) }),
    ],
    ["A1 fetch 1:* (uid flags)", fetch([s("UID"), s("FLAGS")], { set: set([1, INF]) })],
    ["A1 FETCH *:3,5 UID", fetch([s("UID")], { set: set([3, INF], [5, 5]) })],
    ["A1 FETCH $ FLAGS", fetch([s("FLAGS")], { set: { kind: "saved" } })],
    ["A1 UID FETCH 100:200 (FLAGS)", fetch([s("FLAGS")], { uid: true, set: set([100, 200]) })],
  ]);
});

describe("BODY[section]<partial>", () => {
  table([
    ["A1 FETCH 1 BODY[]", fetch([body([])])],
    ["A1 FETCH 1 body.peek[]", fetch([body([], null, [], true)])],
    ["A1 FETCH 1 BODY[HEADER]", fetch([body([], "HEADER")])],
    ["A1 FETCH 1 BODY[TEXT]", fetch([body([], "TEXT")])],
    ["A1 FETCH 1 BODY[1]", fetch([body([1])])],
    ["A1 FETCH 1 BODY[1.2.3]", fetch([body([1, 2, 3])])],
    ["A1 FETCH 1 BODY[4.2.HEADER]", fetch([body([4, 2], "HEADER")])],
    ["A1 FETCH 1 BODY[3.MIME]", fetch([body([3], "MIME")])],
    ["A1 FETCH 1 BODY[1.text]", fetch([body([1], "TEXT")])],
    ["A1 FETCH 1 BODY[HEADER.FIELDS (From To date)]", fetch([body([], "HEADER.FIELDS", ["FROM", "TO", "DATE"])])],
    ['A1 FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT ("Subject" X-Spam)]', fetch([body([], "HEADER.FIELDS.NOT", ["SUBJECT", "X-SPAM"], true)])],
    ["A1 FETCH 1 BODY[2.HEADER.FIELDS (References)]", fetch([body([2], "HEADER.FIELDS", ["REFERENCES"])])],
    ["A1 FETCH 1 BODY[]<0.2048>", fetch([body([], null, [], false, { offset: 0, length: 2048 })])],
    ["A1 FETCH 1 BODY.PEEK[1]<100.50>", fetch([body([1], null, [], true, { offset: 100, length: 50 })])],
    ["A1 FETCH 1 BODY[]<0.9223372036854775807>", fetch([body([], null, [], false, { offset: 0, length: 9223372036854775807 })])],
    ["A1 FETCH 1 (BODY BODY[] BODY.PEEK[TEXT])", fetch([s("BODY"), body([]), body([], "TEXT", [], true)])],
  ]);
  bad([
    ["A1 FETCH 1 BODY[MIME]", "Invalid section MIME"],
    ["A1 FETCH 1 BODY[0]", "non-zero"],
    ["A1 FETCH 1 BODY[1.]", "keyword"],
    ["A1 FETCH 1 BODY[1.FOO]", "Invalid section FOO"],
    ["A1 FETCH 1 BODY[HEADER.FIELDS]", "Expected SP"],
    ["A1 FETCH 1 BODY[HEADER.FIELDS ()]", "astring"],
    ["A1 FETCH 1 BODY[HEADER.FIELDS (a:b)]", "header field"],
    ["A1 FETCH 1 BODY[HEADER", '"]"'],
    ["A1 FETCH 1 BODY.PEEK", '"["'],
    ["A1 FETCH 1 BODY[]<0.0>", "non-zero"],
    ["A1 FETCH 1 BODY[]<1>", '"."'],
    ["A1 FETCH 1 BODY[]<1.2", '">"'],
    ["A1 FETCH 1 BODY[]<0.9223372036854775808>", "out of range"],
    ["A1 FETCH 1 BODY<0.10>", "Unexpected character"],
  ]);
});

describe("BINARY (RFC 3516)", () => {
  const bin = (kind: string, part: number[], peek: boolean, partial: { offset: number; length: number } | null = null) => ({ kind, section: { part, text: null, fields: [] }, peek, partial });
  table([
    ["A1 FETCH 1 BINARY[]", fetch([bin("BINARY[]", [], false)])],
    ["A1 FETCH 1 BINARY[1.2]", fetch([bin("BINARY[]", [1, 2], false)])],
    ["A1 FETCH 1 BINARY.PEEK[1]<0.100>", fetch([bin("BINARY[]", [1], true, { offset: 0, length: 100 })])],
    ["A1 FETCH 1 (BINARY.SIZE[2] BINARY.SIZE[])", fetch([bin("BINARY.SIZE", [2], true), bin("BINARY.SIZE", [], true)])],
  ]);
  bad([
    ["A1 FETCH 1 BINARY[HEADER]", "Expected a number"],
    ["A1 FETCH 1 BINARY[1.TEXT]", '"]"'],
    ["A1 FETCH 1 BINARY.SIZE[1]<0.10>", "Unexpected character"],
    ["A1 FETCH 1 BINARY", '"["'],
  ]);
});

describe("modifiers (RFC 7162)", () => {
  table([
    ["A1 FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)", fetch([s("FLAGS")], { set: set([1, INF]), changedSince: 12345 })],
    ["A1 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)", fetch([s("FLAGS")], { uid: true, set: set([300, 500]), changedSince: 12345, vanished: true })],
    ["A1 UID FETCH 1:* FLAGS (vanished changedsince 1)", fetch([s("FLAGS")], { uid: true, set: set([1, INF]), changedSince: 1, vanished: true })],
    ["A1 FETCH 1 FLAGS (CHANGEDSINCE 20050715194045000)", fetch([s("FLAGS")], { changedSince: 20050715194045000 })],
  ]);
  bad([
    ["A1 FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)", "VANISHED requires UID FETCH"],
    ["A1 UID FETCH 1:* (FLAGS) (VANISHED)", "VANISHED requires UID FETCH"],
    ["A1 FETCH 1 FLAGS (CHANGEDSINCE)", "Expected SP"],
    ["A1 FETCH 1 FLAGS (CHANGEDSINCE x)", "number"],
    ["A1 FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)", "Duplicate"],
    ["A1 FETCH 1 FLAGS (FOO)", "Unknown FETCH modifier FOO"],
    ["A1 FETCH 1 FLAGS ()", "keyword"],
  ]);
});

describe("invalid FETCH", () => {
  bad([
    ["A1 FETCH", "Expected SP"],
    ["A1 FETCH 1", "Expected SP"],
    ["A1 FETCH 1 ", "keyword"],
    ["A1 FETCH 0 FLAGS", "Invalid sequence set"],
    ["A1 FETCH 1:0 FLAGS", "Invalid sequence set"],
    ["A1 FETCH 4294967296 FLAGS", "Invalid sequence set"],
    ["A1 FETCH 1,,2 FLAGS", "Invalid sequence set"],
    ["A1 FETCH 1, FLAGS", "Invalid sequence set"],
    ["A1 FETCH $,1 FLAGS", "Invalid sequence set"],
    ["A1 FETCH a FLAGS", "sequence set"],
    ["A1 FETCH 1 ()", "keyword"],
    ["A1 FETCH 1 (ALL)", "Unknown fetch attribute ALL"],
    ["A1 FETCH 1 (FLAGS", '")"'],
    ["A1 FETCH 1 FOO", "Unknown fetch attribute FOO"],
    ["A1 FETCH 1 FLAGS UID", "Expected"],
    ["A1 FETCH 1 (FLAGS  UID)", "keyword"],
    ["A1 FETCH 1 ALL[]", "Unexpected character"],
  ]);
});
