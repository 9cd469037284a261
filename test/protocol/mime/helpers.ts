// Shared helpers for the MIME parser tests: building raw messages with a chosen line ending,
// slicing offsets back to text, and checking the structural invariants of a parse result.

import { expect } from "bun:test";
import type { MimePart, ParsedMessage } from "../../../src/protocol/mime/types.ts";
import { rng } from "../../helpers/rng.ts";

export type Eol = "\r\n" | "\n";
export const EOLS: Eol[] = ["\r\n", "\n"];

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Joins lines with `eol` and encodes as UTF-8. */
export function msg(lines: string[], eol: Eol = "\r\n"): Uint8Array {
  return enc.encode(lines.join(eol));
}

export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

/** The text of raw[start, end). */
export function slice(raw: Uint8Array, start: number, end: number): string {
  return dec.decode(raw.subarray(start, end));
}

export function body(raw: Uint8Array, part: MimePart): string {
  return slice(raw, part.bodyStart, part.bodyEnd);
}

export function header(raw: Uint8Array, part: MimePart): string {
  return slice(raw, part.headerStart, part.headerEnd);
}

/** Offsets ordered and inside the parent; children disjoint and in order; sizes consistent. */
export function checkInvariants(raw: Uint8Array, parsed: ParsedMessage): number {
  let count = 0;
  const visit = (p: MimePart, lo: number, hi: number, depth: number): void => {
    count++;
    expect(depth).toBeLessThan(300);
    expect(lo <= p.headerStart).toBe(true);
    expect(p.headerStart <= p.headerEnd).toBe(true);
    expect(p.headerEnd <= p.bodyStart).toBe(true);
    expect(p.bodyStart <= p.bodyEnd).toBe(true);
    expect(p.bodyEnd <= hi).toBe(true);
    expect(p.size).toBe(p.bodyEnd - p.bodyStart);
    expect(p.lines >= 0 && p.lines <= p.size).toBe(true);
    expect(p.parts !== undefined).toBe(p.contentType.type === "multipart");
    let prev = p.bodyStart;
    for (const c of p.parts ?? []) {
      expect(c.headerStart >= prev).toBe(true);
      visit(c, p.bodyStart, p.bodyEnd, depth + 1);
      prev = c.bodyEnd;
    }
    if (p.message) {
      expect(p.message.part.headerStart).toBe(p.bodyStart);
      expect(p.message.part.bodyEnd).toBe(p.bodyEnd);
      visit(p.message.part, p.bodyStart, p.bodyEnd, depth + 1);
    }
  };
  visit(parsed.root, 0, raw.length, 0);
  expect(parsed.root.headerStart).toBe(0);
  expect(parsed.root.bodyEnd).toBe(raw.length);
  return count;
}

export const prng = rng;
