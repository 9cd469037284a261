// The RETR/TOP encoder (RFC 1939 §3, §7, §11): CRLF whatever the stored line ends, byte-
// stuffing, the final "." line, TOP's header-plus-n-lines cut, and transmittedSize. Each
// table case runs whole, split at every byte boundary, byte by byte and at random cuts.

import { describe, expect, test } from "bun:test";
import { MessageEncoder, transmittedSize } from "../../../src/protocol/pop3/message-encoder.ts";
import { bytes, chunkings, latin1, rng } from "../smtp/chunking.ts";

function encode(chunks: Uint8Array[], bodyLines: number | null = null, canonical = false): string {
  const e = new MessageEncoder({ bodyLines, canonical });
  let out = "";
  for (const c of chunks) out += latin1(e.push(c));
  return out + latin1(e.end());
}

/** What a client recovers: the encoded response unstuffed, without the "." line. */
function unstuff(wire: string): string {
  expect(wire.endsWith("\r\n.\r\n") || wire === ".\r\n").toBe(true);
  const body = wire === ".\r\n" ? "" : wire.slice(0, -3);
  return body
    .split("\r\n")
    .map((l) => (l.startsWith(".") ? l.slice(1) : l))
    .join("\r\n");
}

const RETR: [string, string, string][] = [
  ["canonical, dots at chunk edges", ".a\r\n.\r\n\r\n..\r\nb.\r\n.", "..a\r\n..\r\n\r\n...\r\nb.\r\n..\r\n.\r\n"],
  ["canonical, dot-free", "Subject: x\r\n\r\nline one\r\nline two\r\n", "Subject: x\r\n\r\nline one\r\nline two\r\n.\r\n"],
  ["canonical", "Subject: a\r\n\r\nbody\r\n", "Subject: a\r\n\r\nbody\r\n.\r\n"],
  ["bare LF", "Subject: a\n\nbody\n", "Subject: a\r\n\r\nbody\r\n.\r\n"],
  ["bare CR", "Subject: a\r\rbody\r", "Subject: a\r\n\r\nbody\r\n.\r\n"],
  ["CR CR LF", "a\r\r\nb\r\n", "a\r\n\r\nb\r\n.\r\n"],
  ["LF CR", "a\n\rb\r\n", "a\r\n\r\nb\r\n.\r\n"],
  ["no final line end", "Subject: a\r\n\r\nlast", "Subject: a\r\n\r\nlast\r\n.\r\n"],
  ["dot lines stuffed", ".\r\n..\r\n.x\r\nx.\r\n", "..\r\n...\r\n..x\r\nx.\r\n.\r\n"],
  ["dot after bare LF", "a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"],
  ["dot after bare CR", "a\r.b\r", "a\r\n..b\r\n.\r\n"],
  ["a lone dot, unterminated", ".", "..\r\n.\r\n"],
  ["the SMTP terminator inside a body", "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"],
  ["empty message", "", ".\r\n"],
  ["only line ends", "\n\r\n\r", "\r\n\r\n\r\n.\r\n"],
  ["8-bit and NUL octets kept", "a\u00ff\u0000b\r\n", "a\u00ff\u0000b\r\n.\r\n"],
];

describe("RETR encoding", () => {
  for (const [name, input, want] of RETR) {
    test(name, () => {
      const raw = Uint8Array.from(input, (c) => c.charCodeAt(0));
      for (const { name: cut, chunks } of chunkings(raw)) {
        expect([cut, encode(chunks)]).toEqual([cut, want]);
      }
      // The announced size is the octets sent, without stuffing and the final ".".
      expect(transmittedSize(raw)).toBe(unstuff(want).length);
      // Stored all-CRLF (size unchanged): the stuffing-only fast path gives the same bytes.
      if (transmittedSize(raw) === raw.length) {
        for (const { name: cut, chunks } of chunkings(raw)) expect([cut, encode(chunks, null, true)]).toEqual([cut, want]);
      }
    });
  }
});

