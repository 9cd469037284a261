// Test helper: every way the data-decoder tests cut an input into chunks (whole, each
// two-way split, byte by byte, seeded random cuts) and a runner that concatenates the outcome.
import { DataDecoder } from "../../../src/protocol/smtp/data-decoder.ts";
import type { DataDecoderOptions, DataError } from "../../../src/protocol/smtp/data-decoder.ts";
import { rng } from "../../helpers/rng.ts";

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const latin1 = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

export { rng };

export function* chunkings(input: Uint8Array, randomCuts = 4): Generator<{ name: string; chunks: Uint8Array[] }> {
  yield { name: "whole", chunks: [input] };
  for (let k = 0; k <= input.length; k++) {
    yield { name: `split@${k}`, chunks: [input.subarray(0, k), input.subarray(k)] };
  }
  const single: Uint8Array[] = [];
  for (let i = 0; i < input.length; i++) single.push(input.subarray(i, i + 1));
  yield { name: "byte-by-byte", chunks: single };
  const next = rng(input.length);
  for (let r = 0; r < randomCuts; r++) {
    const chunks: Uint8Array[] = [];
    let i = 0;
    while (i < input.length) {
      const n = 1 + Math.floor(next() * 7);
      chunks.push(input.subarray(i, i + n));
      i += n;
    }
    yield { name: `random#${r}`, chunks };
  }
}

export type Outcome = { done: boolean; doneCount: number; rest: string; body: string; error: DataError | null };

/** Feed chunks; keep pushing after the end to check that later bytes all come back as rest. */
export function run(opts: DataDecoderOptions, chunks: Uint8Array[]): Outcome {
  const d = new DataDecoder(opts);
  let doneCount = 0;
  let rest = "";
  let wasDone = false;
  for (const c of chunks) {
    const r = d.push(c);
    if (r.done) {
      if (!wasDone) doneCount++;
      wasDone = true;
      rest += latin1(r.rest);
    }
  }
  const { body, error } = d.result();
  return { done: wasDone, doneCount, rest, body: latin1(body), error };
}

/**
 * Reference model written independently of the decoder: split the input at CRLF; the first
 * line that is exactly "." ends the data; any other CR or LF in a line is a bare one.
 */
export function model(opts: DataDecoderOptions, input: string): Outcome {
  let pos = 0;
  let body = "";
  let bare = false;
  let long = false;
  let done = false;
  let rest = "";
  for (;;) {
    const idx = input.indexOf("\r\n", pos);
    const line = idx < 0 ? input.slice(pos) : input.slice(pos, idx);
    if (idx >= 0 && line === ".") {
      done = true;
      rest = input.slice(idx + 2);
      break;
    }
    const content = line.startsWith(".") ? line.slice(1) : line;
    // An unfinished input ending in CR may still become CRLF: that CR is not stored yet.
    const stored = idx < 0 && content.endsWith("\r") ? content.slice(0, -1) : content;
    if (/[\r\n]/.test(stored)) bare = true;
    if (stored.length > opts.maxLineLength - 2) long = true;
    body += idx < 0 ? stored : `${stored}\r\n`;
    if (idx < 0) break;
    pos = idx + 2;
  }
  const tooBig = body.length > opts.maxBytes;
  const error: DataError | null = bare ? "bare-cr-lf" : tooBig ? "too-big" : long ? "line-too-long" : null;
  return { done, doneCount: done ? 1 : 0, rest, body: body.slice(0, Math.max(0, opts.maxBytes)), error };
}
