// Parameterised MIME field values ("value; attr=val; ..."): RFC 2045 §5.1 tokens and quoted
// strings, RFC 5322 comments, RFC 2231 continuations and charsets, RFC 2047 words as found.

import { decodeCharset, decodeWords } from "./words.ts";
import { concatBytes } from "../bytes.ts";

export type Parameterized = { value: string; params: Record<string, string> };

const SEMI = 0x3b;
const EQ = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x28;
const CLOSE = 0x29;

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** RFC 5322 §3.2.2: skips a (possibly nested) comment starting at `i`; returns the index after. */
export function skipComment(s: string, i: number): number {
  let depth = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === OPEN) depth++;
    else if (c === CLOSE && --depth === 0) return i + 1;
  }
  return s.length;
}

type Read = { text: string; next: number };

/** RFC 5322 §3.2.4 quoted-string at `i` (the opening quote): content with quoted-pairs undone. */
export function readQuoted(s: string, i: number): Read {
  let text = "";
  let from = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) {
      text += s.slice(from, j);
      from = j + 1;
      j++;
    } else if (c === QUOTE) {
      return { text: text + s.slice(from, j), next: j + 1 };
    }
  }
  // Unterminated: the rest of the value is the content.
  return { text: text + s.slice(from), next: s.length };
}

/**
 * Reads up to the next top-level ";" (or "=" when `stopAtEq`). Comments count as whitespace;
 * whitespace outside quotes collapses to one space and is trimmed at both ends.
 */
function readUntil(s: string, i: number, stopAtEq: boolean): Read & { quoted: boolean } {
  let text = "";
  let pendingSpace = false;
  let quoted = false;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === SEMI || (stopAtEq && c === EQ)) break;
    if (isWsp(c)) {
      pendingSpace = text.length > 0 || quoted;
      i++;
      continue;
    }
    if (c === OPEN) {
      pendingSpace = text.length > 0 || quoted;
      i = skipComment(s, i);
      continue;
    }
    if (pendingSpace) text += " ";
    pendingSpace = false;
    if (c === QUOTE) {
      const q = readQuoted(s, i);
      text += q.text;
      quoted = true;
      i = q.next;
      continue;
    }
    let j = i + 1;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === SEMI || d === QUOTE || d === OPEN || isWsp(d) || (stopAtEq && d === EQ)) break;
      j++;
    }
    text += s.slice(i, j);
    i = j;
  }
  return { text, next: i, quoted };
}

/** Removes RFC 5322 comments and trims; for fields such as Content-Transfer-Encoding. */
export function stripComments(s: string): string {
  return readUntil(s.replaceAll(";", " "), 0, false).text;
}

type Segment = { n: number; encoded: boolean; value: string };

/** Parses "value *(; attribute=value)"; never throws, ignores attributes without "=". */
export function parseParameterized(s: string): Parameterized {
  const head = readUntil(s, 0, false);
  let i = head.next;
  const plain = new Map<string, string>();
  const extended = new Map<string, Segment[]>();
  while (i < s.length) {
    i++; // the ";"
    const attr = readUntil(s, i, true);
    i = attr.next;
    if (i >= s.length || s.charCodeAt(i) !== EQ) continue;
    const val = readUntil(s, i + 1, false);
    i = val.next;
    const name = attr.text.toLowerCase();
    if (name === "") continue;
    const star = name.indexOf("*");
    if (star <= 0) {
      if (!plain.has(name)) plain.set(name, val.text);
      continue;
    }
    const seg = segmentOf(name.slice(star + 1), val.text);
    if (!seg) {
      if (!plain.has(name)) plain.set(name, val.text);
      continue;
    }
    const base = name.slice(0, star);
    const list = extended.get(base);
    if (list) list.push(seg);
    else extended.set(base, [seg]);
  }
  const params = new Map<string, string>();
  // Encoded words in parameters break RFC 2047 §5 but are common; a boundary may legitimately
  // contain "=?" (RFC 2046 §5.1.1 bchars), so it is never decoded.
  for (const [k, v] of plain) params.set(k, k === "boundary" ? v : decodeWords(v));
  // RFC 2231 §3-4 (and RFC 6266 §4.3): the extended form overrides the plain fallback.
  for (const [k, segs] of extended) params.set(k, assemble(segs, k !== "boundary"));
  return { value: head.text, params: Object.fromEntries(params) };
}

/** RFC 2231: "*" alone is one encoded value; "*N" a literal segment; "*N*" an encoded one. */
function segmentOf(suffix: string, value: string): Segment | null {
  if (suffix === "") return { n: 0, encoded: true, value };
  const encoded = suffix.endsWith("*");
  const digits = encoded ? suffix.slice(0, -1) : suffix;
  if (digits === "" || digits.length > 6) return null;
  for (let k = 0; k < digits.length; k++) {
    const c = digits.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return null;
  }
  return { n: Number(digits), encoded, value };
}

function assemble(segs: Segment[], words: boolean): string {
  segs.sort((a, b) => a.n - b.n);
  let charset: string | null = null;
  const chunks: Uint8Array[] = [];
  let hasEncoded = false;
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k]!;
    if (k > 0 && seg.n === segs[k - 1]!.n) continue; // duplicate segment number: first wins
    let v = seg.value;
    if (seg.encoded) {
      hasEncoded = true;
      if (k === 0) {
        // RFC 2231 §4: charset'language'value, only in the first segment.
        const q1 = v.indexOf("'");
        const q2 = q1 === -1 ? -1 : v.indexOf("'", q1 + 1);
        if (q2 !== -1) {
          charset = v.slice(0, q1);
          v = v.slice(q2 + 1);
        }
      }
      chunks.push(percentDecode(v));
    } else {
      chunks.push(ENCODER.encode(v));
    }
  }
  const bytes = chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
  if (!hasEncoded) {
    const text = decodeCharset(bytes, "");
    return words ? decodeWords(text) : text;
  }
  return decodeCharset(bytes, charset ?? "");
}

const ENCODER = new TextEncoder();

/** RFC 2231 §4: %XX octets; a "%" not followed by two hex digits is kept literally. */
function percentDecode(v: string): Uint8Array {
  const raw = ENCODER.encode(v);
  const out = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x25 && i + 2 < raw.length && hex(raw[i + 1]!) >= 0 && hex(raw[i + 2]!) >= 0) {
      out[n++] = hex(raw[i + 1]!) * 16 + hex(raw[i + 2]!);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
