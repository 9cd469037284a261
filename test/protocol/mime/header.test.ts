// Tests of header field extraction: unfolding, garbage lines, raw byte ranges per field,
// and the header byte cap (a field cut by the cap is dropped, never half-returned).

import { describe, expect, test } from "bun:test";
import { headerFields, scanFields } from "../../../src/protocol/mime/header.ts";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import { EOLS, msg, slice } from "./helpers.ts";

describe("headerFields", () => {
  for (const eol of EOLS) {
    test(`unfolds and keeps raw ranges (${eol === "\n" ? "LF" : "CRLF"})`, () => {
      const raw = msg(
        [
          "Subject: a long",
          "\tfolded  subject   ",
          "X-Empty:",
          "X-Spaced : value",
          "garbage line",
          "To: x@y.example,",
          "  z@w.example",
          "",
          "body: not a header",
        ],
        eol,
      );
      const { root } = parseMime(raw);
      const fields = headerFields(raw, root);
      expect(fields.map(({ name, value }) => ({ name, value }))).toEqual([
        { name: "Subject", value: "a long\tfolded  subject" },
        { name: "X-Empty", value: "" },
        { name: "X-Spaced", value: "value" },
        { name: "To", value: "x@y.example,  z@w.example" },
      ]);
      // BODY[HEADER.FIELDS] returns the original bytes of each field, line ends included.
      expect(slice(raw, fields[0]!.start, fields[0]!.end)).toBe(`Subject: a long${eol}\tfolded  subject   ${eol}`);
      expect(slice(raw, fields[3]!.start, fields[3]!.end)).toBe(`To: x@y.example,${eol}  z@w.example${eol}`);
    });
  }

  test("field names are printable US-ASCII without colon (RFC 5322 §3.6.8)", () => {
    const raw = msg(["Bad Name: 1", "Ok-Name: 2", "\u00e9t\u00e9: 3", "", ""]);
    const names = headerFields(raw, parseMime(raw).root).map((f) => f.name);
    expect(names).toEqual(["Ok-Name"]);
  });

  test("last field without a line end", () => {
    const raw = msg(["A: 1", "B: 2"]);
    expect(headerFields(raw, parseMime(raw).root).map((f) => f.value)).toEqual(["1", "2"]);
  });

  test("the cap drops a field cut in the middle, including its continuation lines", () => {
    const raw = msg(["A: 1", "B: 2", "  more of b", "C: 3", "", "x"]);
    // Cap inside "B"'s continuation: A survives, B does not.
    const cut = scanFields(raw, 0, raw.length, 14);
    expect(cut.fields.map((f) => f.name)).toEqual(["A"]);
    expect(cut.truncated).toBe(true);
    // Cap exactly after B's continuation: A and B complete, C unread.
    const atB = scanFields(raw, 0, raw.length, "A: 1\r\nB: 2\r\n  more of b\r\n".length);
    expect(atB.fields.map((f) => f.name)).toEqual(["A", "B"]);
    expect(atB.truncated).toBe(true);
    // Cap right after "B: 2\r\n" where a continuation follows: B is dropped.
    const beforeCont = scanFields(raw, 0, raw.length, "A: 1\r\nB: 2\r\n".length);
    expect(beforeCont.fields.map((f) => f.name)).toEqual(["A"]);
  });

  test("a header block over maxHeaderBytes sets truncated and keeps the offsets exact", () => {
    const big = "X-Big: " + "a".repeat(5000);
    const raw = msg(["Subject: kept", big, "Content-Type: text/html", "", "body"]);
    const p = parseMime(raw, { maxDepth: 4, maxParts: 10, maxHeaderBytes: 1024 });
    expect(p.truncated).toBe(true);
    expect(p.subject).toBe("kept");
    // Content-Type lies past the cap, so the default applies; the body split is still exact.
    expect(p.root.contentType.subtype).toBe("plain");
    expect(slice(raw, p.root.bodyStart, p.root.bodyEnd)).toBe("body");
  });
});
