// Modified UTF-7 tests (RFC 3501 §5.1.3): table of encodings incl. "&-", the RFC examples and
// supplementary-plane characters; malformed input refused; random round trips.
import { describe, expect, test } from "bun:test";
import { decodeMutf7, encodeMutf7 } from "../../../src/protocol/imap/mutf7.ts";

const TABLE: [string, string][] = [
  ["", ""],
  ["INBOX", "INBOX"],
  ["&", "&-"],
  ["a&b&&", "a&-b&-&-"],
  ["Entwürfe", "Entw&APw-rfe"],
  ["~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"],
  ["☺!", "&Jjo-!"],
  ["😀", "&2D3eAA-"],
  ["x😀y", "x&2D3eAA-y"],
  ["𝄞♪", "&2DTdHiZq-"],
  ["Gesendete Objekte", "Gesendete Objekte"],
  ["Ärger&Ölung", "&AMQ-rger&-&ANY-lung"],
  ["日本語", "&ZeVnLIqe-"],
  ["\t", "&AAk-"],
  ["é", "&AOk-"],
  ["ÿ", "&AP8-"],
];

describe("table", () => {
  for (const [plain, encoded] of TABLE) {
    test(`${JSON.stringify(plain)} ⇄ ${encoded}`, () => {
      expect(encodeMutf7(plain)).toBe(encoded);
      expect(decodeMutf7(encoded)).toBe(plain);
    });
  }
});

describe("malformed", () => {
  const cases: [string, string][] = [
    ["&", "unterminated shift"],
    ["&AGE", "unterminated shift"],
    ["&A-", "six leftover bits"],
    ["&AAAA-", "24 bits: one unit and 8 leftover bits"],
    ["&AGF-", "non-zero padding bits"],
    ["&AGE/-", "'/' is not modified BASE64"],
    ["&AG=-", "padding is not allowed"],
    ["&AEE-", "printable ASCII encoded"],
    ["&ACY-", "'&' encoded instead of &-"],
    ["&AOk-&AOk-", "two shift sequences back to back"],
    ["&2D0-", "lone high surrogate"],
    ["&3gA-", "lone low surrogate"],
    ["&2D3YPQ-", "high surrogate followed by high surrogate"],
    ["ü", "raw 8-bit"],
    ["a\u007fb", "DEL"],
    ["a\tb", "raw control character"],
    ["&&-", "'&' inside a shift"],
  ];
  for (const [input, why] of cases) test(`${JSON.stringify(input)}: ${why}`, () => expect(decodeMutf7(input)).toBeNull());
  test("shift sequences separated by ASCII are fine", () => {
    expect(decodeMutf7("&AOk-x&AOk-")).toBe("éxé");
  });
});

describe("round trips", () => {
  test("random strings over BMP and astral characters", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 4294967296;
    };
    for (let i = 0; i < 2000; i++) {
      let s = "";
      const n = Math.floor(rand() * 12);
      for (let k = 0; k < n; k++) {
        const r = rand();
        const cp = r < 0.4 ? 0x20 + Math.floor(rand() * 95) : r < 0.5 ? 0x26 : r < 0.8 ? 0xa0 + Math.floor(rand() * 0xd000) : 0x10000 + Math.floor(rand() * 0xfffff);
        s += String.fromCodePoint(cp >= 0xd800 && cp <= 0xdfff ? 0xe000 : cp);
      }
      const enc = encodeMutf7(s);
      expect(/^[\x20-\x7e]*$/.test(enc)).toBe(true);
      expect(decodeMutf7(enc)).toBe(s);
    }
  });
});
