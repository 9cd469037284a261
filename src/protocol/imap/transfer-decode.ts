// Content-Transfer-Encoding decoders (RFC 2045 §6.7 quoted-printable, §6.8 base64) over raw
// bytes, for BINARY (RFC 3516) and for SEARCH BODY/TEXT. Lenient as RFC 2045 asks decoders to be.

const B64 = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;

const EQ = 0x3d;
const LF = 0x0a;
const CR = 0x0d;

/**
 * RFC 2045 §6.8: characters outside the alphabet are ignored. "=" ends a quantum early, so
 * concatenated base64 runs (each with its own padding) still decode; a lone 6-bit rest is dropped.
 */
export function decodeBase64(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((src.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const v = B64[c]!;
    if (v >= 0) {
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[n++] = (acc >> bits) & 0xff;
      }
    } else if (c === EQ) {
      // Padding: whatever partial byte is left is not data.
      acc = 0;
      bits = 0;
    }
  }
  return out.subarray(0, n);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57; // lower case: RFC 2045 §6.7 (1) robustness
  return -1;
}

/**
 * RFC 2045 §6.7: "=XX" is an octet, "=" at the end of a line is a soft line break, trailing
 * whitespace on a line is transport padding and is deleted (rule 3). A malformed "=" is kept.
 * Line ends are kept as written (CRLF, or LF in LF-only stores).
 */
export function decodeQuotedPrintable(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  let n = 0;
  let p = 0;
  while (p < src.length) {
    const lf = src.indexOf(LF, p);
    const lineEnd = lf === -1 ? src.length : lf;
    let end = lineEnd;
    const crlf = end > p && src[end - 1] === CR;
    if (crlf) end--;
    while (end > p && (src[end - 1] === 0x20 || src[end - 1] === 0x09)) end--;
    const soft = end > p && src[end - 1] === EQ;
    if (soft) end--;
    for (let i = p; i < end; i++) {
      const c = src[i]!;
      if (c === EQ && i + 2 < end) {
        const hi = hexValue(src[i + 1]!);
        const lo = hexValue(src[i + 2]!);
        if (hi >= 0 && lo >= 0) {
          out[n++] = (hi << 4) | lo;
          i += 2;
          continue;
        }
      }
      out[n++] = c;
    }
    if (lf === -1) break;
    if (!soft) {
      if (crlf) out[n++] = CR;
      out[n++] = LF;
    }
    p = lf + 1;
  }
  return out.subarray(0, n);
}

export type TransferDecoding = { ok: true; bytes: Uint8Array } | { ok: false; encoding: string };

/** Identity encodings pass through; base64 and quoted-printable decode; anything else fails. */
export function decodeTransfer(bytes: Uint8Array, encoding: string): TransferDecoding {
  switch (encoding.toLowerCase()) {
    case "7bit":
    case "8bit":
    case "binary":
      return { ok: true, bytes };
    case "base64":
      return { ok: true, bytes: decodeBase64(bytes) };
    case "quoted-printable":
      return { ok: true, bytes: decodeQuotedPrintable(bytes) };
    default:
      return { ok: false, encoding };
  }
}
