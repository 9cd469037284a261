// Byte-level scanning of the raw message: bounded line search, header/body split, line counts
// and header text decoding. CRLF and bare LF both end a line (stored mail may be LF-only).
// Every scan stays inside its [from, to) range and reports what it read to a WorkMeter.

/** Counts bytes examined, so tests can bound the work on adversarial input without clocks. */
export type WorkMeter = { bytes: number };

export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const HT = 0x09;
export const DASH = 0x2d;
export const COLON = 0x3a;

/**
 * Index of `byte` in raw[from, to), or -1; never reads outside the range. Short distances are
 * scanned inline (most lines are short); a bounded native search takes over after that.
 */
export function indexOfByte(raw: Uint8Array, byte: number, from: number, to: number): number {
  const near = Math.min(to, from + 256);
  for (let i = from; i < near; i++) if (raw[i] === byte) return i;
  if (near >= to) return -1;
  const i = raw.subarray(near, to).indexOf(byte);
  return i === -1 ? -1 : near + i;
}

export type HeaderSplit = { headerEnd: number; bodyStart: number };

/**
 * RFC 5322 §2.1 / RFC 2045 §3: the header ends at the first empty line. headerEnd is where the
 * empty line starts, bodyStart is after it. Without an empty line the whole range is header.
 */
export function splitHeader(raw: Uint8Array, start: number, end: number, meter: WorkMeter): HeaderSplit {
  let p = start;
  let split: HeaderSplit = { headerEnd: end, bodyStart: end };
  while (p < end) {
    if (raw[p] === LF) {
      split = { headerEnd: p, bodyStart: p + 1 };
      break;
    }
    if (raw[p] === CR && p + 1 < end && raw[p + 1] === LF) {
      split = { headerEnd: p, bodyStart: p + 2 };
      break;
    }
    const lf = indexOfByte(raw, LF, p, end);
    if (lf === -1) break;
    p = lf + 1;
  }
  meter.bytes += split.bodyStart - start;
  return split;
}

/** IMAP body-fld-lines: LFs in the range, plus one for a trailing line without a line end. */
export function countLines(raw: Uint8Array, start: number, end: number, meter: WorkMeter): number {
  meter.bytes += end - start;
  if (end <= start) return 0;
  let n = 0;
  for (let i = start; i < end; i++) if (raw[i] === LF) n++;
  return raw[end - 1] === LF ? n : n + 1;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const LATIN1 = new TextDecoder("windows-1252");

/**
 * RFC 6532 §3: header text is UTF-8. Bytes that are not valid UTF-8 are legacy 8-bit mail;
 * reading them as windows-1252 keeps every byte visible instead of collapsing to U+FFFD.
 */
export function decodeText(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return LATIN1.decode(bytes);
  try {
    return UTF8.decode(bytes);
  } catch {
    return LATIN1.decode(bytes);
  }
}

/** Trims RFC 5322 WSP and line-end characters; a loop, as regexes go quadratic on long runs. */
export function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWspCode(s.charCodeAt(a))) a++;
  while (b > a && isWspCode(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isWspCode(c: number): boolean {
  return c === SP || c === HT || c === CR || c === LF;
}
