// RFC 6152 §3 conversion to 7-bit MIME, checked by parsing the result back with our MIME
// parser and decoding each converted body to the original octets.

import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import { base64Lines, downgradeTo7bit, quotedPrintable } from "../../src/delivery/downgrade.ts";
import { scanFields } from "../../src/protocol/mime/header.ts";
import { parseMime } from "../../src/protocol/mime/parse.ts";
import type { MimePart } from "../../src/protocol/mime/types.ts";
import { prng } from "../protocol/mime/helpers.ts";

const enc = new TextEncoder();
const m = (s: string) => enc.encode(s);
const latin1 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("latin1");

/** RFC 2045 §6.7 decoding, strict enough for what we produce. */
function decodeQp(s: string): Uint8Array {
  const joined = s.replace(/=\r?\n/g, "");
  const out: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    if (joined[i] === "=") {
      out.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(joined.charCodeAt(i));
  }
  return new Uint8Array(out);
}

function ok(raw: Uint8Array) {
  const r = downgradeTo7bit(raw);
  if (!r.ok) throw new Error(r.reason);
  for (const byte of r.message) expect(byte < 0x80).toBe(true);
  const parsed = parseMime(r.message);
  return { out: r.message, changed: r.changed, parsed, root: parsed.root };
}
const body = (raw: Uint8Array, p: MimePart) => raw.subarray(p.bodyStart, p.bodyEnd);
const cteFields = (raw: Uint8Array, p: MimePart) =>
  scanFields(raw, p.headerStart, p.headerEnd, 1 << 20).fields.filter((f) => f.name.toLowerCase() === "content-transfer-encoding");

