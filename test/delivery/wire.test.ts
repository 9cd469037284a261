// Outbound DATA framing: CRLF normalisation, dot-stuffing, and the smuggling property — after
// toWireLines + dotStuff + "." CRLF, the only end-of-data sequence is the one we append.

import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import { dotStuff, END_OF_DATA, toDataStream, toWireLines } from "../../src/delivery/wire.ts";
import { prng } from "../protocol/mime/helpers.ts";

const b = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const s = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("latin1");

describe("toWireLines", () => {
  const cases: [string, string, string][] = [
    ["empty stays empty", "", ""],
    ["CRLF lines unchanged", "a\r\nb\r\n", "a\r\nb\r\n"],
    ["bare LF", "a\nb\n", "a\r\nb\r\n"],
    ["bare CR", "a\rb\r", "a\r\nb\r\n"],
    ["missing final line end", "a\r\nb", "a\r\nb\r\n"],
    ["LF CR is two line ends", "a\n\rb", "a\r\n\r\nb\r\n"],
    ["CR CR LF", "a\r\r\nb", "a\r\n\r\nb\r\n"],
    ["mixed", "x\ny\r\nz\rw", "x\r\ny\r\nz\r\nw\r\n"],
    ["only LF", "\n", "\r\n"],
    ["only CR", "\r", "\r\n"],
    ["8-bit bytes pass", "\xe9\n\xff", "\xe9\r\n\xff\r\n"],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => expect(s(toWireLines(b(input)))).toBe(want));
  }

  test("returns the same array when nothing changes", () => {
    const body = b("a\r\nb\r\n");
    expect(toWireLines(body)).toBe(body);
  });

  test("long runs of one line-end kind stay linear and correct", () => {
    const body = b("x\n".repeat(10_000) + "y\r".repeat(10_000));
    expect(s(toWireLines(body))).toBe("x\r\n".repeat(10_000) + "y\r\n".repeat(10_000));
  });
});

describe("dotStuff (RFC 5321 §4.5.2)", () => {
  const cases: [string, string, string][] = [
    ["no dots", "a\r\nb\r\n", "a\r\nb\r\n"],
    ["dot at start of body", ".a\r\n", "..a\r\n"],
    ["dot after CRLF", "a\r\n.\r\n", "a\r\n..\r\n"],
    ["dot line and dot-dot line", ".\r\n..\r\n", "..\r\n...\r\n"],
    ["dot inside a line untouched", "a.b\r\n", "a.b\r\n"],
    ["final dot without line end", "a\r\n.", "a\r\n.."],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => expect(s(dotStuff(b(input)))).toBe(want));
  }
  test("returns the same array when nothing changes", () => {
    const body = b("a\r\nb.\r\n");
    expect(dotStuff(body)).toBe(body);
  });
});

/** Every place a lenient or strict receiver could see an end of data ([CR|LF] "." [CR|LF]). */
function endsOfData(afterDataCommand: string): number[] {
  const at: number[] = [];
  const re = /[\r\n]\.[\r\n]/g;
  for (let m = re.exec(afterDataCommand); m !== null; m = re.exec(afterDataCommand)) {
    at.push(m.index);
    re.lastIndex = m.index + 1;
  }
  return at;
}

/** Undoes dot-stuffing, as a receiver does (RFC 5321 §4.5.2). */
function unstuff(wire: string): string {
  return wire.replace(/(^|\r\n)\./g, "$1");
}

describe("data terminator safety", () => {
  const smuggles = ["\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "a\r\n.\r\nMAIL FROM:<x>\r\n", ".", "\r\n.\r\n", "..\n", "x\r\n.\r"];
  for (const body of smuggles) {
    test(`only the final terminator in ${JSON.stringify(body)}`, () => {
      const stream = s(toDataStream(b(body)));
      // The DATA command line ended with CRLF, so the stream is read after one.
      const seen = "\r\n" + stream;
      expect(endsOfData(seen)).toEqual([seen.length - 4]);
      expect(seen.endsWith("\r\n.\r\n")).toBe(true);
      expect(/\r(?!\n)|(?<!\r)\n/.test(stream)).toBe(false);
    });
  }

  test("random bodies over CR, LF, '.', 'a': one terminator, content preserved", () => {
    const rnd = prng(42);
    const alphabet = ["\r", "\n", ".", "a"];
    for (let k = 0; k < 2000; k++) {
      let body = "";
      const len = Math.floor(rnd() * 24);
      for (let i = 0; i < len; i++) body += alphabet[Math.floor(rnd() * 4)];
      const stream = s(toDataStream(b(body)));
      const seen = "\r\n" + stream;
      expect(endsOfData(seen)).toEqual([seen.length - 4]);
      // What the receiver reconstructs is the body with CRLF line ends.
      const content = stream.slice(0, stream.length - END_OF_DATA.length);
      expect(unstuff(content)).toBe(s(toWireLines(b(body))));
    }
  });
});
