// BODY and BODYSTRUCTURE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) from parseMime's stored tree,
// against strings written by hand from the RFC grammar (sizes counted in the fixtures' comments).

import { describe, expect, test } from "bun:test";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import { writeBody } from "../../../src/protocol/imap/bodystructure.ts";
import { filler, msg, render } from "./serialize-helpers.ts";

type Opts = { utf8?: boolean; rev2?: boolean };

function body(raw: Uint8Array, o: Opts = {}): string {
  const parsed = parseMime(raw);
  return render((w) => writeBody(w, parsed.root, { extensible: false, rev2: o.rev2 ?? false }), o.utf8 ?? false);
}

function bodystructure(raw: Uint8Array, o: Opts = {}): string {
  const parsed = parseMime(raw);
  return render((w) => writeBody(w, parsed.root, { extensible: true, rev2: o.rev2 ?? false }), o.utf8 ?? false);
}

const US = '("CHARSET" "us-ascii")';

describe("RFC 3501 examples", () => {
  // §8: a single TEXT/PLAIN body of 3028 octets in 92 lines.
  const single = msg([
    "From: Terry Gray <gray@cac.washington.edu>",
    "MIME-Version: 1.0",
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII",
    "",
    ...filler(3028, 92),
    "",
  ]);
  test("§8 BODY", () => {
    expect(body(single)).toBe('("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)');
  });
  test("§8 as BODYSTRUCTURE", () => {
    expect(bodystructure(single)).toBe('("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)');
  });

  // §7.4.2: a MIXED multipart of a 1152/23 text part and a 4554/73 BASE64 "cc.diff" part.
  // Each body is its lines, all CRLF-terminated, and then the CRLF that belongs to the delimiter.
  const mixed = msg([
    "MIME-Version: 1.0",
    'Content-Type: MULTIPART/MIXED; BOUNDARY="8323328-2120168431-824156539=:325"',
    "",
    "--8323328-2120168431-824156539=:325",
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII",
    "",
    ...filler(1152, 23),
    "",
    "--8323328-2120168431-824156539=:325",
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff",
    "Content-ID: <960723163407.20117h@cac.washington.edu>",
    "Content-Description: Compiler diff",
    "Content-Transfer-Encoding: BASE64",
    "",
    ...filler(4554, 73),
    "",
    "--8323328-2120168431-824156539=:325--",
    "",
  ]);
  test("§7.4.2 BODY", () => {
    expect(body(mixed)).toBe(
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") ' +
        '"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")',
    );
  });
  test("§7.4.2 as BODYSTRUCTURE", () => {
    expect(bodystructure(mixed)).toBe(
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23 NIL NIL NIL NIL)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") ' +
        '"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73 NIL NIL NIL NIL) "MIXED" ' +
        '("BOUNDARY" "8323328-2120168431-824156539=:325") NIL NIL NIL)',
    );
  });
});

