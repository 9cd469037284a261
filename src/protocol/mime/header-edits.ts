// Applies the header edits of a policy chain (src/events/verdict.ts HeaderEdits) to a raw
// message: removals inside the header block only, then new fields on top. Pure bytes in,
// bytes out; the body is never touched (a DKIM body hash stays valid).

import type { HeaderEdits, HeaderField } from "../../events/verdict.ts";

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** RFC 5322 §2.2: field-name = 1*ftext, printable US-ASCII except ":". */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** Offset just past the blank line ending the header block (or the whole message). */
function headerEnd(m: Uint8Array): number {
  if (m[0] === 10 || (m[0] === 13 && m[1] === 10)) return 0;
  for (let i = 0; i + 1 < m.length; i++) {
    if (m[i] === 10 && (m[i + 1] === 10 || (m[i + 1] === 13 && m[i + 2] === 10))) return i + 1;
  }
  return m.length;
}

/**
 * One field as wire text: a name that is not RFC 5322 ftext is refused, and a CR or LF that
 * does not start a fold (CRLF followed by SP/HT) becomes a space, so a value cannot end the
 * field early and smuggle another one in.
 */
export function formatField(f: HeaderField): string {
  if (!FIELD_NAME.test(f.name)) throw new TypeError(`invalid header field name: ${JSON.stringify(f.name)}`);
  const value = f.value.replace(/\r\n(?=[ \t])/g, "\u0000").replace(/[\r\n]/g, " ").replace(/\u0000/g, "\r\n");
  return `${f.name}: ${value}\r\n`;
}

export function applyHeaderEdits(message: Uint8Array, edits: HeaderEdits | undefined): Uint8Array {
  if (!edits || ((edits.add?.length ?? 0) === 0 && (edits.remove?.length ?? 0) === 0)) return message;
  const added = enc.encode((edits.add ?? []).map(formatField).join(""));
  const rules = (edits.remove ?? []).map((r) => ({ name: r.name.toLowerCase(), re: r.pattern === undefined ? null : new RegExp(r.pattern, "i") }));
  const end = headerEnd(message);
  const keep: Uint8Array[] = [];
  if (rules.length > 0) {
    // Split the header block into fields: a line starting with SP/HT continues the previous one.
    let start = 0;
    let i = 0;
    const fields: [number, number][] = [];
    while (i < end) {
      let eol = message.indexOf(10, i);
      eol = eol < 0 || eol >= end ? end : eol + 1;
      if (i > start && message[i] !== 32 && message[i] !== 9) {
        fields.push([start, i]);
        start = i;
      }
      i = eol;
    }
    if (end > start) fields.push([start, end]);
    for (const [a, b] of fields) {
      const text = latin1.decode(message.subarray(a, b));
      const colon = text.indexOf(":");
      const name = colon < 0 ? "" : text.slice(0, colon).trim().toLowerCase();
      const value = colon < 0 ? "" : text.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, "").trim();
      const drop = rules.some((r) => r.name === name && (r.re === null || r.re.test(value)));
      if (!drop) keep.push(message.subarray(a, b));
    }
  } else {
    keep.push(message.subarray(0, end));
  }
  const body = message.subarray(end);
  const size = added.length + keep.reduce((s, k) => s + k.length, 0) + body.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const part of [added, ...keep, body]) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}
