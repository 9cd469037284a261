// Parser tests for SEARCH and UID SEARCH: every search key of RFC 9051 §6.4.4 and RFC 3501,
// RETURN options (RFC 4731, RFC 5182), CHARSET, MODSEQ (RFC 7162), nesting and its depth cap.
import { describe, expect, test } from "bun:test";
import { bytes, ok, parse, raw } from "./parse-helpers.ts";

const INF = Number.POSITIVE_INFINITY;
const set = (...ranges: [number, number][]) => ({ kind: "set", ranges });
const search = (key: unknown, extra: object = {}) => ({ name: "SEARCH", uid: false, charset: null, key, returns: null, ...extra });
const and = (...keys: unknown[]) => ({ kind: "and", keys });

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

describe("keys", () => {
  const flags = ["ALL", "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "NEW", "OLD", "RECENT", "SEEN", "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN"];
  table(flags.map((f): [string, unknown] => [`A1 SEARCH ${f}`, search({ kind: f.toLowerCase() })]));
  table(["BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"].map((k): [string, unknown] => [`A1 SEARCH ${k} "a b"`, search({ kind: k.toLowerCase(), value: "a b" })]));
  table(["BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"].map((k): [string, unknown] => [`A1 SEARCH ${k} 1-Feb-1994`, search({ kind: k.toLowerCase(), date: "1994-02-01" })]));
  table([
    ["A1 SEARCH since 29-feb-2024", search({ kind: "since", date: "2024-02-29" })],
    ['A1 SEARCH ON "01-Jan-2000"', search({ kind: "on", date: "2000-01-01" })],
    ["A1 SEARCH KEYWORD $Forwarded", search({ kind: "keyword", flag: "$Forwarded" })],
    ["A1 SEARCH UNKEYWORD custom", search({ kind: "unkeyword", flag: "custom" })],
    ["A1 SEARCH HEADER Message-ID <x@y>", search({ kind: "header", field: "Message-ID", value: "<x@y>" })],
    ['A1 SEARCH HEADER "X-Spam" ""', search({ kind: "header", field: "X-Spam", value: "" })],
    ["A1 SEARCH LARGER 1024", search({ kind: "larger", size: 1024 })],
    ["A1 SEARCH SMALLER 0", search({ kind: "smaller", size: 0 })],
    ["A1 SEARCH UID 1:100,*", search({ kind: "uid", set: set([1, 100], [INF, INF]) })],
    ["A1 SEARCH UID $", search({ kind: "uid", set: { kind: "saved" } })],
    ["A1 SEARCH 2:4,*", search({ kind: "seq", set: set([2, 4], [INF, INF]) })],
    ["A1 SEARCH $", search({ kind: "seq", set: { kind: "saved" } })],
    ["A1 SEARCH * UNSEEN", search(and({ kind: "seq", set: set([INF, INF]) }, { kind: "unseen" }))],
    ["A1 SEARCH NOT SEEN", search({ kind: "not", key: { kind: "seen" } })],
    ["A1 SEARCH OR SEEN FLAGGED", search({ kind: "or", a: { kind: "seen" }, b: { kind: "flagged" } })],
    ["A1 SEARCH OR (SEEN FLAGGED) NOT 1:5", search({ kind: "or", a: and({ kind: "seen" }, { kind: "flagged" }), b: { kind: "not", key: { kind: "seq", set: set([1, 5]) } } })],
    ["A1 SEARCH (((SEEN)))", search({ kind: "seen" })],
    ["A1 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith", search(and({ kind: "flagged" }, { kind: "since", date: "1994-02-01" }, { kind: "not", key: { kind: "from", value: "Smith" } }))],
    ["A1 SEARCH SUBJECT {6}\r\nfoobar DELETED", search(and({ kind: "subject", value: "foobar" }, { kind: "deleted" }))],
    ['A1 SEARCH SUBJECT "Grüße"', search({ kind: "subject", value: "Grüße" })],
    ["A1 SEARCH MODSEQ 620162338", search({ kind: "modseq", modseq: 620162338, entry: null })],
    ['A1 SEARCH MODSEQ "/flags/\\\\draft" all 620162338', search({ kind: "modseq", modseq: 620162338, entry: { name: "\\Draft", type: "all" } })],
    ['A1 SEARCH MODSEQ "/flags/$Junk" priv 0', search({ kind: "modseq", modseq: 0, entry: { name: "$Junk", type: "priv" } })],
    ["A1 UID SEARCH 1:* NOT DELETED", search(and({ kind: "seq", set: set([1, INF]) }, { kind: "not", key: { kind: "deleted" } }), { uid: true })],
  ]);
});

describe("RETURN and CHARSET", () => {
  table([
    ["A1 SEARCH RETURN (MIN MAX) UNSEEN", search({ kind: "unseen" }, { returns: ["MIN", "MAX"] })],
    ["A1 SEARCH RETURN () UNSEEN", search({ kind: "unseen" }, { returns: ["ALL"] })],
    ["A1 SEARCH RETURN (all count save all) UNSEEN", search({ kind: "unseen" }, { returns: ["ALL", "COUNT", "SAVE"] })],
    ["A1 UID SEARCH RETURN (SAVE) CHARSET UTF-8 TEXT x", search({ kind: "text", value: "x" }, { uid: true, returns: ["SAVE"], charset: "UTF-8" })],
    ["A1 SEARCH CHARSET us-ascii ALL", search({ kind: "all" }, { charset: "US-ASCII" })],
    ['A1 SEARCH CHARSET "UTF-8" SUBJECT "ü"', search({ kind: "subject", value: "ü" }, { charset: "UTF-8" })],
  ]);
  test("a non-UTF-8 charset decodes the strings (ISO-8859-1 literal)", () => {
    const input = Uint8Array.from([...bytes("A1 SEARCH CHARSET ISO-8859-1 SUBJECT {3}\r\nGr"), 0xfc]);
    expect(ok(input)).toEqual(search({ kind: "subject", value: "Grü" }, { charset: "ISO-8859-1" }));
  });
  test("an unknown charset is NO [BADCHARSET] (RFC 9051 §6.4.4)", () => {
    expect(parse("A1 SEARCH CHARSET X-UNKNOWN ALL")).toEqual({ ok: false, tag: "A1", status: "NO", text: "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset" });
  });
  test("invalid UTF-8 in a UTF-8 search string is BAD", () => {
    expect(parse(raw('A1 SEARCH SUBJECT "\xff"'))).toEqual({ ok: false, tag: "A1", status: "BAD", text: "SEARCH: Invalid UTF-8 in string" });
  });
});

describe("invalid SEARCH", () => {
  bad([
    ["A1 SEARCH", "Expected SP"],
    ["A1 SEARCH ", "keyword"],
    ["A1 SEARCH FOO", "Unknown search key FOO"],
    ["A1 SEARCH SEEN  FLAGGED", "keyword"],
    ["A1 SEARCH SUBJECT", "Expected SP"],
    ["A1 SEARCH SINCE 30-Feb-2024", "Invalid date"],
    ["A1 SEARCH SINCE 1-Feb-94", "Invalid date"],
    ["A1 SEARCH SINCE 2024-02-01", "Invalid date"],
    ["A1 SEARCH KEYWORD \\Seen", "atom"],
    ["A1 SEARCH LARGER -1", "number"],
    ["A1 SEARCH LARGER 99999999999999999999", "out of range"],
    ["A1 SEARCH UID", "Expected SP"],
    ["A1 SEARCH UID x", "sequence set"],
    ["A1 SEARCH 0", "Invalid sequence set"],
    ["A1 SEARCH OR SEEN", "Expected SP"],
    ["A1 SEARCH NOT", "Expected SP"],
    ["A1 SEARCH ()", "keyword"],
    ["A1 SEARCH (SEEN", '")"'],
    ["A1 SEARCH SEEN)", "Unexpected character"],
    ["A1 SEARCH RETURN (FOO) ALL", "Unknown search return option FOO"],
    ["A1 SEARCH RETURN ALL", '"("'],
    ["A1 SEARCH RETURN (MIN)", "Expected SP"],
    ["A1 SEARCH CHARSET", "Expected SP"],
    ["A1 SEARCH CHARSET UTF-8", "Expected SP"],
    ['A1 SEARCH MODSEQ "/flags/\\\\Draft" 5', "entry type"],
    ['A1 SEARCH MODSEQ "/flags/\\\\Draft" mine 5', "entry type"],
    ['A1 SEARCH MODSEQ "/other/x" all 5', "entry name"],
    ['A1 SEARCH MODSEQ "/flags/" all 5', "entry name"],
    ["A1 SEARCH MODSEQ", "Expected SP"],
    ["A1 SEARCH MODSEQ x", "number"],
  ]);
});

describe("nesting depth cap", () => {
  test("32 levels of parentheses parse; 33 are BAD", () => {
    expect(ok(`A1 SEARCH ${"(".repeat(32)}SEEN${")".repeat(32)}`)).toEqual(search({ kind: "seen" }));
    expect(parse(`A1 SEARCH ${"(".repeat(33)}SEEN${")".repeat(33)}`)).toEqual({ ok: false, tag: "A1", status: "BAD", text: "SEARCH: Too deeply nested" });
  });
  test("10,000 '(' and long NOT / OR chains stay BAD without blowing the stack", () => {
    expect(parse(`A1 SEARCH ${"(".repeat(10000)}`)).toMatchObject({ ok: false, tag: "A1", text: "SEARCH: Too deeply nested" });
    expect(parse(`A1 SEARCH ${"NOT ".repeat(10000)}SEEN`)).toMatchObject({ ok: false, tag: "A1", text: "SEARCH: Too deeply nested" });
    expect(parse(`A1 SEARCH ${"OR SEEN ".repeat(8000)}SEEN`)).toMatchObject({ ok: false, tag: "A1", text: "SEARCH: Too deeply nested" });
  });
  test("many keys side by side are not nesting", () => {
    const r = ok(`A1 SEARCH ${Array(5000).fill("(SEEN)").join(" ")}`) as { key: { keys: unknown[] } };
    expect(r.key.keys.length).toBe(5000);
  });
});
