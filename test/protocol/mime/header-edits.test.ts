import { describe, expect, test } from "bun:test";
import { applyHeaderEdits, formatField } from "../../../src/protocol/mime/header-edits.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const apply = (m: string, e: Parameters<typeof applyHeaderEdits>[1]) => dec.decode(applyHeaderEdits(enc.encode(m), e));

const MSG =
  "Received: from a by b; Mon, 30 Nov 2026 10:00:00 +0000\r\n" +
  "Authentication-Results: mx.example.test; spf=pass\r\n" +
  "Authentication-Results: other.example;\r\n dkim=pass\r\n" +
  "Subject: hi\r\n" +
  "\r\n" +
  "Authentication-Results: mx.example.test; in the body\r\n";

describe("applyHeaderEdits", () => {
  test("no edits: the same bytes", () => {
    const m = enc.encode(MSG);
    expect(applyHeaderEdits(m, undefined)).toBe(m);
    expect(applyHeaderEdits(m, { add: [], remove: [] })).toBe(m);
  });

  test("adds fields on top, in order", () => {
    const out = apply(MSG, { add: [{ name: "X-A", value: "1" }, { name: "X-B", value: "2" }] });
    expect(out.startsWith("X-A: 1\r\nX-B: 2\r\nReceived: from a")).toBe(true);
    expect(out.endsWith(MSG)).toBe(true);
  });

  test("removes only matching fields of the header block, folded ones whole", () => {
    const out = apply(MSG, { remove: [{ name: "authentication-results", pattern: "^mx\\.example\\.test\\s*;" }] });
    expect(out).not.toContain("Authentication-Results: mx.example.test; spf=pass");
    expect(out).toContain("Authentication-Results: other.example;\r\n dkim=pass\r\n");
    // The body is never edited.
    expect(out).toContain("\r\n\r\nAuthentication-Results: mx.example.test; in the body\r\n");
  });

  test("a pattern compares the unfolded value", () => {
    const out = apply(MSG, { remove: [{ name: "Authentication-Results", pattern: "^other\\.example; dkim=pass$" }] });
    expect(out).not.toContain("other.example");
    expect(out).toContain("mx.example.test; spf=pass");
  });

  test("remove without a pattern drops every field of that name", () => {
    const out = apply(MSG, { remove: [{ name: "Authentication-Results" }] });
    expect(out.split("\r\n\r\n")[0]).not.toContain("Authentication-Results");
    expect(out.startsWith("Received:")).toBe(true);
  });

  test("LF-only messages and header-only messages", () => {
    expect(apply("A: 1\nB: 2\n\nbody\n", { remove: [{ name: "a" }] })).toBe("B: 2\n\nbody\n");
    expect(apply("A: 1\r\nB: 2\r\n", { remove: [{ name: "b" }] })).toBe("A: 1\r\n");
  });

  test("a value cannot smuggle a second field; folds are kept", () => {
    expect(formatField({ name: "X-A", value: "a\r\nBcc: evil@x" })).toBe("X-A: a  Bcc: evil@x\r\n");
    expect(formatField({ name: "X-A", value: "a\nb\rc" })).toBe("X-A: a b c\r\n");
    expect(formatField({ name: "X-A", value: "a;\r\n\tb" })).toBe("X-A: a;\r\n\tb\r\n");
    expect(() => formatField({ name: "Bad Name", value: "x" })).toThrow();
    expect(() => formatField({ name: "X:Y", value: "x" })).toThrow();
  });
});
