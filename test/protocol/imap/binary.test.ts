// BINARY[section] and BINARY.SIZE (RFC 3516, RFC 9051 §6.4.5): transfer decoding of leaf parts,
// identity passthrough, the UNKNOWN-CTE failure, and the base64/quoted-printable decoders.

import { describe, expect, test } from "bun:test";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import { binarySize, extractBinary, needsLiteral8 } from "../../../src/protocol/imap/binary.ts";
import { decodeBase64, decodeQuotedPrintable, decodeTransfer } from "../../../src/protocol/imap/transfer-decode.ts";
import type { FetchSection } from "../../../src/protocol/imap/types.ts";
import { msg, text } from "./serialize-helpers.ts";

const enc = new TextEncoder();
const part = (...n: number[]): FetchSection => ({ part: n, text: null, fields: [] });

const raw = msg([
  "Content-Type: multipart/mixed; boundary=b",
  "",
  "--b",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "caf=C3=A9 =",
  "soft",
  "line  ",
  "=3D end",
  "--b",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  "",
  "SGVsbG8s",
  "IFdvcmxkIQ==",
  "--b",
  "Content-Type: text/plain",
  "",
  "plain 7bit",
  "--b",
  "Content-Type: application/x-thing",
  "Content-Transfer-Encoding: x-uuencode",
  "",
  "begin 644 x",
  "--b",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: BASE64",
  "",
  "AAEC",
  "--b--",
]);
const parsed = parseMime(raw);

describe("extractBinary", () => {
  test("quoted-printable: octets, soft breaks, trailing whitespace removed", () => {
    const r = extractBinary(raw, parsed, part(1));
    expect(r.ok && text(r.bytes)).toBe("café soft\r\nline\r\n= end");
  });
  test("base64 across lines", () => {
    const r = extractBinary(raw, parsed, part(2));
    expect(r.ok && text(r.bytes)).toBe("Hello, World!");
  });
  test("identity encoding is the part body as stored", () => {
    const r = extractBinary(raw, parsed, part(3));
    expect(r.ok && text(r.bytes)).toBe("plain 7bit");
  });
  test("unknown transfer encoding → UNKNOWN-CTE", () => {
    expect(extractBinary(raw, parsed, part(4))).toEqual({ ok: false, error: "unknown-cte", encoding: "x-uuencode" });
    expect(binarySize(raw, parsed, part(4))).toEqual({ ok: false, error: "unknown-cte", encoding: "x-uuencode" });
  });
  test("binary content with NUL needs literal8", () => {
    const r = extractBinary(raw, parsed, part(5));
    expect(r.ok && [...r.bytes]).toEqual([0, 1, 2]);
    expect(r.ok && needsLiteral8(r.bytes)).toBe(true);
    expect(needsLiteral8(enc.encode("no nul"))).toBe(false);
  });
  test("BINARY[] is the whole message", () => {
    const r = extractBinary(raw, parsed, part());
    expect(r.ok && r.bytes).toBe(raw);
  });
  test("HEADER/TEXT/MIME are not section-binary", () => {
    expect(extractBinary(raw, parsed, { part: [1], text: "MIME", fields: [] })).toEqual({ ok: false, error: "bad-section" });
    expect(binarySize(raw, parsed, { part: [], text: "TEXT", fields: [] })).toEqual({ ok: false, error: "bad-section" });
  });
  test("missing part", () => {
    expect(extractBinary(raw, parsed, part(9))).toEqual({ ok: false, error: "no-part" });
    expect(binarySize(raw, parsed, part(1, 1))).toEqual({ ok: false, error: "no-part" });
  });
});

describe("binarySize", () => {
  const cases: [number[], number][] = [
    [[1], enc.encode("café soft\r\nline\r\n= end").length],
    [[2], 13],
    [[3], 10],
    [[5], 3],
    [[], raw.length],
  ];
  for (const [p, size] of cases) {
    test(`BINARY.SIZE[${p.join(".")}]`, () => expect(binarySize(raw, parsed, part(...p))).toEqual({ ok: true, size }));
  }
});

describe("decoders", () => {
  const b64: [string, string][] = [
    ["", ""],
    ["QQ==", "A"],
    ["QUI=", "AB"],
    ["QUJD", "ABC"],
    ["QU\r\nJD\r\n", "ABC"],
    ["QQ==QkM=", "ABC"], // concatenated runs, each padded
    ["Q!U*J D", "ABC"], // junk outside the alphabet ignored
    ["QUJDR", "ABC"], // a lone 6-bit rest is dropped
    ["QUJ", "AB"], // missing padding
  ];
  for (const [input, expected] of b64) {
    test(`base64 ${JSON.stringify(input)}`, () => expect(text(decodeBase64(enc.encode(input)))).toBe(expected));
  }

  const qp: [string, string][] = [
    ["", ""],
    ["a=3Db", "a=b"],
    ["a=3db", "a=b"], // lower-case hex accepted
    ["a=ZZb", "a=ZZb"], // malformed escape kept
    ["a=\r\nb", "ab"],
    ["a=  \r\nb", "ab"], // whitespace after the soft break's "=" is padding
    ["a  =\r\nb", "a  b"], // whitespace before it is data
    ["a \t\r\nb", "a\r\nb"],
    ["a\nb=\nc", "a\nbc"], // LF-only
    ["end=", "end"],
    ["x=4", "x=4"], // truncated escape at the end
    ["=C3=A9t=C3=A9", "été"],
  ];
  for (const [input, expected] of qp) {
    test(`quoted-printable ${JSON.stringify(input)}`, () => expect(text(decodeQuotedPrintable(enc.encode(input)))).toBe(expected));
  }

  test("decodeTransfer names the encoding it cannot undo", () => {
    expect(decodeTransfer(enc.encode("x"), "x-gzip")).toEqual({ ok: false, encoding: "x-gzip" });
    const id = enc.encode("same");
    expect(decodeTransfer(id, "8bit")).toEqual({ ok: true, bytes: id });
  });
});
