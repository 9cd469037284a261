// DATA decoder and BDAT collector tests: end detection, dot-unstuffing, SMTP smuggling
// variants, limits, and identical results for every way of chunking the input.
import { describe, expect, test } from "bun:test";
import { ChunkCollector, DataDecoder } from "../../../src/protocol/smtp/data-decoder.ts";
import type { DataDecoderOptions } from "../../../src/protocol/smtp/data-decoder.ts";
import { bytes, chunkings, latin1, model, rng, run } from "./chunking.ts";

const OPTS: DataDecoderOptions = { maxBytes: 1 << 20, maxLineLength: 1000, bareLineEnding: "reject" };

/** Runs the input under every chunking and checks all agree with `expected`. */
function checkAllChunkings(input: string, expected: Partial<ReturnType<typeof run>>, opts = OPTS): void {
  const b = bytes(input);
  for (const { name, chunks } of chunkings(b)) {
    const out = run(opts, chunks);
    expect({ name, ...out }).toMatchObject({ name, ...expected });
  }
}

describe("DataDecoder: end of data and dot-unstuffing (RFC 5321 §4.1.1.4, §4.5.2)", () => {
  const cases: [string, string, string, string][] = [
    // [name, input, body, rest]
    ["empty message", ".\r\n", "", ""],
    ["empty message + pipelined", ".\r\nQUIT\r\n", "", "QUIT\r\n"],
    ["one line", "Hello\r\n.\r\n", "Hello\r\n", ""],
    ["headers and body", "Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@b>\r\n", "Subject: x\r\n\r\nbody\r\n", "MAIL FROM:<a@b>\r\n"],
    ["stuffed dot", "..\r\n.\r\n", ".\r\n", ""],
    ["stuffed dots mid", "a\r\n..b\r\n...\r\n.\r\n", "a\r\n.b\r\n..\r\n", ""],
    ["dot then text (unstuffed)", ".x\r\n.\r\n", "x\r\n", ""],
    ["first line dot text", ".hidden\r\nvisible\r\n.\r\n", "hidden\r\nvisible\r\n", ""],
    ["dot not at line start", "a.b\r\n a.\r\n.\r\n", "a.b\r\n a.\r\n", ""],
    ["space dot is not end", "a\r\n .\r\n.\r\n", "a\r\n .\r\n", ""],
    ["dot space is not end", "a\r\n. \r\n.\r\n", "a\r\n \r\n", ""],
    ["empty lines", "\r\n\r\n\r\n.\r\n", "\r\n\r\n\r\n", ""],
    ["end then more data", "x\r\n.\r\n.\r\n", "x\r\n", ".\r\n"],
    ["binary high bytes", "caf\u00e9 \u65e5\u672c\r\n.\r\n", "caf\u00c3\u00a9 \u00e6\u0097\u00a5\u00e6\u009c\u00ac\r\n", ""],
  ];
  test.each(cases)("%s", (_name, input, body, rest) => {
    checkAllChunkings(input, { done: true, doneCount: 1, body, rest, error: null });
  });

  test("no end yet: not done and nothing is lost", () => {
    checkAllChunkings("Hello\r\nworld\r\n", { done: false, body: "Hello\r\nworld\r\n", error: null });
    checkAllChunkings("Hello\r\n.", { done: false, body: "Hello\r\n", error: null });
    checkAllChunkings("Hello\r\n.\r", { done: false, body: "Hello\r\n", error: null });
  });

  test("after the end, later pushes return everything as rest", () => {
    const d = new DataDecoder(OPTS);
    expect(d.push(bytes("a\r\n.\r\nNOOP\r\n"))).toEqual({ done: true, rest: bytes("NOOP\r\n") });
    expect(d.done).toBe(true);
    expect(d.push(bytes("QUIT\r\n"))).toEqual({ done: true, rest: bytes("QUIT\r\n") });
    expect(latin1(d.result().body)).toBe("a\r\n");
  });
});

