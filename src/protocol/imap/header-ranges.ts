// Header fields of a MIME entity as byte ranges and lower-cased names only: what
// BODY[HEADER.FIELDS …] and SEARCH need to pick fields, without decoding and unfolding every
// value (src/protocol/mime/header.ts does that for all of them). The same lines are fields as
// there: same cap, same continuation and field-name rules.

import { COLON, HT, LF, SP, decodeText, indexOfByte } from "../mime/bytes.ts";
import { DEFAULT_MIME_LIMITS } from "../mime/limits.ts";
import { isFieldName, unfold } from "../mime/header.ts";
import type { MimePart } from "../mime/types.ts";

/** raw[start, end) are the field's lines (line ends included); its value starts at valueStart. */
export type FieldRange = { readonly name: string; readonly start: number; readonly valueStart: number; readonly end: number };

/** Mirrors scanFields (src/protocol/mime/header.ts): fields of raw[start, end), at most maxBytes read. */
export function scanFieldRanges(raw: Uint8Array, start: number, end: number, maxBytes: number): FieldRange[] {
  const cap = Math.min(end, start + Math.max(0, maxBytes));
  const out: FieldRange[] = [];
  let oStart = -1;
  let oNameEnd = 0;
  let oValue = 0;
  let oEnd = 0;
  let p = start;
  const close = () => {
    if (oStart >= 0) out.push({ name: lowerAscii(raw, oStart, oNameEnd), start: oStart, valueStart: oValue, end: oEnd });
    oStart = -1;
  };
  while (p < end) {
    const lf = indexOfByte(raw, LF, p, cap);
    const next = lf === -1 ? end : lf + 1;
    if (lf === -1 && cap < end) {
      // This line runs past the cap: drop the open field too if the line continues it.
      if (raw[p] === SP || raw[p] === HT) oStart = -1;
      break;
    }
    if (raw[p] === SP || raw[p] === HT) {
      // RFC 5322 §2.2.3: a line starting with WSP continues the previous field.
      if (oStart >= 0) oEnd = next;
      p = next;
      continue;
    }
    close();
    const lineEnd = lf === -1 ? end : lf;
    const colon = indexOfByte(raw, COLON, p, lineEnd);
    if (colon > p) {
      let nameEnd = colon;
      // RFC 5322 §4.5.8 (obs-optional): WSP may stand between the field name and the colon.
      while (nameEnd > p && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HT)) nameEnd--;
      if (isFieldName(raw, p, nameEnd)) {
        oStart = p;
        oNameEnd = nameEnd;
        oValue = colon + 1;
        oEnd = next;
      }
    }
    p = next;
  }
  close();
  return out;
}

/** The top-level (or a part's) header fields as headerFields() would find them. */
export function fieldRanges(raw: Uint8Array, part: Pick<MimePart, "headerStart" | "headerEnd">, maxHeaderBytes: number = DEFAULT_MIME_LIMITS.maxHeaderBytes): FieldRange[] {
  const end = Math.min(part.headerEnd, raw.length);
  return scanFieldRanges(raw, Math.max(0, part.headerStart), end, maxHeaderBytes);
}

/** The unfolded value of a field, exactly as headerFields() gives it (RFC 5322 §2.2.3). */
export function fieldValue(raw: Uint8Array, f: FieldRange): string {
  return unfold(decodeText(raw.subarray(f.valueStart, f.end)));
}


function lowerAscii(raw: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) {
    const c = raw[i]!;
    s += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
  }
  return s;
}
