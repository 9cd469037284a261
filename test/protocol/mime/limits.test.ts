// Adversarial input: limits stop parsing (truncated, never a throw) and the work, counted in
// bytes examined by a WorkMeter rather than wall-clock time, stays linear per nesting level.

import { describe, expect, test } from "bun:test";
import { DEFAULT_MIME_LIMITS } from "../../../src/protocol/mime/limits.ts";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import type { MimeLimits, MimePart } from "../../../src/protocol/mime/types.ts";
import { bytes, checkInvariants } from "./helpers.ts";

function depthOf(p: MimePart): number {
  let d = 0;
  for (const c of p.parts ?? []) d = Math.max(d, 1 + depthOf(c));
  if (p.message) d = Math.max(d, 1 + depthOf(p.message.part));
  return d;
}

function metered(raw: Uint8Array, limits: MimeLimits = DEFAULT_MIME_LIMITS) {
  const meter = { bytes: 0 };
  const parsed = parseMime(raw, limits, meter);
  const parts = checkInvariants(raw, parsed);
  return { parsed, parts, work: meter.bytes };
}

function nestedMultiparts(levels: number): Uint8Array {
  const out: string[] = [];
  for (let i = 0; i < levels; i++) out.push(`Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`);
  out.push("leaf\r\n");
  return bytes(out.join(""));
}

describe("limits and adversarial input", () => {
  test("100k nested multipart boundaries stop at maxDepth with linear work per level", () => {
    const raw = nestedMultiparts(100_000);
    const { parsed, parts, work } = metered(raw);
    expect(parsed.truncated).toBe(true);
    expect(depthOf(parsed.root)).toBe(DEFAULT_MIME_LIMITS.maxDepth);
    expect(parts).toBe(DEFAULT_MIME_LIMITS.maxDepth + 1);
    // Each level reads its own range a bounded number of times.
    expect(work).toBeLessThanOrEqual(3 * (DEFAULT_MIME_LIMITS.maxDepth + 1) * raw.length);
  });

  test("work grows linearly with input size (counted, not timed)", () => {
    const limits = { ...DEFAULT_MIME_LIMITS, maxDepth: 8 };
    const small = metered(nestedMultiparts(20_000), limits);
    const large = metered(nestedMultiparts(40_000), limits);
    expect(large.work / small.work).toBeLessThan(2.2);
  });

  test("a lower maxDepth is honoured exactly", () => {
    const { parsed } = metered(nestedMultiparts(50), { ...DEFAULT_MIME_LIMITS, maxDepth: 5 });
    expect(depthOf(parsed.root)).toBe(5);
    expect(parsed.truncated).toBe(true);
  });

  test("100k nested message/rfc822 stop at maxDepth", () => {
    const raw = bytes("Content-Type: message/rfc822\r\n\r\n".repeat(100_000) + "end");
    const { parsed, work } = metered(raw);
    expect(parsed.truncated).toBe(true);
    expect(depthOf(parsed.root)).toBe(DEFAULT_MIME_LIMITS.maxDepth);
    expect(work).toBeLessThanOrEqual(3 * (DEFAULT_MIME_LIMITS.maxDepth + 1) * raw.length);
  });

  test("500k sibling parts stop at maxParts and stop scanning", () => {
    const raw = bytes("Content-Type: multipart/mixed; boundary=s\r\n\r\n" + "--s\r\n\r\nx\r\n".repeat(500_000) + "--s--\r\n");
    const { parsed, parts, work } = metered(raw);
    expect(parsed.truncated).toBe(true);
    expect(parts).toBe(DEFAULT_MIME_LIMITS.maxParts);
    expect(parsed.root.parts!.length).toBe(DEFAULT_MIME_LIMITS.maxParts - 1);
    // The root's line count reads the whole body once; the scan itself stops at the cap.
    expect(work).toBeLessThanOrEqual(2 * raw.length);
  });

  test("a 10 MiB header line is skipped past the header cap", () => {
    const raw = bytes("Subject: " + "a".repeat(10 * 1024 * 1024) + "\r\nContent-Type: text/html\r\n\r\nbody");
    const { parsed, work } = metered(raw);
    expect(parsed.truncated).toBe(true);
    expect(parsed.subject).toBeNull();
    expect(parsed.root.bodyEnd - parsed.root.bodyStart).toBe(4);
    expect(work).toBeLessThanOrEqual(3 * raw.length);
  });

  test("a 10 MiB header without any line end", () => {
    const raw = bytes("X: " + "=?u?B?".repeat(2 * 1024 * 1024));
    const { parsed, work } = metered(raw);
    expect(parsed.truncated).toBe(true);
    expect(parsed.root.size).toBe(0);
    expect(work).toBeLessThanOrEqual(3 * raw.length);
  });

  test("a million header fields: only maxHeaderBytes of them are interpreted", () => {
    const raw = bytes("X-F: y\r\n".repeat(1_000_000) + "\r\nbody");
    const { parsed, work } = metered(raw);
    expect(parsed.truncated).toBe(true);
    expect(work).toBeLessThanOrEqual(3 * raw.length);
  });

  test("hostile header values inside the cap still parse", () => {
    const raw = bytes(
      [
        "To: " + "a <b@c>, ".repeat(20_000),
        "From: " + "(".repeat(50_000) + "x@y",
        "Content-Type: text/plain; " + Array.from({ length: 5000 }, (_, i) => `n*${i}*=%41`).join("; "),
        "Subject: " + "=?utf-8?B?w4k=?= ".repeat(5000),
        "Date: " + "1 ".repeat(10_000),
        "",
        "",
      ].join("\r\n"),
    );
    const { parsed } = metered(raw, { ...DEFAULT_MIME_LIMITS, maxHeaderBytes: 1024 * 1024 });
    expect(parsed.envelope.to!.length).toBe(20_000);
    expect(parsed.root.contentType.params.n).toBe("A".repeat(5000));
    expect(parsed.subject).toBe("É".repeat(5000));
    expect(parsed.date).toBeNull();
  });

  test("nonsense limits are clamped, never thrown on", () => {
    const raw = nestedMultiparts(400);
    for (const limits of [
      { maxDepth: -1, maxParts: 0, maxHeaderBytes: -5 },
      { maxDepth: Number.NaN, maxParts: Number.POSITIVE_INFINITY, maxHeaderBytes: Number.NaN },
      { maxDepth: 1e9, maxParts: 1e9, maxHeaderBytes: 1e12 },
    ]) {
      const { parsed } = metered(raw, limits);
      expect(depthOf(parsed.root)).toBeLessThanOrEqual(256);
    }
  });

  test("an unexpected internal failure degrades to one opaque body instead of throwing", () => {
    const raw = bytes("Subject: x\r\n\r\nbody");
    raw.subarray = () => {
      throw new Error("boom");
    };
    const parsed = parseMime(raw);
    expect(parsed.truncated).toBe(true);
    expect(parsed.root).toMatchObject({ bodyStart: 0, bodyEnd: raw.length, size: raw.length });
    expect(parsed.root.contentType.type).toBe("text");
  });
});
