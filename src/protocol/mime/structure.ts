// The recursive MIME structure walk over byte ranges (RFC 2045, RFC 2046 §5, RFC 5322 §2.1).
// Each level scans only its own range, so work is O(depth × size); depth and part count are
// capped by MimeLimits, and reaching a cap stops descent and marks the result truncated.

import { CR, DASH, HT, indexOfByte, LF, SP, countLines, splitHeader } from "./bytes.ts";
import type { WorkMeter } from "./bytes.ts";
import { entityFields, IDENTITY_ENCODINGS, messageRfc822, textPlain } from "./content-type.ts";
import { buildEnvelope } from "./envelope.ts";
import { scanFields } from "./header.ts";
import type { ContentType, HeaderField, MimeLimits, MimePart } from "./types.ts";

type Walk = { raw: Uint8Array; limits: MimeLimits; meter: WorkMeter; parts: number; truncated: boolean };

export type Structure = { root: MimePart; fields: HeaderField[]; truncated: boolean };

/** Parses raw[0, raw.length) as a message; `limits` must already be sane (see parseMime). */
export function parseStructure(raw: Uint8Array, limits: MimeLimits, meter: WorkMeter): Structure {
  const walk: Walk = { raw, limits, meter, parts: 0, truncated: false };
  const { part, fields } = parsePart(walk, 0, raw.length, 0, textPlain);
  return { root: part, fields, truncated: walk.truncated };
}

function parsePart(
  walk: Walk,
  start: number,
  end: number,
  depth: number,
  fallback: () => ContentType,
): { part: MimePart; fields: HeaderField[] } {
  const { raw, meter } = walk;
  walk.parts++;
  const { headerEnd, bodyStart } = splitHeader(raw, start, end, meter);
  const scan = scanFields(raw, start, headerEnd, walk.limits.maxHeaderBytes);
  meter.bytes += Math.min(headerEnd - start, walk.limits.maxHeaderBytes);
  if (scan.truncated) walk.truncated = true;
  const part: MimePart = {
    headerStart: start,
    headerEnd,
    bodyStart,
    bodyEnd: end,
    ...entityFields(scan.fields, fallback),
    lines: countLines(raw, bodyStart, end, meter),
    size: end - bodyStart,
  };
  const { type, subtype } = part.contentType;
  if (type === "multipart") {
    part.parts = parseMultipart(walk, part, depth);
  } else if (type === "message" && (subtype === "rfc822" || subtype === "global")) {
    // RFC 2046 §5.2.1, RFC 6532 §3.7: only an identity-encoded body is a message we can point into.
    if (IDENTITY_ENCODINGS.has(part.encoding) && mayDescend(walk, depth)) {
      const inner = parsePart(walk, bodyStart, end, depth + 1, textPlain);
      part.message = { envelope: buildEnvelope(inner.fields), part: inner.part };
    }
  }
  return { part, fields: scan.fields };
}

function mayDescend(walk: Walk, depth: number): boolean {
  if (depth + 1 <= walk.limits.maxDepth && walk.parts < walk.limits.maxParts) return true;
  walk.truncated = true;
  return false;
}

type Delimiter = { lineStart: number; next: number; close: boolean };

/**
 * RFC 2046 §5.1.1: body parts lie between delimiter lines; the preamble before the first and
 * the epilogue after the close-delimiter are ignored. Without a close-delimiter the last part
 * runs to the end of the multipart body (the enclosing delimiter already bounds it).
 */
function parseMultipart(walk: Walk, parent: MimePart, depth: number): MimePart[] {
  const children: MimePart[] = [];
  const boundary = parent.contentType.params.boundary;
  if (!boundary) return children;
  const needle = new TextEncoder().encode(boundary);
  // RFC 2046 §5.1.5: in multipart/digest the default body part type is message/rfc822.
  const fallback = parent.contentType.subtype === "digest" ? messageRfc822 : textPlain;
  const { raw, meter } = walk;
  let pos = parent.bodyStart;
  let open = -1;
  for (;;) {
    const d = nextDelimiter(raw, needle, pos, parent.bodyEnd, meter);
    // A delimiter that ends the data (no close-delimiter, nothing after it) opens no part.
    const empty = d === null && open === parent.bodyEnd;
    if (open !== -1 && !empty) {
      if (!mayDescend(walk, depth)) break;
      const partEnd = d === null ? parent.bodyEnd : endBefore(raw, d.lineStart, open);
      children.push(parsePart(walk, open, partEnd, depth + 1, fallback).part);
    }
    if (d === null || d.close) break;
    open = d.next;
    pos = d.next;
  }
  return children;
}

/** RFC 2046 §5.1.1: the line end before a delimiter belongs to the delimiter, not the part. */
function endBefore(raw: Uint8Array, lineStart: number, open: number): number {
  let e = lineStart;
  if (e > open && raw[e - 1] === LF) {
    e--;
    if (e > open && raw[e - 1] === CR) e--;
  }
  return Math.max(e, open);
}

/**
 * Finds the next line in raw[from, to) that is "--" boundary ["--"] followed only by
 * transport padding (RFC 2046 §5.1.1). Requiring padding-only after the boundary is what keeps
 * a boundary that is a prefix of another ("--foo" vs "--foobar") from matching the longer one.
 */
function nextDelimiter(raw: Uint8Array, needle: Uint8Array, from: number, to: number, meter: WorkMeter): Delimiter | null {
  let p = from;
  while (p < to) {
    const lf = indexOfByte(raw, LF, p, to);
    const lineEnd = lf === -1 ? to : lf;
    const next = lf === -1 ? to : lf + 1;
    if (raw[p] === DASH && raw[p + 1] === DASH && lineEnd - p >= needle.length + 2) {
      let q = p + 2;
      let k = 0;
      while (k < needle.length && raw[q] === needle[k]) {
        q++;
        k++;
      }
      if (k === needle.length) {
        const close = q + 1 < lineEnd && raw[q] === DASH && raw[q + 1] === DASH;
        if (close) q += 2;
        while (q < lineEnd && (raw[q] === SP || raw[q] === HT || raw[q] === CR)) q++;
        if (q === lineEnd) {
          meter.bytes += next - from;
          return { lineStart: p, next, close };
        }
      }
    }
    p = next;
  }
  meter.bytes += to - from;
  return null;
}
