// The IMAP read-path caches and their building blocks: byte-bounded eviction, one cache per
// database (ids and UIDs repeat across databases), the (mailbox, UID) key, and the header
// field ranges that BODY[HEADER.FIELDS] and SEARCH use instead of decoding every field.

import { describe, expect, test } from "bun:test";
import { BoundedBytesCache, messageKey, perDatabase } from "../../src/imap/body-cache.ts";
import { HeaderValueCache } from "../../src/imap/search-run.ts";
import { fieldRanges, fieldValue } from "../../src/protocol/imap/header-ranges.ts";
import { headerFields } from "../../src/protocol/mime/header.ts";

const enc = new TextEncoder();

describe("BoundedBytesCache", () => {
  test("evicts the oldest entries once over its byte budget; replacing an entry re-counts it", () => {
    const c = new BoundedBytesCache<number, string>(100);
    c.set(1, "a", 40);
    c.set(2, "b", 40);
    expect(c.bytes).toBe(80);
    c.set(3, "c", 40);
    expect(c.get(1)).toBeUndefined();
    expect([c.get(2), c.get(3)]).toEqual(["b", "c"]);
    c.set(2, "B", 10);
    expect(c.bytes).toBe(50);
    expect(c.get(2)).toBe("B");
    // Larger than the whole budget: not kept, and nothing else is evicted for it.
    c.set(4, "d", 1000);
    expect(c.get(4)).toBeUndefined();
    expect(c.size).toBe(2);
  });

  test("HeaderValueCache keeps at most maxMessages messages", () => {
    const c = new HeaderValueCache(2);
    c.set(1, "subject", ["a"]);
    c.set(1, "from", ["x"]);
    c.set(2, "subject", ["b"]);
    c.set(3, "subject", ["c"]);
    expect(c.of(1)).toBeUndefined();
    expect(c.of(3)?.get("subject")).toEqual(["c"]);
    expect(c.size).toBe(2);
  });

  test("perDatabase gives each database its own value; messageKey is exact and distinct", () => {
    const get = perDatabase(() => new Map<number, string>());
    const a = {};
    const b = {};
    get(a).set(messageKey(1, 1), "from a");
    expect(get(b).get(messageKey(1, 1))).toBeUndefined();
    expect(get(a).get(messageKey(1, 1))).toBe("from a");
    expect(messageKey(1, 4_294_967_295)).not.toBe(messageKey(2, 0));
    expect(messageKey(1_000_000, 4_294_967_295) - 1_000_000 * 4_294_967_296).toBe(4_294_967_295);
  });
});

describe("header field ranges", () => {
  const samples = [
    "Subject: hello\r\nFrom: a@b\r\n\r\nbody",
    "Subject:  folded\r\n  line\r\n\tagain\r\nX-Empty:\r\nTo : spaced@name\r\n\r\n",
    "From nobody\r\nSubject: after an mbox line\r\nbad line without colon\r\n: no name\r\nK\u00e9y: 8-bit name\r\n\r\n",
    "\tleading continuation\r\nSubject: =?utf-8?q?caf=C3=A9?=\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nLF only",
    "Subject: caf\u00e9 in UTF-8\r\nX-Long: " + "y".repeat(3000) + "\r\n\r\n",
    "No-Body: at all",
  ];
  test.each(samples.map((s, i) => [i, s]))("sample %d: the same fields, ranges and values as headerFields()", (_i, text) => {
    const raw = enc.encode(text as string);
    const blank = (text as string).search(/\r?\n\r?\n/);
    const part = { headerStart: 0, headerEnd: blank < 0 ? raw.length : enc.encode((text as string).slice(0, blank)).length };
    for (const cap of [undefined, 20, 64]) {
      const want = headerFields(raw, part as never, cap);
      const got = fieldRanges(raw, part, cap);
      expect(got.map((f) => [f.name, f.start, f.end, fieldValue(raw, f)])).toEqual(want.map((f) => [f.name.toLowerCase(), f.start, f.end, f.value]));
    }
  });
});
