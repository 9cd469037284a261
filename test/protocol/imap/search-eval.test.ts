// SEARCH evaluation (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 7162, RFC 5182) against a realistic
// message: flags, decoded headers and bodies, dates without time/zone, sets, and lazy loading.

import { describe, expect, test } from "bun:test";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import { evaluate, needsBody, needsHeaders } from "../../../src/protocol/imap/search-eval.ts";
import type { MessageMeta, SearchContext, SearchMessage } from "../../../src/protocol/imap/search-eval.ts";
import { calendarDate, searchContent } from "../../../src/protocol/imap/search-text.ts";
import type { SearchKey } from "../../../src/protocol/imap/types.ts";
import { msg } from "./serialize-helpers.ts";

const raw = msg([
  "Date: Mon, 1 Jan 2024 23:30:00 -0500",
  "From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.de>",
  "To: Team: alice@example.com, bob@example.com;",
  "Cc: carol@example.org",
  "Subject: =?UTF-8?B?R3LDvMOfZQ==?= from the office",
  "X-Priority: 1",
  "X-Empty:",
  "Content-Type: multipart/mixed; boundary=b",
  "",
  "--b",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Gr=C3=BC=C3=9Fe aus K=C3=B6ln, lange =",
  "Zeile.",
  "--b",
  "Content-Type: text/plain; charset=iso-8859-1",
  "Content-Transfer-Encoding: base64",
  "",
  "Q2jidGVhdSBkJ1lxdWVt", // "Château d'Yquem" in ISO-8859-1
  "--b",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  "",
  "c2VjcmV0YmluYXJ5", // "secretbinary": not text, not searched
  "--b",
  "Content-Type: message/rfc822",
  "",
  "Subject: Nested memo",
  "",
  "nested needle",
  "--b--",
]);

const meta: MessageMeta = {
  seq: 3,
  uid: 42,
  flags: ["\\Seen", "\\Flagged", "$Label1"],
  internalDate: Date.UTC(2024, 0, 2, 1, 0, 0),
  size: 5000,
  modseq: 17n,
  recent: false,
};

function message(m: Partial<MessageMeta> = {}, counter?: { raw: number; parsed: number }): SearchMessage {
  const content = searchContent({
    raw: () => {
      if (counter) counter.raw++;
      return raw;
    },
    parsed: () => {
      if (counter) counter.parsed++;
      return parseMime(raw);
    },
  });
  return { ...meta, ...m, ...content };
}

const ctx: SearchContext = { maxSeq: 10, maxUid: 100, saved: new Set([42, 7]) };
const m = message();

const set = (...ranges: [number, number][]) => ({ kind: "set", ranges }) as const;

