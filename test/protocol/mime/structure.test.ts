// Table tests of the MIME structure walk: header/body split, defaults, Content-* fields and
// encapsulated messages — each run with CRLF and bare-LF line ends, offsets checked by slicing.

import { describe, expect, test } from "bun:test";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import { body, checkInvariants, EOLS, header, msg, slice } from "./helpers.ts";

for (const eol of EOLS) {
  const name = eol === "\r\n" ? "CRLF" : "LF";
  const parse = (lines: string[]) => {
    const raw = msg(lines, eol);
    const parsed = parseMime(raw);
    checkInvariants(raw, parsed);
    return { raw, parsed, root: parsed.root };
  };

  describe(`structure (${name})`, () => {
    test("simple message: header fields, blank line, body", () => {
      const { raw, root } = parse(["From: a@b.example", "Subject: hi", "", "hello", "world"]);
      expect(header(raw, root)).toBe(`From: a@b.example${eol}Subject: hi${eol}`);
      expect(slice(raw, root.headerStart, root.bodyStart)).toBe(`From: a@b.example${eol}Subject: hi${eol}${eol}`);
      expect(body(raw, root)).toBe(`hello${eol}world`);
      expect(root.contentType).toEqual({ type: "text", subtype: "plain", params: { charset: "us-ascii" } });
      expect(root.encoding).toBe("7bit");
      expect(root.lines).toBe(2);
      expect(root.size).toBe(5 + eol.length + 5);
      expect(root.parts).toBeUndefined();
      expect(root.message).toBeUndefined();
    });

    test("no header at all: the message starts with the blank line", () => {
      const { raw, root } = parse(["", "just a body", ""]);
      expect(root.headerEnd).toBe(0);
      expect(root.bodyStart).toBe(eol.length);
      expect(body(raw, root)).toBe(`just a body${eol}`);
      expect(root.lines).toBe(1);
    });

    test("no blank line: everything is header, the body is empty", () => {
      const { raw, root } = parse(["Subject: only a header", "X-A: b"]);
      expect(root.headerEnd).toBe(raw.length);
      expect(root.bodyStart).toBe(raw.length);
      expect(root.size).toBe(0);
      expect(root.lines).toBe(0);
    });

    test("empty input", () => {
      const { root, parsed } = parse([]);
      expect(root.bodyEnd).toBe(0);
      expect(parsed.envelope.from).toBeNull();
      expect(parsed.truncated).toBe(false);
    });

    test("garbage and duplicate header lines: first valid field wins", () => {
      const { raw, root } = parse([
        "From mbox-line Tue Jul  1 10:52:37 2003",
        "  stray continuation",
        "not a header line",
        "Bad Name: x",
        "Content-Type: text/html; charset=utf-8",
        "Content-Type: image/png",
        ": empty name",
        "",
        "<p>x</p>",
      ]);
      expect(root.contentType).toEqual({ type: "text", subtype: "html", params: { charset: "utf-8" } });
      expect(body(raw, root)).toBe("<p>x</p>");
    });

    test("syntactically invalid Content-Type falls back to text/plain (RFC 2045 §5.2)", () => {
      for (const ct of ["garbage", "text/", "/plain", "te xt/plain", ""]) {
        const { root } = parse([`Content-Type: ${ct}`, "", "x"]);
        expect(root.contentType).toEqual({ type: "text", subtype: "plain", params: { charset: "us-ascii" } });
      }
    });

    test("message/rfc822 inside a multipart: envelope and inner offsets", () => {
      const { raw, root } = parse([
        "Content-Type: multipart/mixed; boundary=m",
        "",
        "--m",
        "Content-Type: message/rfc822",
        "",
        "From: Inner <inner@example.org>",
        "Subject: forwarded",
        "Content-Type: multipart/alternative; boundary=alt",
        "",
        "--alt",
        "",
        "text",
        "--alt--",
        "--m--",
      ]);
      const fwd = root.parts![0]!;
      expect(fwd.contentType).toEqual({ type: "message", subtype: "rfc822", params: {} });
      expect(fwd.message!.envelope.subject).toBe("forwarded");
      expect(fwd.message!.envelope.from).toEqual([{ name: "Inner", mailbox: "inner", host: "example.org" }]);
      const inner = fwd.message!.part;
      expect(slice(raw, inner.headerStart, inner.headerStart + 5)).toBe("From:");
      expect(inner.parts!.map((p) => body(raw, p))).toEqual(["text"]);
      expect(fwd.lines).toBe(8);
    });

    test("message/global is encapsulated too; an encoded message/rfc822 is not", () => {
      const g = parse(["Content-Type: message/global", "", "Subject: g", "", "b"]).root;
      expect(g.message!.envelope.subject).toBe("g");
      const enc = parse(["Content-Type: message/rfc822", "Content-Transfer-Encoding: base64", "", "U3ViamVjdDogZwo="]).root;
      expect(enc.message).toBeUndefined();
    });

    test("multipart/digest parts default to message/rfc822 (RFC 2046 §5.1.5)", () => {
      const { root } = parse([
        "Content-Type: multipart/digest; boundary=d",
        "",
        "--d",
        "",
        "Subject: first",
        "",
        "one",
        "--d",
        "Content-Type: text/plain",
        "",
        "not a message",
        "--d--",
      ]);
      const [a, b] = root.parts!;
      expect(a!.contentType).toEqual({ type: "message", subtype: "rfc822", params: {} });
      expect(a!.message!.envelope.subject).toBe("first");
      expect(b!.contentType.type).toBe("text");
      expect(b!.message).toBeUndefined();
    });

    test("Content-* fields of a part", () => {
      const { root } = parse([
        "Content-Type: image/PNG; name=logo.png",
        "Content-ID: <logo@x>",
        "Content-Description: The logo",
        "Content-Transfer-Encoding: BASE64 (comment)",
        "Content-Disposition: INLINE; filename=logo.png",
        "Content-Language: en, fr (French)",
        "Content-Location: http://example.com/",
        "  logo.png",
        "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
        "",
        "iVBORw0=",
      ]);
      expect(root).toMatchObject({
        contentType: { type: "image", subtype: "png", params: { name: "logo.png" } },
        id: "<logo@x>",
        description: "The logo",
        encoding: "base64",
        disposition: { value: "inline", params: { filename: "logo.png" } },
        language: ["en", "fr"],
        location: "http://example.com/logo.png",
        md5: "Q2hlY2sgSW50ZWdyaXR5IQ==",
      });
    });
  });
}

describe("structure (mixed and unusual line ends)", () => {
  test("CRLF header with LF body and a bare-LF delimiter", () => {
    const raw = new TextEncoder().encode("Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\n\nlf body\r\n--q--\n");
    const { root } = parseMime(raw);
    expect(root.parts!.map((p) => body(raw, p))).toEqual(["lf body"]);
  });

  test("8-bit headers are UTF-8 (RFC 6532); invalid UTF-8 reads as windows-1252", () => {
    const utf8 = new TextEncoder().encode("Subject: Grüße\r\nContent-Type: text/plain; name=\"résumé.txt\"\r\n\r\nx");
    const p = parseMime(utf8);
    expect(p.subject).toBe("Grüße");
    expect(p.envelope.subject).toBe("Grüße");
    expect(p.root.contentType.params.name).toBe("résumé.txt");
    const latin = new Uint8Array([...new TextEncoder().encode("Subject: caf"), 0xe9, 0x0d, 0x0a, 0x0d, 0x0a]);
    expect(parseMime(latin).subject).toBe("café");
  });
});
