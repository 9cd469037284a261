// LIST/LSUB name patterns (RFC 9051 §6.3.9): reference + mailbox pattern joined into one
// canonical pattern, where "*" matches anything and "%" anything but the delimiter "/".

import { decodeMutf7 } from "../protocol/imap/mutf7.ts";

const DELIM = "/";
const STAR = 0x2a;
const PERCENT = 0x25;
const SLASH = 0x2f;

export type NameMatcher = {
  /** The canonical pattern as text (stored-name form, UTF-8). */
  readonly pattern: string;
  /** True when the whole name matches. */
  test(name: string): boolean;
  /** RFC 9051 §6.3.9: a trailing "%" also returns the matching levels of hierarchy. */
  readonly endsWithPercent: boolean;
};

/** A client string (reference or pattern) as stored-name text; null when invalid mUTF-7. */
export function decodePatternText(text: string, utf8: boolean): string | null {
  return utf8 ? text : decodeMutf7(text);
}

/**
 * Joins reference and pattern (RFC 9051 §6.3.9: the reference is prefixed to the pattern;
 * our one namespace has no root, so a doubled delimiter at the join is collapsed) and
 * compiles the result. INBOX is case-insensitive (RFC 9051 §5.1), also as the first level of
 * a pattern: "inbox", "Inbox/%" and "in*" all reach INBOX.
 */
export function compilePattern(reference: string, pattern: string): NameMatcher {
  const p = reference.endsWith(DELIM) && pattern.startsWith(DELIM) ? reference + pattern.slice(1) : reference + pattern;
  return {
    pattern: p,
    endsWithPercent: p.endsWith("%"),
    test: (name) => matches(p, name),
  };
}

/**
 * NFA simulation over name positions, O(|pattern| × |name|): `states[j]` says the pattern
 * prefix read so far can end at name position j. The first five characters of a name whose
 * first level is INBOX compare case-insensitively (the stored form is always "INBOX").
 */
function matches(p: string, name: string): boolean {
  const n = name.length;
  const inbox = name === "INBOX" || name.startsWith("INBOX/");
  let states = new Uint8Array(n + 1);
  states[0] = 1;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    const next = new Uint8Array(n + 1);
    let any = false;
    if (c === STAR) {
      let from = -1;
      for (let j = 0; j <= n; j++) if (states[j]) { from = j; break; }
      if (from >= 0) {
        next.fill(1, from);
        any = true;
      }
    } else if (c === PERCENT) {
      let on = false;
      for (let j = 0; j <= n; j++) {
        if (states[j]) on = true;
        if (on) {
          next[j] = 1;
          any = true;
        }
        // "%" never consumes the delimiter: the run stops before it.
        if (j < n && name.charCodeAt(j) === SLASH) on = false;
      }
    } else {
      for (let j = 0; j < n; j++) {
        if (!states[j]) continue;
        const d = name.charCodeAt(j);
        const eq = d === c || (inbox && j < 5 && (d | 0x20) === (c | 0x20) && isLetter(c));
        if (eq) {
          next[j + 1] = 1;
          any = true;
        }
      }
    }
    if (!any) return false;
    states = next;
  }
  return states[n] === 1;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