describe("real-world shapes", () => {
  // alternative (13-octet QP plain, 12-octet html) inside mixed, plus a PDF with every
  // extension field and an RFC 2231 filename ("日本.pdf").
  const withAttachment = msg([
    "Content-Type: multipart/mixed; boundary=\"outer\"",
    "",
    "--outer",
    "Content-Type: multipart/alternative; boundary=\"inner\"",
    "",
    "--inner",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Hello=20world",
    "--inner",
    "Content-Type: text/html; charset=utf-8",
    "",
    "<p>Hello</p>",
    "--inner--",
    "--outer",
    'Content-Type: application/pdf; name="report.pdf"',
    "Content-Disposition: attachment; filename*=utf-8''%E6%97%A5%E6%9C%AC.pdf",
    "Content-Transfer-Encoding: base64",
    "Content-Language: en, de",
    "Content-Location: http://example.com/r.pdf",
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
    "",
    "JVBERi0xLjQK",
    "--outer--",
  ]);
  const alternative =
    '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 13 1 NIL NIL NIL NIL)' +
    '("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "inner") NIL NIL NIL';
  const pdfHead = '("APPLICATION" "PDF" ("NAME" "report.pdf") NIL NIL "BASE64" 12 "Q2hlY2sgSW50ZWdyaXR5IQ=="';
  const pdfTail = '("en" "de") "http://example.com/r.pdf")';

  test("attachment with RFC 2231 filename, 7-bit client: RFC 2231 form back", () => {
    expect(bodystructure(withAttachment)).toBe(
      `((${alternative})${pdfHead} ("ATTACHMENT" ("FILENAME*" "utf-8''%E6%97%A5%E6%9C%AC.pdf")) ${pdfTail} "MIXED" ("BOUNDARY" "outer") NIL NIL NIL)`,
    );
  });
  test("attachment with RFC 2231 filename, UTF8=ACCEPT: decoded", () => {
    expect(bodystructure(withAttachment, { utf8: true })).toBe(
      `((${alternative})${pdfHead} ("ATTACHMENT" ("FILENAME" "日本.pdf")) ${pdfTail} "MIXED" ("BOUNDARY" "outer") NIL NIL NIL)`,
    );
  });
  test("BODY drops every extension field", () => {
    expect(body(withAttachment)).toBe(
      '((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 13 1)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1) "ALTERNATIVE")' +
        '("APPLICATION" "PDF" ("NAME" "report.pdf") NIL NIL "BASE64" 12) "MIXED")',
    );
  });

  // Part 2 is a message/rfc822 of 92 octets in 6 lines:
  // "From: a@b.c\r\n" 13 + "Subject: inner\r\n" 16 + "Content-Type: text/plain; charset=us-ascii\r\n" 44
  // + "\r\n" 2 + "Inner body\r\n" 12 + "line2" 5 = 92; 5 LFs and an unterminated last line = 6.
  const nested = msg([
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--b",
    "Content-Type: text/plain",
    "",
    "See attached.",
    "--b",
    "Content-Type: message/rfc822",
    "",
    "From: a@b.c",
    "Subject: inner",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "Inner body",
    "line2",
    "--b--",
  ]);
  const innerEnv = '(NIL "inner" ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) NIL NIL NIL NIL NIL)';
  test("nested message/rfc822, BODY", () => {
    expect(body(nested)).toBe(
      `(("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 13 1)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 92 ${innerEnv} ` +
        `("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 17 2) 6) "MIXED")`,
    );
  });
  test("nested message/rfc822, BODYSTRUCTURE (inner body extensible too)", () => {
    expect(bodystructure(nested)).toBe(
      `(("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 13 1 NIL NIL NIL NIL)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 92 ${innerEnv} ` +
        `("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 17 2 NIL NIL NIL NIL) 6 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "b") NIL NIL NIL)`,
    );
  });

  // Digest parts default to message/rfc822 (RFC 2046 §5.1.5). Each part body is
  // "Subject: one\r\n\r\nBody one": 14 + 2 + 8 = 24 octets, 3 lines.
  const digest = msg([
    "Content-Type: multipart/digest; boundary=d",
    "",
    "--d",
    "",
    "Subject: one",
    "",
    "Body one",
    "--d",
    "",
    "Subject: two",
    "",
    "Body two",
    "--d--",
  ]);
  test("multipart/digest", () => {
    const part = (s: string) =>
      `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 24 (NIL "${s}" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 8 1) 3)`;
    expect(body(digest)).toBe(`(${part("one")}${part("two")} "DIGEST")`);
  });

  test("multipart without any body part gets an empty text/plain child", () => {
    const raw = msg(["Content-Type: multipart/mixed; boundary=zz", "", "no parts here"]);
    expect(body(raw)).toBe(`(("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 0 0) "MIXED")`);
    expect(bodystructure(raw)).toBe(`(("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 0 0 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "zz") NIL NIL NIL)`);
  });

  test("base64 message/rfc822 is a basic body (no envelope)", () => {
    // "U3ViamVjdDogeAoKeQ==" is 20 octets, 1 line.
    const raw = msg(["Content-Type: message/rfc822", "Content-Transfer-Encoding: base64", "", "U3ViamVjdDogeAoKeQ=="]);
    expect(body(raw)).toBe('("MESSAGE" "RFC822" NIL NIL NIL "BASE64" 20)');
  });

  // "Subject: g\r\n\r\nhi" is 12 + 2 + 2 = 16 octets, 3 lines; the inner body "hi" 2 octets, 1 line.
  const global = msg(["Content-Type: message/global", "", "Subject: g", "", "hi"]);
  test("message/global is a message body for IMAP4rev2", () => {
    expect(body(global, { rev2: true })).toBe(
      `("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 16 (NIL "g" ${"NIL ".repeat(7)}NIL) ("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 2 1) 3)`,
    );
  });
  test("message/global is a basic body for IMAP4rev1", () => {
    expect(body(global)).toBe('("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 16)');
  });

  test("image: basic body, no line count; inline disposition with size", () => {
    // "iVBORw0KGgo=" is 12 octets.
    const raw = msg([
      "Content-Type: image/png",
      "Content-Transfer-Encoding: base64",
      "Content-Disposition: inline; filename=dot.png; size=8",
      "Content-ID: <dot@x>",
      "",
      "iVBORw0KGgo=",
    ]);
    expect(bodystructure(raw)).toBe(
      '("IMAGE" "PNG" NIL "<dot@x>" NIL "BASE64" 12 NIL ("INLINE" ("FILENAME" "dot.png" "SIZE" "8")) NIL NIL)',
    );
  });

  test("no Content-Type at all: text/plain us-ascii", () => {
    expect(body(msg(["Subject: x", "", "a", "b", ""]))).toBe(`("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 6 2)`);
  });

  test("8-bit description: encoded words for a 7-bit client, as is with UTF8=ACCEPT", () => {
    const raw = msg(["Content-Type: text/plain; charset=utf-8", "Content-Description: Übersicht", "", "x"]);
    expect(body(raw)).toBe('("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL "=?UTF-8?Q?=C3=9Cbersicht?=" "7BIT" 1 1)');
    expect(body(raw, { utf8: true })).toBe('("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL "Übersicht" "7BIT" 1 1)');
  });

  test("an RFC 2047-encoded name parameter (decoded at delivery) comes back in RFC 2231 form", () => {
    // "w6kucGRm" is base64 for "é.pdf".
    const raw = msg(['Content-Type: application/octet-stream; name="=?UTF-8?B?w6kucGRm?="', "", "x"]);
    expect(body(raw)).toBe(`("APPLICATION" "OCTET-STREAM" ("NAME*" "utf-8''%C3%A9.pdf") NIL NIL "7BIT" 1)`);
    expect(body(raw, { utf8: true })).toBe('("APPLICATION" "OCTET-STREAM" ("NAME" "é.pdf") NIL NIL "7BIT" 1)');
  });

  test("LF-only message counts lines the same way", () => {
    const raw = msg(["Content-Type: text/plain", "", "one", "two", ""], "\n");
    expect(body(raw)).toBe(`("TEXT" "PLAIN" ${US} NIL NIL "7BIT" 8 2)`);
  });
});