describe("evaluate", () => {
  const cases: [string, SearchKey, boolean][] = [
    ["ALL", { kind: "all" }, true],
    ["SEEN", { kind: "seen" }, true],
    ["UNSEEN", { kind: "unseen" }, false],
    ["FLAGGED", { kind: "flagged" }, true],
    ["ANSWERED", { kind: "answered" }, false],
    ["UNANSWERED", { kind: "unanswered" }, true],
    ["DELETED", { kind: "deleted" }, false],
    ["UNDELETED", { kind: "undeleted" }, true],
    ["DRAFT", { kind: "draft" }, false],
    ["UNDRAFT", { kind: "undraft" }, true],
    ["UNFLAGGED", { kind: "unflagged" }, false],
    ["RECENT", { kind: "recent" }, false],
    ["OLD", { kind: "old" }, true],
    ["NEW", { kind: "new" }, false],
    ["KEYWORD, case-insensitive", { kind: "keyword", flag: "$label1" }, true],
    ["UNKEYWORD", { kind: "unkeyword", flag: "$Junk" }, true],
    ["FROM decoded name", { kind: "from", value: "jörg müller" }, true],
    ["FROM address", { kind: "from", value: "JOERG@EXAMPLE" }, true],
    ["TO inside a group", { kind: "to", value: "bob@" }, true],
    ["CC", { kind: "cc", value: "carol" }, true],
    ["BCC absent", { kind: "bcc", value: "" }, false],
    ["SUBJECT decoded", { kind: "subject", value: "grüße FROM" }, true],
    ["SUBJECT not the raw encoded word", { kind: "subject", value: "R3LDvMOfZQ" }, false],
    ["HEADER value", { kind: "header", field: "x-priority", value: "1" }, true],
    ["HEADER empty value matches presence", { kind: "header", field: "X-EMPTY", value: "" }, true],
    ["HEADER absent field", { kind: "header", field: "X-Missing", value: "" }, false],
    ["BODY quoted-printable decoded, soft break joined", { kind: "body", value: "köln, lange zeile" }, true],
    ["BODY base64 latin-1 decoded", { kind: "body", value: "château" }, true],
    ["BODY skips non-text parts", { kind: "body", value: "secretbinary" }, false],
    ["BODY includes an attached message", { kind: "body", value: "NESTED NEEDLE" }, true],
    ["BODY includes an attached message's header", { kind: "body", value: "nested memo" }, true],
    ["BODY excludes the top-level header", { kind: "body", value: "carol@" }, false],
    ["TEXT covers the header", { kind: "text", value: "carol@" }, true],
    ["TEXT covers the body", { kind: "text", value: "grüße aus" }, true],
    ["TEXT miss", { kind: "text", value: "nowhere" }, false],
    // Internal date 2024-01-02 01:00 UTC.
    ["BEFORE same day", { kind: "before", date: "2024-01-02" }, false],
    ["BEFORE next day", { kind: "before", date: "2024-01-03" }, true],
    ["ON", { kind: "on", date: "2024-01-02" }, true],
    ["ON other day", { kind: "on", date: "2024-01-01" }, false],
    ["SINCE same day", { kind: "since", date: "2024-01-02" }, true],
    ["SINCE next day", { kind: "since", date: "2024-01-03" }, false],
    // Date header "1 Jan 2024 23:30 -0500" (2 Jan in UTC): its own calendar date counts.
    ["SENTON written date", { kind: "senton", date: "2024-01-01" }, true],
    ["SENTON not the UTC date", { kind: "senton", date: "2024-01-02" }, false],
    ["SENTBEFORE", { kind: "sentbefore", date: "2024-01-02" }, true],
    ["SENTSINCE", { kind: "sentsince", date: "2024-01-02" }, false],
    ["LARGER", { kind: "larger", size: 4999 }, true],
    ["LARGER equal", { kind: "larger", size: 5000 }, false],
    ["SMALLER", { kind: "smaller", size: 5001 }, true],
    ["SMALLER equal", { kind: "smaller", size: 5000 }, false],
    ["seq 3", { kind: "seq", set: set([3, 3]) }, true],
    ["seq 1:2,4:*", { kind: "seq", set: set([1, 2], [4, Infinity]) }, false],
    ["seq *:2 (reversed)", { kind: "seq", set: set([Infinity, 2]) }, true],
    ["UID 40:50", { kind: "uid", set: set([40, 50]) }, true],
    ["UID 50:40", { kind: "uid", set: set([50, 40]) }, true],
    ["UID 43:*", { kind: "uid", set: set([43, Infinity]) }, false],
    ["UID $ (saved)", { kind: "uid", set: { kind: "saved" } }, true],
    ["seq $ (saved)", { kind: "seq", set: { kind: "saved" } }, true],
    ["NOT", { kind: "not", key: { kind: "seen" } }, false],
    ["OR", { kind: "or", a: { kind: "deleted" }, b: { kind: "flagged" } }, true],
    ["AND", { kind: "and", keys: [{ kind: "seen" }, { kind: "subject", value: "office" }] }, true],
    ["AND with a miss", { kind: "and", keys: [{ kind: "seen" }, { kind: "draft" }] }, false],
    ["AND of nothing", { kind: "and", keys: [] }, true],
    ["MODSEQ lower", { kind: "modseq", modseq: 17, entry: null }, true],
    ["MODSEQ higher", { kind: "modseq", modseq: 18n, entry: { name: "/flags/\\draft", type: "all" } }, false],
  ];
  for (const [name, key, expected] of cases) test(name, () => expect(evaluate(key, m, ctx)).toBe(expected));

  test("UID n:* includes the highest UID even when n is above it (RFC 9051 §9 seq-range)", () => {
    const top = message({ uid: 100 });
    expect(evaluate({ kind: "uid", set: set([500, Infinity]) }, top, ctx)).toBe(true);
  });

  test("no saved result: $ is empty", () => {
    expect(evaluate({ kind: "uid", set: { kind: "saved" } }, m, { ...ctx, saved: null })).toBe(false);
  });

  test("NEW is RECENT and UNSEEN", () => {
    const fresh = message({ recent: true, flags: [] });
    expect(evaluate({ kind: "new" }, fresh, ctx)).toBe(true);
    expect(evaluate({ kind: "old" }, fresh, ctx)).toBe(false);
  });

  test("internal dates compare in the configured zone", () => {
    // 01:00 UTC on 2 Jan is still 1 Jan at -0500.
    expect(evaluate({ kind: "on", date: "2024-01-01" }, m, { ...ctx, tzOffsetMinutes: -300 })).toBe(true);
  });

  test("no Date header: SENT* never match", () => {
    const bare = msg(["Subject: x", "", "y"]);
    const c = searchContent({ raw: () => bare, parsed: () => parseMime(bare) });
    const b = { ...meta, ...c };
    expect(evaluate({ kind: "sentsince", date: "1970-01-01" }, b, ctx)).toBe(false);
    expect(evaluate({ kind: "sentbefore", date: "2999-01-01" }, b, ctx)).toBe(false);
  });
});

