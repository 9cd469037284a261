// Outbound DATA framing (DESIGN §5, "Outbound, every line is CRLF and dot-stuffed"): whatever
// line ends a stored message has, what we send holds only CRLF line ends, so no peer can see an
// end of data before ours (SMTP smuggling), and lines starting with "." are doubled.
// Works on bytes with native indexOf scans: no per-line strings, at most one copy per step.

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/**
 * What follows the (CRLF-terminated) body to end the mail data: RFC 5321 §4.1.1.4, the
 * terminator is CRLF "." CRLF, and the body's final CRLF is its first two octets.
 */
export const END_OF_DATA: Uint8Array = new Uint8Array([DOT, CR, LF]);

/**
 * RFC 5321 §2.3.8: lines end in CRLF, and CR or LF must not appear alone. Every bare CR, bare
 * LF and CRLF becomes CRLF, and a non-empty body gets a final CRLF. Returns `body` itself when
 * nothing needs changing.
 */
export function toWireLines(body: Uint8Array): Uint8Array {
  const n = body.length;
  let extra = 0;
  let cr = body.indexOf(CR);
  let lf = body.indexOf(LF);
  while (cr !== -1 || lf !== -1) {
    if (cr !== -1 && (lf === -1 || cr < lf)) {
      if (cr + 1 < n && body[cr + 1] === LF) {
        lf = body.indexOf(LF, cr + 2);
        cr = body.indexOf(CR, cr + 2);
      } else {
        extra++; // bare CR: gains an LF
        cr = body.indexOf(CR, cr + 1);
      }
    } else {
      extra++; // bare LF (a CRLF's LF was skipped above): gains a CR
      lf = body.indexOf(LF, lf + 1);
    }
  }
  // A last line without a line end gets one; a bare CR/LF at the end already counted above.
  const tail = n > 0 && body[n - 1] !== LF && body[n - 1] !== CR ? 2 : 0;
  if (extra === 0 && tail === 0) return body;

  const out = new Uint8Array(n + extra + tail);
  let o = 0;
  let from = 0; // start of the not yet copied input
  let i = 0;
  // The next CR and LF are cached and searched again only once passed, so the scan stays
  // linear even when one of the two bytes is rare.
  let nextCr = body.indexOf(CR);
  let nextLf = body.indexOf(LF);
  while (i < n) {
    if (nextCr !== -1 && nextCr < i) nextCr = body.indexOf(CR, i);
    if (nextLf !== -1 && nextLf < i) nextLf = body.indexOf(LF, i);
    const at = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextCr, nextLf);
    if (at === -1) break;
    out.set(body.subarray(from, at), o);
    o += at - from;
    out[o++] = CR;
    out[o++] = LF;
    i = body[at] === CR && at + 1 < n && body[at + 1] === LF ? at + 2 : at + 1;
    from = i;
  }
  out.set(body.subarray(from, n), o);
  o += n - from;
  if (tail) {
    out[o++] = CR;
    out[o++] = LF;
  }
  return out;
}

/**
 * RFC 5321 §4.5.2 (transparency): before sending a line, if its first character is a period,
 * one more period is inserted at the start of the line. Lines start at offset 0 and after
 * each LF (after toWireLines every LF ends a CRLF). Returns `body` itself when no line needs it.
 */
export function dotStuff(body: Uint8Array): Uint8Array {
  const n = body.length;
  let count = n > 0 && body[0] === DOT ? 1 : 0;
  for (let lf = body.indexOf(LF); lf !== -1 && lf + 1 < n; lf = body.indexOf(LF, lf + 1)) {
    if (body[lf + 1] === DOT) count++;
  }
  if (count === 0) return body;

  const out = new Uint8Array(n + count);
  let o = 0;
  let from = 0;
  if (body[0] === DOT) out[o++] = DOT;
  for (let lf = body.indexOf(LF); lf !== -1 && lf + 1 < n; lf = body.indexOf(LF, lf + 1)) {
    if (body[lf + 1] !== DOT) continue;
    out.set(body.subarray(from, lf + 1), o);
    o += lf + 1 - from;
    out[o++] = DOT;
    from = lf + 1;
  }
  out.set(body.subarray(from, n), o);
  return out;
}

/** The bytes to send after the 354 reply: CRLF lines, dot-stuffed, then "." CRLF. */
export function toDataStream(body: Uint8Array): Uint8Array {
  const stuffed = dotStuff(toWireLines(body));
  const out = new Uint8Array(stuffed.length + END_OF_DATA.length);
  out.set(stuffed, 0);
  out.set(END_OF_DATA, stuffed.length);
  return out;
}
