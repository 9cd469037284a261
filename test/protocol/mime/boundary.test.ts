// Table tests of RFC 2046 §5.1.1 multipart bodies: delimiters at line start, preamble and
// epilogue, transport padding, prefix boundaries, nesting and a missing close-delimiter.

import { describe, expect, test } from "bun:test";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import { body, checkInvariants, EOLS, header, msg } from "./helpers.ts";

for (const eol of EOLS) {
  const name = eol === "\r\n" ? "CRLF" : "LF";
  const parse = (lines: string[]) => {
    const raw = msg(lines, eol);
    const parsed = parseMime(raw);
    checkInvariants(raw, parsed);
    return { raw, parsed, root: parsed.root };
  };

  describe(`multipart boundaries (${name})`, () => {
    test("multipart with preamble, epilogue and exact part bodies", () => {
      const { raw, root } = parse([
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "This is the preamble.",
        "--b1",
        "Content-Type: text/plain",
        "",
        "part one",
        "",
        "--b1",
        "",
        "part two has no header",
        "--b1--",
        "This is the epilogue.",
        "--b1",
        "ignored after close",
      ]);
      expect(root.parts!.length).toBe(2);
      const [a, b] = root.parts!;
      expect(header(raw, a!)).toBe(`Content-Type: text/plain${eol}`);
      // RFC 2046 §5.1.1: the line end before a delimiter belongs to the delimiter.
      expect(body(raw, a!)).toBe(`part one${eol}`);
      expect(b!.headerStart).toBe(b!.headerEnd);
      expect(body(raw, b!)).toBe("part two has no header");
      expect(b!.contentType.subtype).toBe("plain");
    });

    test("first delimiter at the very start of the body (no preamble)", () => {
      const { raw, root } = parse(["Content-Type: multipart/mixed; boundary=x", "", "--x", "", "only", "--x--"]);
      expect(root.parts!.map((p) => body(raw, p))).toEqual(["only"]);
    });

    test("transport padding after delimiters", () => {
      const { raw, root } = parse([
        "Content-Type: multipart/mixed; boundary=pad",
        "",
        "--pad \t ",
        "",
        "a",
        "--pad\t",
        "",
        "b",
        "--pad--   ",
        "epilogue",
      ]);
      expect(root.parts!.map((p) => body(raw, p))).toEqual(["a", "b"]);
    });

    test("a line that extends the boundary is not a delimiter (prefix boundaries)", () => {
      const { raw, root } = parse([
        "Content-Type: multipart/mixed; boundary=foo",
        "",
        "--foo",
        "",
        "--foobar",
        "--foo-- trailing text",
        " --foo",
        "x--foo",
        "--foo",
        "",
        "second",
        "--foo--",
      ]);
      expect(root.parts!.length).toBe(2);
      expect(body(raw, root.parts![0]!)).toBe(["--foobar", "--foo-- trailing text", " --foo", "x--foo"].join(eol));
      expect(body(raw, root.parts![1]!)).toBe("second");
    });

    test("nested multiparts where the inner boundary extends the outer one", () => {
      const { raw, root } = parse([
        "Content-Type: multipart/mixed; boundary=x",
        "",
        "--x",
        "Content-Type: multipart/alternative; boundary=xx",
        "",
        "--xx",
        "",
        "plain",
        "--xx",
        "Content-Type: text/html",
        "",
        "<b>html</b>",
        "--xx--",
        "--x",
        "Content-Type: application/pdf",
        "Content-Transfer-Encoding: base64",
        "",
        "JVBERi0=",
        "--x--",
      ]);
      const [alt, pdf] = root.parts!;
      expect(alt!.contentType.subtype).toBe("alternative");
      expect(alt!.parts!.map((p) => [p.contentType.subtype, body(raw, p)])).toEqual([
        ["plain", "plain"],
        ["html", "<b>html</b>"],
      ]);
      expect(pdf!.encoding).toBe("base64");
      expect(body(raw, pdf!)).toBe("JVBERi0=");
    });

    test("missing close-delimiter: the last part runs to the end", () => {
      const { raw, root } = parse(["Content-Type: multipart/mixed; boundary=m", "", "--m", "", "one", "--m", "", "two", "tail"]);
      expect(root.parts!.map((p) => body(raw, p))).toEqual(["one", `two${eol}tail`]);
    });

    test("inner multipart without close-delimiter ends at the outer delimiter", () => {
      const { raw, root } = parse([
        "Content-Type: multipart/mixed; boundary=outer",
        "",
        "--outer",
        "Content-Type: multipart/related; boundary=inner",
        "",
        "--inner",
        "",
        "inner one",
        "--outer",
        "",
        "outer two",
        "--outer--",
      ]);
      expect(root.parts!.length).toBe(2);
      expect(root.parts![0]!.parts!.map((p) => body(raw, p))).toEqual(["inner one"]);
      expect(body(raw, root.parts![1]!)).toBe("outer two");
    });

    test("a delimiter ending the data opens no empty part", () => {
      const { raw, root } = parse(["Content-Type: multipart/mixed; boundary=e", "", "--e", "", "x", "--e"]);
      expect(root.parts!.map((p) => body(raw, p))).toEqual(["x"]);
    });

    test("empty body part between delimiters", () => {
      const { root } = parse(["Content-Type: multipart/mixed; boundary=e", "", "--e", "--e", "", "y", "--e--"]);
      expect(root.parts!.length).toBe(2);
      expect(root.parts![0]!.size).toBe(0);
    });

    test("multipart without boundary, or whose boundary never occurs, has no parts", () => {
      expect(parse(["Content-Type: multipart/mixed", "", "--x", "", "a"]).root.parts).toEqual([]);
      expect(parse(["Content-Type: multipart/mixed; boundary=zz", "", "--x", "", "a"]).root.parts).toEqual([]);
    });

    test("quoted boundary with spaces and =? is used verbatim", () => {
      const { raw, root } = parse(['Content-Type: multipart/mixed; boundary="=?a b?="', "", "--=?a b?=", "", "q", "--=?a b?=--"]);
      expect(root.contentType.params.boundary).toBe("=?a b?=");
      expect(root.parts!.map((p) => body(raw, p))).toEqual(["q"]);
    });
  });
}