describe("DataDecoder: SMTP smuggling (RFC 5321 §2.3.8, DESIGN §5)", () => {
  const smuggled = "MAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDATA\r\nsmuggled\r\n";
  const variants = [
    "\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r",
    "\r\n.\r\r\n", "\n\n.\n\n", "\r\r.\r\r", "\r\n.\n\r\n", "\n.\n\r\n", ".\n", "\r\n\n.\r\n\n",
  ];
  test.each(variants.map((v) => [JSON.stringify(v), v]))("variant %s never ends the data", (_n, v) => {
    const input = `Subject: t\r\n\r\nhello${v}${smuggled}.\r\nQUIT\r\n`;
    const b = bytes(input);
    for (const { name, chunks } of chunkings(b)) {
      const out = run(OPTS, chunks);
      // Exactly one end, at the real CRLF.CRLF: the smuggled commands stay inside the body.
      expect({ name, doneCount: out.doneCount, rest: out.rest, error: out.error }).toEqual({
        name, doneCount: 1, rest: "QUIT\r\n", error: "bare-cr-lf",
      });
      expect(out.body).toContain("MAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDATA\r\nsmuggled\r\n");
      expect(out).toEqual(model(OPTS, latin1(b)));
    }
  });

  test("a real CRLF.CRLF after a bare line ending still ends (the client agrees on it)", () => {
    // "\r\r\n.\r\n": a bare CR, then a genuine CRLF . CRLF. Data ends; the bare CR is reported.
    checkAllChunkings("a\r\r\n.\r\nQUIT\r\n", { done: true, doneCount: 1, rest: "QUIT\r\n", error: "bare-cr-lf" });
    checkAllChunkings("a\n\r\n.\r\nQUIT\r\n", { done: true, doneCount: 1, rest: "QUIT\r\n", error: "bare-cr-lf" });
  });

  test("bare CR or LF alone anywhere is recorded", () => {
    for (const input of ["a\rb\r\n.\r\n", "a\nb\r\n.\r\n", "\n.\r\n.\r\n", "\r\r\n.\r\n", "ab\r", "ab\n"]) {
      const b = bytes(input);
      const ref = model(OPTS, input);
      expect(ref.error).toBe(input === "ab\r" ? null : "bare-cr-lf");
      for (const { chunks } of chunkings(b)) expect(run(OPTS, chunks)).toEqual(ref);
    }
  });
});

describe("DataDecoder: limits with bounded memory", () => {
  test("too-big: stored body capped, input consumed to the real end", () => {
    const opts = { ...OPTS, maxBytes: 100 };
    const input = `${"0123456789abcdef".repeat(4)}\r\n`.repeat(20) + ".\r\nQUIT\r\n";
    const full = `${"0123456789abcdef".repeat(4)}\r\n`.repeat(20);
    checkAllChunkings(input, { done: true, doneCount: 1, rest: "QUIT\r\n", error: "too-big", body: full.slice(0, 100) }, opts);
  });

  test("exactly maxBytes is not too big", () => {
    checkAllChunkings("12345678\r\n.\r\n", { done: true, body: "12345678\r\n", error: null }, { ...OPTS, maxBytes: 10 });
    checkAllChunkings("123456789\r\n.\r\n", { done: true, body: "123456789\r", error: "too-big" }, { ...OPTS, maxBytes: 10 });
  });

  test("maxBytes 0 keeps nothing", () => {
    checkAllChunkings(".\r\n", { done: true, body: "", error: null }, { ...OPTS, maxBytes: 0 });
    checkAllChunkings("a\r\n.\r\n", { done: true, body: "", error: "too-big" }, { ...OPTS, maxBytes: 0 });
  });

  test("line length: 998 octets + CRLF fit, 999 do not (RFC 5321 §4.5.3.1.6)", () => {
    const ok = `${"x".repeat(998)}\r\n.\r\n`;
    const stuffed = `.${"x".repeat(998)}\r\n.\r\n`; // the stuffed dot does not count
    const long = `${"x".repeat(999)}\r\n.\r\nQUIT\r\n`;
    for (const [input, error] of [[ok, null], [stuffed, null], [long, "line-too-long"]] as const) {
      const out = run(OPTS, [bytes(input)]);
      expect(out.error).toBe(error);
      expect(out.done).toBe(true);
    }
    // Every chunking, on a short limit to keep the split count small.
    const opts = { ...OPTS, maxLineLength: 10 };
    checkAllChunkings("12345678\r\n.\r\n", { done: true, error: null }, opts);
    checkAllChunkings("..12345678\r\n.\r\n", { done: true, error: "line-too-long" }, opts);
    checkAllChunkings("a\r\n123456789\r\n.\r\nQUIT\r\n", { done: true, rest: "QUIT\r\n", error: "line-too-long" }, opts);
  });

  test("error priority: bare line ending over size over line length", () => {
    const opts = { maxBytes: 8, maxLineLength: 4, bareLineEnding: "reject" as const };
    expect(run(opts, [bytes("abcdefgh\r\n.\r\n")]).error).toBe("too-big");
    expect(run(opts, [bytes("abcd\r\n.\r\n")]).error).toBe("line-too-long");
    expect(run(opts, [bytes("abcdefgh\n\r\n.\r\n")]).error).toBe("bare-cr-lf");
  });

  test("10 MiB without CRLF: consumed in bounded memory, then ended", () => {
    const opts = { ...OPTS, maxBytes: 1 << 20 };
    const d = new DataDecoder(opts);
    const piece = new Uint8Array(64 * 1024).fill(0x61);
    for (let i = 0; i < 160; i++) expect(d.push(piece)).toEqual({ done: false });
    const mid = d.result();
    expect(mid.body.length).toBe(1 << 20);
    expect(mid.error).toBe("too-big");
    expect(d.push(bytes("\r\n.\r\nRSET\r\n"))).toEqual({ done: true, rest: bytes("RSET\r\n") });
    expect(d.result().body.length).toBe(1 << 20);
  });

  test("10 MiB of bare LF lines: bare-cr-lf, no end found", () => {
    const d = new DataDecoder({ ...OPTS, maxBytes: 1024 });
    const piece = bytes("line\n.\n".repeat(8192));
    for (let total = 0; total < 10 << 20; total += piece.length) expect(d.push(piece).done).toBe(false);
    expect(d.result().error).toBe("bare-cr-lf");
    expect(d.result().body.length).toBe(1024);
  });
});

