// Modified UTF-7 for mailbox names (RFC 3501 §5.1.3; RFC 9051 §5.1 keeps it for clients
// without UTF8=ACCEPT): printable ASCII as itself, "&" as "&-", the rest as "&" + modified
// BASE64 of UTF-16BE ("," for "/", no padding) + "-".

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

const printable = (c: number): boolean => c >= 0x20 && c <= 0x7e;

function encodeRun(units: number[]): string {
  let out = "&";
  let bits = 0;
  let n = 0;
  for (const u of units) {
    bits = (bits << 16) | u;
    n += 16;
    while (n >= 6) {
      n -= 6;
      out += ALPHABET[(bits >> n) & 0x3f];
    }
    bits &= (1 << n) - 1;
  }
  if (n > 0) out += ALPHABET[(bits << (6 - n)) & 0x3f];
  return `${out}-`;
}

/** Encode a mailbox name; any JS string encodes (each run of non-printables is one shift sequence). */
export function encodeMutf7(name: string): string {
  let out = "";
  let run: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (printable(c)) {
      if (run.length > 0) {
        out += encodeRun(run);
        run = [];
      }
      out += c === 0x26 ? "&-" : name[i];
    } else run.push(c);
  }
  if (run.length > 0) out += encodeRun(run);
  return out;
}

/**
 * Decode a mailbox name; null when it is not well-formed modified UTF-7: characters outside
 * printable ASCII, an unterminated or empty-but-not-"&-" shift, bad BASE64, non-zero or
 * over-long padding bits, printable ASCII or broken surrogates inside a shift, or two shift
 * sequences back to back (RFC 3501 §5.1.3 allows only the one, canonical, encoding).
 */
export function decodeMutf7(name: string): string | null {
  let out = "";
  let i = 0;
  let afterShift = false;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (!printable(c)) return null;
    if (c !== 0x26) {
      out += name[i++];
      afterShift = false;
      continue;
    }
    const end = name.indexOf("-", i + 1);
    if (end < 0) return null;
    if (end === i + 1) {
      out += "&";
      i = end + 1;
      afterShift = false;
      continue;
    }
    if (afterShift) return null;
    const units: number[] = [];
    let bits = 0;
    let n = 0;
    for (let k = i + 1; k < end; k++) {
      const ch = name.charCodeAt(k);
      const v = ch < 128 ? VALUE[ch] : -1;
      if (v < 0) return null;
      bits = ((bits << 6) | v) & 0x3fffff;
      n += 6;
      if (n >= 16) {
        n -= 16;
        units.push((bits >> n) & 0xffff);
      }
    }
    if (n >= 6 || (bits & ((1 << n) - 1)) !== 0) return null;
    for (let k = 0; k < units.length; k++) {
      const u = units[k];
      if (printable(u)) return null;
      if (u >= 0xd800 && u <= 0xdbff) {
        const lo = units[k + 1];
        if (lo === undefined || lo < 0xdc00 || lo > 0xdfff) return null;
        k++;
      } else if (u >= 0xdc00 && u <= 0xdfff) return null;
    }
    for (let k = 0; k < units.length; k += 4096) out += String.fromCharCode(...units.slice(k, k + 4096));
    i = end + 1;
    afterShift = true;
  }
  return out;
}