describe("lazy loading", () => {
  test("flag and set keys load nothing", () => {
    const counter = { raw: 0, parsed: 0 };
    const lazy = message({}, counter);
    const key: SearchKey = { kind: "and", keys: [{ kind: "seen" }, { kind: "uid", set: set([1, 50]) }, { kind: "larger", size: 1 }] };
    expect(evaluate(key, lazy, ctx)).toBe(true);
    expect(counter).toEqual({ raw: 0, parsed: 0 });
  });

  test("sources are loaded once however many keys use them", () => {
    const counter = { raw: 0, parsed: 0 };
    const lazy = message({}, counter);
    const key: SearchKey = {
      kind: "or",
      a: { kind: "body", value: "nothing-here" },
      b: { kind: "and", keys: [{ kind: "text", value: "zzz" }, { kind: "subject", value: "x" }] },
    };
    expect(evaluate(key, lazy, ctx)).toBe(false);
    expect(evaluate({ kind: "from", value: "joerg" }, lazy, ctx)).toBe(true);
    expect(counter).toEqual({ raw: 1, parsed: 1 });
  });

  const needs: [SearchKey, boolean, boolean][] = [
    [{ kind: "seen" }, false, false],
    [{ kind: "body", value: "x" }, true, false],
    [{ kind: "text", value: "x" }, true, true],
    [{ kind: "subject", value: "x" }, false, true],
    [{ kind: "senton", date: "2024-01-01" }, false, true],
    [{ kind: "on", date: "2024-01-01" }, false, false],
    [{ kind: "not", key: { kind: "header", field: "x", value: "" } }, false, true],
    [{ kind: "or", a: { kind: "all" }, b: { kind: "and", keys: [{ kind: "body", value: "x" }] } }, true, false],
  ];
  for (const [key, body, headers] of needs) {
    test(`needsBody/needsHeaders ${JSON.stringify(key)}`, () => {
      expect(needsBody(key)).toBe(body);
      expect(needsHeaders(key)).toBe(headers);
    });
  }
});

describe("calendarDate", () => {
  const cases: [string | null, string | null][] = [
    ["Mon, 1 Jan 2024 23:30:00 -0500", "2024-01-01"],
    ["1 Jan 2024 00:10:00 +1400", "2024-01-01"],
    ["Wed, 17 Jul 96 02:23:25 -0700 (PDT)", "1996-07-17"],
    ["17 Jul 04 02:23:25 GMT", "2004-07-17"],
    ["Thu, 31 December 2020 10:00", "2020-12-31"],
    ["garbage", null],
    [null, null],
  ];
  for (const [input, expected] of cases) {
    test(String(input), () => {
      const d = calendarDate(input);
      expect(d === null ? null : new Date(d).toISOString().slice(0, 10)).toBe(expected);
    });
  }
});