describe("DataDecoder: fuzz against an independent model", () => {
  const alphabet = ["\r", "\n", ".", "a", "\r\n", ".\r\n", "\r\n.\r\n"];
  const next = rng(5321);
  const inputs: string[] = [];
  for (let i = 0; i < 2000; i++) {
    let s = "";
    const len = Math.floor(next() * 20);
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(next() * alphabet.length)];
    inputs.push(s);
  }
  test("2000 random inputs, every chunking, tight limits", () => {
    const opts = { maxBytes: 12, maxLineLength: 5, bareLineEnding: "reject" as const };
    for (const input of inputs) {
      const ref = model(opts, input);
      for (const { name, chunks } of chunkings(bytes(input), 2)) {
        const out = run(opts, chunks);
        if (JSON.stringify(out) !== JSON.stringify(ref)) {
          expect({ input, name, out }).toEqual({ input, name, out: ref });
        }
      }
    }
  });
});

describe("DataDecoder: fuzz of limits without bare line endings", () => {
  const alphabet = ["a", ".", "\r\n", "aaa", ".\r\n", "..", "\r\n.\r\n"];
  const next = rng(3030);
  test("2000 random inputs, every chunking, size and line limits", () => {
    const opts = { maxBytes: 16, maxLineLength: 6, bareLineEnding: "reject" as const };
    const seen = new Set<string | null>();
    for (let i = 0; i < 2000; i++) {
      let input = "";
      const len = Math.floor(next() * 16);
      for (let j = 0; j < len; j++) input += alphabet[Math.floor(next() * alphabet.length)];
      const ref = model(opts, input);
      seen.add(ref.error);
      for (const { name, chunks } of chunkings(bytes(input), 2)) {
        const out = run(opts, chunks);
        if (JSON.stringify(out) !== JSON.stringify(ref)) {
          expect({ input, name, out }).toEqual({ input, name, out: ref });
        }
      }
    }
    expect([...seen].sort()).toEqual([null, "line-too-long", "too-big"].sort());
  });
});

describe("ChunkCollector (RFC 3030 §2)", () => {
  test("takes exactly the announced octets; the rest is the next command", () => {
    const c = new ChunkCollector({ maxBytes: 100 });
    c.expect(5);
    expect(c.push(bytes("hel"))).toEqual({ consumed: 3, remaining: 2 });
    expect(c.push(bytes("lo\r\nBDAT 3 LAST\r\n"))).toEqual({ consumed: 2, remaining: 0 });
    c.expect(3);
    expect(c.push(bytes(".\r\n"))).toEqual({ consumed: 3, remaining: 0 });
    expect(c.push(bytes("QUIT\r\n"))).toEqual({ consumed: 0, remaining: 0 });
    expect(latin1(c.result().body)).toBe("hello.\r\n");
    expect(c.result().error).toBeNull();
  });

  test("binary data is kept verbatim: no dot or line handling", () => {
    const data = bytes("\r\n.\r\n\n\r..\0\xff");
    for (const { chunks } of chunkings(data)) {
      const c = new ChunkCollector({ maxBytes: 100 });
      c.expect(data.length);
      for (const ch of chunks) c.push(ch);
      expect(c.result()).toEqual({ body: data, error: null });
    }
  });

  test("BDAT 0 and BDAT 0 LAST", () => {
    const c = new ChunkCollector({ maxBytes: 10 });
    c.expect(0);
    expect(c.remaining).toBe(0);
    expect(c.push(bytes("RSET\r\n"))).toEqual({ consumed: 0, remaining: 0 });
    expect(c.result()).toEqual({ body: new Uint8Array(0), error: null });
  });

  test("too-big across chunks: flagged when announced, bytes still consumed", () => {
    const c = new ChunkCollector({ maxBytes: 10 });
    c.expect(8);
    c.push(bytes("12345678"));
    expect(c.tooBig).toBe(false);
    c.expect(8);
    expect(c.tooBig).toBe(true);
    expect(c.push(bytes("abcdefghQUIT\r\n"))).toEqual({ consumed: 8, remaining: 0 });
    const r = c.result();
    expect(r.error).toBe("too-big");
    expect(r.body.length).toBeLessThanOrEqual(10);
    c.reset();
    expect(c.result()).toEqual({ body: new Uint8Array(0), error: null });
  });

  test("huge announced size never allocates it", () => {
    const c = new ChunkCollector({ maxBytes: 1024 });
    c.expect(Number.MAX_SAFE_INTEGER);
    expect(c.tooBig).toBe(true);
    const big = new Uint8Array(1 << 20);
    expect(c.push(big)).toEqual({ consumed: 1 << 20, remaining: Number.MAX_SAFE_INTEGER - (1 << 20) });
    expect(c.result().body.length).toBe(0);
  });
});
