// Header-field text for DSNs: values that come from elsewhere (remote replies, addresses,
// ENVID) are flattened to one clean line, capped, and folded, so they can never add a field.

const encoder = new TextEncoder();

/** Value octets kept: with a field name in front, a line stays under 998 (RFC 5322 §2.1.1). */
export const MAX_VALUE_OCTETS = 900;
/** RFC 5322 §2.1.1: lines SHOULD be at most 78 characters; folding aims for that. */
const FOLD_AT = 78;

/**
 * One line of text from untrusted input. CR and LF (a multi-line SMTP reply, RFC 5321 §4.2.1,
 * or an injection attempt) become a space, so the text cannot start a new header field; other
 * control characters (C0, DEL, C1, U+2028/2029) are dropped; runs of white space shrink to one.
 * The result is cut at a character boundary to `maxOctets` of UTF-8.
 */
export function oneLine(s: string, maxOctets = MAX_VALUE_OCTETS): string {
  const flat = s
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, "")
    .replace(/ {2,}/g, " ")
    .trim();
  return cutOctets(flat, maxOctets);
}

/**
 * A multi-line SMTP reply (RFC 5321 §4.2.1: "550-first", "550 last") as one line: the reply
 * code, and the enhanced code when repeated, are kept once rather than on every line.
 */
export function flattenReply(reply: string, maxOctets = MAX_VALUE_OCTETS): string {
  const lines = reply.split(/\r\n|\r|\n/).filter((l) => l.trim() !== "");
  const first = /^(\d{3})[ -](?:(\d\.\d{1,3}\.\d{1,3}) )?/.exec(lines[0] ?? "");
  if (first === null || lines.length < 2) return oneLine(reply, maxOctets);
  const rest = lines.slice(1).map((l) => {
    const m = /^(\d{3})[ -](?:(\d\.\d{1,3}\.\d{1,3}) )?/.exec(l);
    if (m === null || m[1] !== first[1]) return l;
    return m[2] !== undefined && m[2] !== first[2] ? l.slice(m[1]!.length + 1) : l.slice(m[0].length);
  });
  return oneLine([`${first[1]} ${lines[0]!.slice(4)}`, ...rest].join(" "), maxOctets);
}

function cutOctets(s: string, max: number): string {
  if (s.length * 3 <= max || encoder.encode(s).length <= max) return s;
  let out = "";
  let octets = 0;
  for (const ch of s) {
    const n = encoder.encode(ch).length;
    if (octets + n > max - 3) break;
    out += ch;
    octets += n;
  }
  return out + "...";
}

export function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/**
 * "Name: value" folded (RFC 5322 §2.2.3: a fold is CRLF before existing white space) so lines
 * stay near 78 characters; a single word longer than that stays whole (values are capped, so
 * no line reaches 998). `value` must already be one line (see oneLine). Ends with CRLF.
 */
export function field(name: string, value: string): string {
  const words = value.split(" ");
  let out = `${name}:`;
  let lineLen = out.length;
  for (const w of words) {
    if (w === "") continue;
    if (lineLen + 1 + w.length > FOLD_AT && lineLen > name.length + 1) {
      out += "\r\n " + w;
      lineLen = 1 + w.length;
    } else {
      out += " " + w;
      lineLen += 1 + w.length;
    }
  }
  return out + "\r\n";
}
