// Reads the literal marker that may end a command line segment — "{" number64 ["+"] "}",
// with "~" for literal8 (RFC 9051 §9 literal, RFC 7888 §8, RFC 3516 §4.3) — and a line's tag.
import { isDigit, TAG_CHAR } from "./chars.ts";

export type LiteralMarker =
  | { readonly kind: "none" }
  /** Ends in "+}" but its size cannot be read: a LITERAL+ attempt the stream cannot survive. */
  | { readonly kind: "malformed" }
  /** `start` is the index of "{" (or of "~" for literal8); size is Infinity when absurd. */
  | { readonly kind: "literal"; readonly size: number; readonly sync: boolean; readonly binary: boolean; readonly start: number };

/** Only this many trailing bytes are looked at, so a discarded line needs no more buffered. */
export const MARKER_WINDOW = 64;
const NONE: LiteralMarker = { kind: "none" };
const MALFORMED: LiteralMarker = { kind: "malformed" };
/** Beyond 15 significant digits a size can only be absurd (and not exact as a double). */
const MAX_DIGITS = 15;

/** The marker ending `b[0..end)`, judged on its last MARKER_WINDOW bytes. */
export function literalMarker(b: Uint8Array, end: number): LiteralMarker {
  if (end === 0 || b[end - 1] !== 0x7d) return NONE;
  const floor = Math.max(0, end - MARKER_WINDOW);
  let j = end - 2;
  const sync = !(j >= floor && b[j] === 0x2b);
  if (!sync) j--;
  const digitsEnd = j + 1;
  while (j >= floor && isDigit(b[j])) j--;
  const digitsStart = j + 1;
  if (j >= floor && b[j] === 0x7b && digitsEnd > digitsStart) {
    let k = digitsStart;
    while (k < digitsEnd - 1 && b[k] === 0x30) k++;
    let size = Number.POSITIVE_INFINITY;
    if (digitsEnd - k <= MAX_DIGITS) {
      size = 0;
      for (; k < digitsEnd; k++) size = size * 10 + (b[k] - 0x30);
    }
    const binary = j - 1 >= floor && b[j - 1] === 0x7e;
    return { kind: "literal", size, sync, binary, start: binary ? j - 1 : j };
  }
  // A "}" ending an atom (e.g. a password) is no marker; "{" cannot occur in an atom, so a
  // "+}" with a "{" before it, or digits running past the window, is a broken LITERAL+.
  if (sync) return NONE;
  if (j < floor && floor > 0) return MALFORMED;
  for (let k = j; k >= floor; k--) if (b[k] === 0x7b) return MALFORMED;
  return NONE;
}

/** Longest tag echoed in a refusal; a longer one is treated as unreadable. */
const MAX_TAG = 256;

/** The tag that opens a line (RFC 9051 §9 tag), or null when there is none to echo. */
export function readTag(b: Uint8Array): string | null {
  let i = 0;
  while (i < b.length && i <= MAX_TAG && TAG_CHAR[b[i]] === 1) i++;
  if (i === 0 || i > MAX_TAG || (i < b.length && b[i] !== 0x20)) return null;
  return String.fromCharCode(...b.subarray(0, i));
}
