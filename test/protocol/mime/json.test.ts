// The stored form: a parse result survives a JSON round trip unchanged; and fuzzing (every
// prefix of a message, seeded random mutations) never throws and keeps offsets consistent.

import { describe, expect, test } from "bun:test";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import { checkInvariants, msg, prng } from "./helpers.ts";

const SAMPLE = msg([
  "From: =?utf-8?B?w4lsaXNl?= <elise@example.com>",
  "To: Team: a@x.example, \"B, b\" <b@y.example>;",
  "Subject: =?iso-8859-1?Q?r=E9sum=E9?=",
  "Date: Tue, 1 Jul 2003 10:52:37 +0200",
  "Message-ID: <sample@example.com>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "preamble",
  "--outer",
  "Content-Type: multipart/alternative; boundary=alt",
  "",
  "--alt",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "caf=C3=A9",
  "--alt",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>café</p>",
  "--alt--",
  "--outer",
  "Content-Type: application/pdf; name*0*=utf-8''%C3%A9; name*1=.pdf",
  "Content-Disposition: attachment; filename*=utf-8''%C3%A9.pdf; __proto__=x",
  "Content-Language: fr",
  "Content-Transfer-Encoding: base64",
  "",
  "JVBERi0xLjQK",
  "--outer",
  "Content-Type: message/rfc822",
  "",
  "From: inner@example.org",
  "Subject: inner",
  "",
  "inner body",
  "--outer--",
  "epilogue",
]);

function hasUndefined(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.some(hasUndefined);
  if (v !== null && typeof v === "object") return Object.values(v).some(hasUndefined);
  return false;
}

describe("JSON round trip", () => {
  test("a rich message serialises and parses back equal", () => {
    const parsed = parseMime(SAMPLE);
    expect(parsed.root.parts!.length).toBe(3);
    expect(hasUndefined(parsed)).toBe(false);
    const json = JSON.stringify(parsed);
    const back = JSON.parse(json);
    expect(back).toEqual(parsed);
    expect(JSON.stringify(back)).toBe(json);
    expect(back.root.parts[1].disposition.params.__proto__).toBe("x");
  });
});

describe("fuzz", () => {
  test("every prefix of a message parses with consistent offsets", () => {
    for (let n = 0; n <= SAMPLE.length; n++) {
      const raw = SAMPLE.subarray(0, n);
      const parsed = parseMime(raw);
      checkInvariants(raw, parsed);
      expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
    }
  });

  test("seeded random mutations never throw", () => {
    const rand = prng(0x4d494d45);
    const pick = (n: number) => Math.floor(rand() * n);
    const snippets = ["\r\n", "\n", "--outer", "--alt--", "--", ":", ";", '"', "(", "=?utf-8?B?", "\r\n\r\n", "Content-Type: multipart/mixed; boundary=z\r\n", "--z\r\n", "\u00ff"].map((s) =>
      new TextEncoder().encode(s),
    );
    for (let round = 0; round < 400; round++) {
      let raw = Uint8Array.from(SAMPLE);
      for (let k = 1 + pick(6); k > 0; k--) {
        const at = pick(raw.length + 1);
        const op = pick(4);
        if (op === 0) {
          raw = Uint8Array.from([...raw.subarray(0, at), ...snippets[pick(snippets.length)]!, ...raw.subarray(at)]);
        } else if (op === 1) {
          raw = Uint8Array.from([...raw.subarray(0, at), ...raw.subarray(Math.min(raw.length, at + 1 + pick(40)))]);
        } else if (op === 2 && at < raw.length) {
          raw[at] = pick(256);
        } else {
          const from = pick(raw.length + 1);
          raw = Uint8Array.from([...raw.subarray(0, at), ...raw.subarray(from, from + pick(80)), ...raw.subarray(at)]);
        }
      }
      const parsed = parseMime(raw, { maxDepth: 6, maxParts: 50, maxHeaderBytes: 300 });
      checkInvariants(raw, parsed);
      expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
    }
  });
});
