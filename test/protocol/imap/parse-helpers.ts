// Test helpers for the IMAP framer and parser: every way to cut an input into chunks, a
// framer runner that records events as plain data, and parse() that checks split-invariance.
import { expect } from "bun:test";
import { CommandFramer } from "../../../src/protocol/imap/framer.ts";
import type { FramedCommand, FramerEvent, FramerLimits } from "../../../src/protocol/imap/framer.ts";
import { parseCommand } from "../../../src/protocol/imap/parser.ts";
import type { ParseResult } from "../../../src/protocol/imap/types.ts";
import { rng } from "../../helpers/rng.ts";

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Bytes from a string of code points 0–255 (for NUL, 8-bit and invalid UTF-8 inputs). */
export const raw = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const latin1 = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

export const BIG: FramerLimits = { maxLine: 65536, maxLiteral: 1 << 20, maxCommand: 1 << 21, maxLiterals: 1000 };


/** Whole; every two-way split (when small enough); byte by byte; seeded random cuts. */
export function* chunkings(input: Uint8Array, everySplit = input.length <= 4096): Generator<{ name: string; chunks: Uint8Array[] }> {
  yield { name: "whole", chunks: [input] };
  if (everySplit) {
    for (let k = 0; k <= input.length; k++) yield { name: `split@${k}`, chunks: [input.subarray(0, k), input.subarray(k)] };
    const single: Uint8Array[] = [];
    for (let i = 0; i < input.length; i++) single.push(input.subarray(i, i + 1));
    yield { name: "byte-by-byte", chunks: single };
  }
  const next = rng(input.length);
  for (let r = 0; r < 4; r++) {
    const chunks: Uint8Array[] = [];
    let i = 0;
    while (i < input.length) {
      const n = 1 + Math.floor(next() * (everySplit ? 7 : 5000));
      chunks.push(input.subarray(i, i + n));
      i += n;
    }
    yield { name: `random#${r}`, chunks };
  }
}

export type Recorded =
  | { type: "command"; line: string; segments: string[]; literals: { data: string; binary: boolean; sync: boolean }[] }
  | { type: "continue"; text: string }
  | { type: "reject"; tag: string | null; response: string; fatal: boolean };

export function record(ev: FramerEvent): Recorded {
  if (ev.type !== "command") return { ...ev };
  return {
    type: "command",
    line: latin1(ev.line),
    segments: ev.segments.map(latin1),
    literals: ev.literals.map((l) => ({ data: latin1(l.data), binary: l.binary, sync: l.sync })),
  };
}

/** Push each chunk and drain next() after each; the events as plain data. */
export function runFramer(limits: FramerLimits, chunks: Uint8Array[]): { events: Recorded[]; commands: FramedCommand[] } {
  const f = new CommandFramer(limits);
  const events: Recorded[] = [];
  const commands: FramedCommand[] = [];
  for (const c of chunks) {
    f.push(c);
    for (let ev = f.next(); ev !== null; ev = f.next()) {
      events.push(record(ev));
      if (ev.type === "command") commands.push(ev);
    }
  }
  return { events, commands };
}

/** Frame an input under every chunking and require identical events; the whole-input run. */
export function frameAll(input: Uint8Array | string, limits: FramerLimits = BIG): { events: Recorded[]; commands: FramedCommand[] } {
  const data = typeof input === "string" ? bytes(input) : input;
  const ref = runFramer(limits, [data]);
  for (const { name, chunks } of chunkings(data)) {
    const got = runFramer(limits, chunks).events;
    if (Bun.deepEquals(got, ref.events, true)) continue;
    expect({ chunking: name, events: got }).toEqual({ chunking: name, events: ref.events });
  }
  return ref;
}

/** Frame one command (CRLF appended), check split-invariance, and parse it. */
export function parse(input: string | Uint8Array): ParseResult {
  const data = Uint8Array.from([...(typeof input === "string" ? bytes(input) : input), 13, 10]);
  const { events, commands } = frameAll(data);
  const rejects = events.filter((e) => e.type === "reject");
  expect(rejects).toEqual([]);
  expect(commands.length).toBe(1);
  return parseCommand(commands[0]);
}

/** The parsed command of a valid input (fails the test otherwise). */
export function ok(input: string | Uint8Array): unknown {
  const r = parse(input);
  if (!r.ok) throw new Error(`expected OK for ${JSON.stringify(typeof input === "string" ? input : latin1(input))}, got ${r.tag} ${r.status} ${r.text}`);
  return r.command;
}