const TOP: [string, string, number, string][] = [
  ["TOP 0: header and blank line", "H: 1\r\nH: 2\r\n\r\nl1\r\nl2\r\n", 0, "H: 1\r\nH: 2\r\n\r\n.\r\n"],
  ["TOP 1", "H: 1\r\n\r\nl1\r\nl2\r\n", 1, "H: 1\r\n\r\nl1\r\n.\r\n"],
  ["TOP more than there is", "H: 1\r\n\r\nl1\r\n", 10, "H: 1\r\n\r\nl1\r\n.\r\n"],
  ["TOP with bare LF", "H: 1\n\nl1\nl2\n", 1, "H: 1\r\n\r\nl1\r\n.\r\n"],
  ["TOP stuffs dots in the body", "H: 1\r\n\r\n.l1\r\nl2\r\n", 1, "H: 1\r\n\r\n..l1\r\n.\r\n"],
  ["TOP without a body separator sends the header", "H: 1\r\nH: 2\r\n", 0, "H: 1\r\nH: 2\r\n.\r\n"],
  ["TOP on an unterminated last line", "H: 1\r\n\r\nl1", 5, "H: 1\r\n\r\nl1\r\n.\r\n"],
  ["TOP counts a blank body line", "H: 1\r\n\r\n\r\nl2\r\n", 1, "H: 1\r\n\r\n\r\n.\r\n"],
];

describe("TOP encoding", () => {
  for (const [name, input, n, want] of TOP) {
    test(name, () => {
      for (const { name: cut, chunks } of chunkings(bytes(input))) {
        expect([cut, encode(chunks, n)]).toEqual([cut, want]);
      }
    });
  }

  test("done is set once the lines are sent, so the rest can be skipped", () => {
    const e = new MessageEncoder({ bodyLines: 1 });
    e.push(bytes("H: 1\r\n\r\nl1\r\nl2"));
    expect(e.done).toBe(true);
    expect(e.push(bytes("more\r\n")).length).toBe(0);
    expect(new MessageEncoder().done).toBe(false);
  });
});

describe("random input", () => {
  test("unstuffed output equals the input with every line end made CRLF; sizes agree", () => {
    const next = rng(1939);
    const alphabet = [13, 10, 46, 65, 0, 255, 32];
    for (let round = 0; round < 300; round++) {
      const n = Math.floor(next() * 60);
      const raw = Uint8Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]);
      const wire = encode([raw]);
      // Reference: normalise line ends with a regex, then add a final CRLF if missing.
      let norm = latin1(raw).replace(/\r\n|\r|\n/g, "\r\n");
      if (norm.length > 0 && !norm.endsWith("\r\n")) norm += "\r\n";
      expect(unstuff(wire)).toBe(norm);
      expect(transmittedSize(raw)).toBe(norm.length);
      // No line of the wire form starts with a lone "." except the terminator.
      const lines = wire.split("\r\n").slice(0, -2);
      for (const l of lines) expect(l === "." ).toBe(false);
      // Cutting into random pieces changes nothing.
      const cuts = [...chunkings(raw, 3)].slice(-3);
      for (const { chunks } of cuts) expect(encode(chunks)).toBe(wire);
    }
  });

  test("the fast path agrees with the general one on random all-CRLF input", () => {
    const next = rng(5034);
    const parts = ["\r\n", ".", "a", ".\r\n", "..", "x y"];
    for (let round = 0; round < 300; round++) {
      let text = "";
      for (let i = Math.floor(next() * 20); i > 0; i--) text += parts[Math.floor(next() * parts.length)];
      if (!text.endsWith("\r\n")) text += "\r\n";
      const raw = bytes(text);
      expect(transmittedSize(raw)).toBe(raw.length);
      const want = encode([raw]);
      for (const { chunks } of [...chunkings(raw, 3)].slice(-4)) expect(encode(chunks, null, true)).toBe(want);
    }
  });

  test("a large canonical message passes through with its size unchanged", () => {
    const line = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01234567\r\n";
    const raw = bytes(`Subject: big\r\n\r\n${line.repeat(20_000)}`);
    const e = new MessageEncoder();
    let n = 0;
    for (let off = 0; off < raw.length; off += 65536) n += e.push(raw.subarray(off, off + 65536)).length;
    expect(n).toBe(raw.length);
    expect(transmittedSize(raw)).toBe(raw.length);
  });
});