describe("downgradeTo7bit", () => {
  test("a 7-bit message is returned as is", () => {
    const raw = m("Subject: x\r\n\r\nplain ascii\r\n");
    const r = downgradeTo7bit(raw);
    expect(r).toEqual({ ok: true, message: raw, changed: false });
    if (r.ok) expect(r.message).toBe(raw);
  });

  test("8-bit text/plain becomes quoted-printable and decodes to the same octets", () => {
    const text = "Grüße aus Köln = 100 %\r\nzweite Zeile \r\n";
    const { out, root, changed } = ok(m(`MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}`));
    expect(changed).toBe(true);
    expect(root.encoding).toBe("quoted-printable");
    expect(cteFields(out, root).length).toBe(1);
    expect(decodeQp(latin1(body(out, root)))).toEqual(m(text));
    expect(latin1(body(out, root))).toContain("=3D 100 %");
    expect(latin1(body(out, root))).toContain("zweite Zeile=20\r\n");
  });

  test("non-text 8-bit bodies become base64", () => {
    const bin = new Uint8Array(300).map((_, i) => (i * 37) & 0xff).filter((b) => b !== 0x0a && b !== 0x0d);
    const raw = new Uint8Array([...m("MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n\r\n"), ...bin]);
    const { out, root } = ok(raw);
    expect(root.encoding).toBe("base64");
    const b64 = latin1(body(out, root));
    for (const line of b64.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
    expect(new Uint8Array(Buffer.from(b64.replace(/\r\n/g, ""), "base64"))).toEqual(bin);
  });

  test("a message without MIME-Version gets one with the new encoding", () => {
    const { out, root } = ok(m("Subject: x\r\n\r\ncafé\r\n"));
    const names = scanFields(out, root.headerStart, root.headerEnd, 1 << 20).fields.map((f) => f.name);
    expect(names).toEqual(["Subject", "MIME-Version", "Content-Transfer-Encoding"]);
    expect(root.encoding).toBe("quoted-printable");
  });

  test("multipart: only the 8-bit leaf changes; the container is relabelled 7bit", () => {
    const seven = "Content-Type: text/plain\r\n\r\nascii only\r\n";
    const raw = m(
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
        `--XX\r\n${seven}--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nnaïve\r\n--XX\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XX--\r\n`,
    );
    const { out, root } = ok(raw);
    expect(root.encoding).toBe("7bit");
    const [a, b, c] = root.parts!;
    expect(latin1(out.subarray(a!.headerStart, a!.bodyEnd))).toBe(seven.slice(0, -2));
    expect(a!.encoding).toBe("7bit");
    expect(b!.encoding).toBe("quoted-printable");
    expect(decodeQp(latin1(body(out, b!)))).toEqual(m("naïve"));
    expect(c!.encoding).toBe("base64");
    expect(new Uint8Array(Buffer.from(latin1(body(out, c!)), "base64"))).toEqual(m("\x89PNG"));
  });

  test("8-bit octets in the preamble and epilogue are replaced", () => {
    const raw = m("Content-Type: multipart/mixed; boundary=Q\r\n\r\npréambule\r\n--Q\r\n\r\nx\r\n--Q--\r\népilogue\r\n");
    const { out, root } = ok(raw);
    expect(latin1(out)).toContain("pr??ambule");
    expect(root.parts!.length).toBe(1);
  });

  test("message/rfc822 with an 8-bit body inside is converted inside", () => {
    const raw = m(
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
        "Subject: inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nçà\r\n--Z--\r\n",
    );
    const { out, root } = ok(raw);
    const msg = root.parts![0]!;
    expect(msg.encoding).toBe("7bit");
    const inner = msg.message!.part;
    expect(inner.encoding).toBe("quoted-printable");
    expect(decodeQp(latin1(body(out, inner)))).toEqual(m("çà"));
    expect(msg.message!.envelope.subject).toBe("inner");
  });

  test("message/global with UTF-8 headers may be base64-encoded (RFC 6532 §3.7)", () => {
    const inner = "Subject: 日本語\r\n\r\n本文\r\n";
    const raw = m(`Content-Type: multipart/mixed; boundary=G\r\n\r\n--G\r\nContent-Type: message/global\r\n\r\n${inner}--G--\r\n`);
    const { out, root } = ok(raw);
    const g = root.parts![0]!;
    expect(g.encoding).toBe("base64");
    expect(Buffer.from(latin1(body(out, g)), "base64").toString("utf8")).toBe(inner.slice(0, -2));
  });

  test("LF-only messages get LF-only added lines", () => {
    const { out } = ok(m("Subject: x\n\ncafé\n"));
    expect(latin1(out)).toBe("Subject: x\nMIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n");
  });

  const refusals: [string, string, RegExp][] = [
    ["8-bit header", "Subject: café\r\n\r\nx\r\n", /SMTPUTF8/],
    ["8-bit header in a body part", "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Disposition: attachment; filename=\"é.txt\"\r\n\r\né\r\n--B--\r\n", /SMTPUTF8/],
    ["8-bit header inside message/rfc822", "Content-Type: message/rfc822\r\n\r\nSubject: é\r\n\r\nx\r\n", /SMTPUTF8/],
    ["8-bit octets in a base64 body", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nYWJj\xe9\r\n", /labelled base64/],
    ["8-bit octets in message/partial", "Content-Type: message/partial; id=1; number=1\r\n\r\n\xe9\r\n", /message\/partial/],
    ["multipart without its boundary", "Content-Type: multipart/mixed; boundary=none\r\n\r\ncafé\r\n", /multipart/],
  ];
  for (const [name, raw, reason] of refusals) {
    test(`refuses: ${name}`, () => {
      const r = downgradeTo7bit(m(raw));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }
});

describe("quotedPrintable (RFC 2045 §6.7)", () => {
  const table: [string, string, string][] = [
    ["equals sign", "a=b", "a=3Db"],
    ["trailing space before a break", "a \r\nb", "a=20\r\nb"],
    ["trailing tab at the end", "a\t", "a=09"],
    ["inner space kept", "a b", "a b"],
    ["bare CR", "a\rb", "a=0Db"],
    ["bare LF is a line break", "a\nb", "a\r\nb"],
    ["8-bit", "\xff", "=FF"],
  ];
  for (const [name, input, want] of table) {
    test(name, () => expect(quotedPrintable(new Uint8Array(Buffer.from(input, "latin1")))).toBe(want));
  }

  test("soft breaks keep lines within 76 characters, never splitting an escape", () => {
    const input = new Uint8Array(Buffer.from("\xe9".repeat(100) + "x".repeat(100), "latin1"));
    const qp = quotedPrintable(input);
    for (const line of qp.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
    expect(decodeQp(qp)).toEqual(input);
  });

  test("random bodies round-trip", () => {
    const rnd = prng(7);
    for (let k = 0; k < 300; k++) {
      const len = Math.floor(rnd() * 200);
      const bytes = new Uint8Array(len);
      for (let i = 0; i < len; i++) {
        const r = rnd();
        bytes[i] = r < 0.05 ? 0x0d : r < 0.1 ? 0x0a : r < 0.2 ? 0x20 : r < 0.3 ? 0x3d : Math.floor(rnd() * 256);
      }
      const qp = quotedPrintable(bytes);
      for (const line of qp.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
      expect(/[^\t\x20-\x7e\r\n]/.test(qp)).toBe(false);
      // Line breaks are canonical CRLF (RFC 2045 §6.7 rule 4): bare LF and CRLF both decode to CRLF.
      const canon = latin1(bytes).replace(/\r\n|\n/g, "\r\n");
      expect(latin1(decodeQp(qp))).toBe(canon);
    }
  });
});

test("base64Lines wraps at 76", () => {
  const lines = base64Lines(new Uint8Array(200)).split("\r\n");
  expect(lines.slice(0, -1).every((l) => l.length === 76)).toBe(true);
});
