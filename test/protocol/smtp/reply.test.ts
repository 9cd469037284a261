// Reply formatting tests: multi-line form, enhanced codes on every line (RFC 2034 §3),
// 512-octet lines (RFC 5321 §4.5.3.1.5) and no line injection through reply text.
import { describe, expect, test } from "bun:test";
import { formatReply, formatSmtpReply, MAX_REPLY_LINE } from "../../../src/protocol/smtp/reply.ts";

const lines = (s: string): string[] => s.slice(0, -2).split("\r\n");

describe("formatReply", () => {
  test.each([
    [250, "2.0.0", ["OK"], "250 2.0.0 OK\r\n"],
    [250, null, ["mx.example Hello"], "250 mx.example Hello\r\n"],
    [250, null, ["mx.example", "PIPELINING", "8BITMIME"], "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"],
    [550, "5.1.1", ["No such user", "here"], "550-5.1.1 No such user\r\n550 5.1.1 here\r\n"],
    [354, null, ["End data with <CR><LF>.<CR><LF>"], "354 End data with <CR><LF>.<CR><LF>\r\n"],
    [250, "2.0.0", [], "250 2.0.0\r\n"],
    [220, null, [""], "220\r\n"],
    [250, null, ["", "x"], "250-\r\n250 x\r\n"],
    [250, "5.0.0", ["class mismatch"], "250 class mismatch\r\n"],
    [451, "4.3", ["malformed enhanced"], "451 malformed enhanced\r\n"],
    [451, "4.03.0", ["leading zero"], "451 leading zero\r\n"],
    [451, "4.999.999", ["wide"], "451 4.999.999 wide\r\n"],
    [99, "2.0.0", ["bad code"], "451 4.3.0 Internal error\r\n"],
    [600, null, ["bad code"], "451 4.3.0 Internal error\r\n"],
    [250.5, null, ["bad code"], "451 4.3.0 Internal error\r\n"],
  ] as const)("%d %p %p", (code, enh, text, out) => {
    expect(formatReply(code, enh, [...text])).toBe(out);
  });

  test("CR, LF and controls in text cannot inject lines", () => {
    const out = formatReply(250, "2.0.0", ["ok\r\n250 2.0.0 injected", "a\rb\nc\u0000d"]);
    expect(out).toBe("250-2.0.0 ok 250 2.0.0 injected\r\n250 2.0.0 a b c d\r\n");
    expect(out.split("\r\n").length).toBe(3);
    expect(out.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
  });

  test("tab is text and is kept", () => {
    expect(formatReply(250, null, ["a\tb"])).toBe("250 a\tb\r\n");
  });

  test("lone surrogates become U+FFFD, pairs are kept", () => {
    expect(formatReply(250, null, ["a\ud800b\u{1f600}"])).toBe("250 a\ufffdb\u{1f600}\r\n");
  });

  test("long text is split into lines of at most 512 octets, each with code and enhanced code", () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(" ");
    const out = formatReply(550, "5.7.1", [words]);
    const ls = lines(out);
    expect(ls.length).toBeGreaterThan(1);
    ls.forEach((l, i) => {
      expect(new TextEncoder().encode(`${l}\r\n`).length).toBeLessThanOrEqual(MAX_REPLY_LINE);
      expect(l.startsWith(i === ls.length - 1 ? "550 5.7.1 " : "550-5.7.1 ")).toBe(true);
    });
    // Split at spaces: no word is broken, nothing is lost.
    expect(ls.map((l) => l.slice(10)).join(" ")).toBe(words);
  });

  test("a long run without spaces is cut hard, never inside a UTF-8 sequence", () => {
    for (const unit of ["x", "\u00e9", "\u65e5", "\u{1f600}"]) {
      const text = unit.repeat(700);
      const out = formatReply(250, null, [text]);
      const ls = lines(out);
      for (const l of ls) {
        expect(new TextEncoder().encode(`${l}\r\n`).length).toBeLessThanOrEqual(MAX_REPLY_LINE);
        expect(l).not.toContain("\ufffd");
      }
      expect(ls.map((l) => l.slice(4)).join("")).toBe(text);
    }
  });

  test("a line of exactly 512 octets is not split", () => {
    const text = "x".repeat(MAX_REPLY_LINE - 4 - 6 - 2);
    const out = formatReply(250, "2.0.0", [text]);
    expect(out.length).toBe(MAX_REPLY_LINE);
    expect(lines(out).length).toBe(1);
    expect(lines(formatReply(250, "2.0.0", [`${text}x`])).length).toBe(2);
  });

  test("formatSmtpReply", () => {
    expect(formatSmtpReply({ code: 501, enhanced: "5.5.4", text: "Invalid" })).toBe("501 5.5.4 Invalid\r\n");
  });
});
