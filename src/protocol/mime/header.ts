// Header field extraction for one MIME entity: splits the header block into fields, unfolds
// them (RFC 5322 §2.2.3) and skips lines that are not fields, within a byte cap.

import { COLON, CR, decodeText, HT, indexOfByte, LF, SP, trimWsp } from "./bytes.ts";
import { DEFAULT_MIME_LIMITS } from "./limits.ts";
import type { HeaderField, MimePart } from "./types.ts";

export type FieldScan = { fields: HeaderField[]; truncated: boolean };

type Open = { start: number; nameEnd: number; valueStart: number; end: number };

/**
 * Fields of raw[start, end), reading at most `maxBytes` of it. A field cut by the cap is
 * dropped whole rather than returned half-read; `truncated` then tells the caller.
 */
export function scanFields(raw: Uint8Array, start: number, end: number, maxBytes: number): FieldScan {
  const cap = Math.min(end, start + Math.max(0, maxBytes));
  const fields: HeaderField[] = [];
  let open: Open | null = null;
  let truncated = false;
  let p = start;
  while (p < end) {
    const lf = indexOfByte(raw, LF, p, cap);
    const next = lf === -1 ? end : lf + 1;
    if (lf === -1 && cap < end) {
      // This line runs past the cap: drop the open field too if the line continues it.
      truncated = true;
      if (raw[p] === SP || raw[p] === HT) open = null;
      break;
    }
    if (raw[p] === SP || raw[p] === HT) {
      // RFC 5322 §2.2.3: a line starting with WSP continues the previous field.
      if (open) open.end = next;
      p = next;
      continue;
    }
    if (open) fields.push(finish(raw, open));
    open = null;
    const lineEnd = lf === -1 ? end : lf;
    const colon = indexOfByte(raw, COLON, p, lineEnd);
    if (colon > p) {
      let nameEnd = colon;
      // RFC 5322 §4.5.8 (obs-optional): WSP may stand between the field name and the colon.
      while (nameEnd > p && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HT)) nameEnd--;
      if (isFieldName(raw, p, nameEnd)) open = { start: p, nameEnd, valueStart: colon + 1, end: next };
    }
    // Lines without a colon (mbox "From " lines, garbage) are not fields and are skipped.
    p = next;
  }
  if (open) fields.push(finish(raw, open));
  return { fields, truncated };
}

/** RFC 5322 §3.6.8: field-name = 1*ftext, printable US-ASCII except ":". */
export function isFieldName(raw: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = raw[i]!;
    if (c < 33 || c > 126 || c === COLON) return false;
  }
  return true;
}

function finish(raw: Uint8Array, open: Open): HeaderField {
  let name = "";
  for (let i = open.start; i < open.nameEnd; i++) name += String.fromCharCode(raw[i]!);
  return { name, value: unfold(decodeText(raw.subarray(open.valueStart, open.end))), start: open.start, end: open.end };
}

/** RFC 5322 §2.2.3: unfolding removes each CRLF that precedes WSP; then surrounding WSP goes. */
export function unfold(s: string): string {
  if (s.indexOf("\n") === -1 && s.indexOf("\r") === -1) return trimWsp(s);
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF || c === CR) {
      out += s.slice(from, i);
      from = i + 1;
    }
  }
  return trimWsp(out + s.slice(from));
}

/** The unfolded value of the first field named `name` (case-insensitive), or null. */
export function firstValue(fields: readonly HeaderField[], name: string): string | null {
  for (const f of fields) if (f.name.toLowerCase() === name) return f.value;
  return null;
}

/**
 * Header fields of a part as stored by parseMime, unfolded, in order, with the byte range of
 * each field's raw lines (for BODY[HEADER.FIELDS], which must return the original bytes).
 */
export function headerFields(
  raw: Uint8Array,
  part: MimePart,
  maxHeaderBytes: number = DEFAULT_MIME_LIMITS.maxHeaderBytes,
): HeaderField[] {
  const end = Math.min(part.headerEnd, raw.length);
  return scanFields(raw, Math.max(0, part.headerStart), end, maxHeaderBytes).fields;
}
