// Whether a transaction needs the peer's SMTPUTF8 (RFC 6531 §3.2), and the status to fail it
// with (RFC 6531 §3.5: X.6.7 for addresses, X.6.9 for UTF-8 headers).

import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import { asciiAddress, headersHaveUtf8, needsSmtpUtf8, smtpUtf8Need } from "../../src/delivery/smtputf8.ts";

const enc = new TextEncoder();
const m = (s: string) => enc.encode(s);
const ASCII_MSG = m("From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n");

describe("asciiAddress", () => {
  const table: [string, string | null][] = [
    ["user@example.org", "user@example.org"],
    ["user@bücher.example", "user@xn--bcher-kva.example"],
    ["用户@example.org", null],
    ["user", "user"],
  ];
  for (const [addr, want] of table) test(addr, () => expect(asciiAddress(addr)).toBe(want));
});

describe("smtpUtf8Need", () => {
  const table: [string, { mailFrom: string; recipients: string[]; message: Uint8Array }, false | "5.6.7" | "5.6.9"][] = [
    ["all ASCII", { mailFrom: "a@b.example", recipients: ["c@d.example"], message: ASCII_MSG }, false],
    ["null sender", { mailFrom: "", recipients: ["c@d.example"], message: ASCII_MSG }, false],
    ["U-label domain only: A-labels will do", { mailFrom: "a@b.example", recipients: ["c@bücher.example"], message: ASCII_MSG }, false],
    ["non-ASCII local part in RCPT", { mailFrom: "a@b.example", recipients: ["josé@d.example"], message: ASCII_MSG }, "5.6.7"],
    ["non-ASCII local part in MAIL", { mailFrom: "josé@b.example", recipients: ["c@d.example"], message: ASCII_MSG }, "5.6.7"],
    ["UTF-8 Subject", { mailFrom: "a@b.example", recipients: ["c@d.example"], message: m("Subject: café\r\n\r\nx\r\n") }, "5.6.9"],
    ["8-bit body only: 8BITMIME matter, not SMTPUTF8", { mailFrom: "a@b.example", recipients: ["c@d.example"], message: m("Subject: x\r\n\r\ncafé\r\n") }, false],
  ];
  for (const [name, input, want] of table) {
    test(name, () => {
      const need = smtpUtf8Need(input);
      expect(need.needed ? need.status : false).toBe(want);
      expect(needsSmtpUtf8(input)).toBe(want !== false);
    });
  }
});

describe("headersHaveUtf8: any level of the MIME structure", () => {
  const multipart = (partHeader: string, partBody = "x") =>
    m(`Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n${partHeader}\r\n\r\n${partBody}\r\n--b--\r\n`);
  test("a body part's header", () => {
    expect(headersHaveUtf8(multipart('Content-Disposition: attachment; filename="résumé.pdf"'))).toBe(true);
    expect(headersHaveUtf8(multipart("Content-Type: text/plain", "résumé"))).toBe(false);
  });
  test("an encapsulated message's header", () => {
    const inner = "Content-Type: message/global\r\n\r\nSubject: 日本\r\n\r\nx";
    expect(headersHaveUtf8(multipart(inner.split("\r\n\r\n")[0]!, inner.split("\r\n\r\n").slice(1).join("\r\n\r\n")))).toBe(true);
  });
  test("a base64 message/global hides its header from transport", () => {
    // An 8-bit body elsewhere forces the structure walk; the encoded header is not looked into.
    const b64 = Buffer.from("Subject: 日本\r\n\r\nx").toString("base64");
    const raw = (cte: string, body: string) =>
      m(`Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\ncafé\r\n--b\r\nContent-Type: message/global\r\n${cte}\r\n${body}\r\n--b--\r\n`);
    expect(headersHaveUtf8(raw("Content-Transfer-Encoding: base64\r\n", b64))).toBe(false);
    expect(headersHaveUtf8(raw("", "Subject: 日本\r\n\r\nx"))).toBe(true);
  });
});
