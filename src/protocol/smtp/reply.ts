// SMTP reply serialisation: multi-line replies with enhanced status codes on every line,
// bounded line length and no way for reply text to inject extra lines.

/** A reply as data; `enhanced` is an RFC 3463 status code such as "5.5.4". */
export type SmtpReply = { code: number; enhanced: string; text: string };

/** RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including the reply code and CRLF. */
export const MAX_REPLY_LINE = 512;

const ENHANCED = /^([245])\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const encoder = new TextEncoder();

function octets(s: string): number {
  return encoder.encode(s).length;
}

// RFC 5321 §4.2: textstring = 1*(%d09 / %d32-126) (UTF-8 allowed by RFC 6531 §3.7.4.2);
// CR and LF would end the reply early (reply injection), other controls are not text.
function clean(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f]+/g, " ").replace(/[\ud800-\udfff]/g, (c, i, s) => {
    // Keep well-formed surrogate pairs, replace lone surrogates: they have no UTF-8 form.
    const code = c.charCodeAt(0);
    if (code < 0xdc00) {
      const next = s.charCodeAt(i + 1);
      return next >= 0xdc00 && next <= 0xdfff ? c : "\ufffd";
    }
    const prev = s.charCodeAt(i - 1);
    return prev >= 0xd800 && prev < 0xdc00 ? c : "\ufffd";
  });
}

// Split text so that each piece fits in `max` octets, preferring a break at a space and
// never cutting a UTF-8 sequence (a code point is kept whole).
function wrap(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (octets(rest) > max) {
    let cut = 0;
    let used = 0;
    let lastSpace = -1;
    for (const ch of rest) {
      const n = octets(ch);
      if (used + n > max) break;
      used += n;
      cut += ch.length;
      if (ch === " ") lastSpace = cut;
    }
    if (cut === 0) break; // max smaller than one code point: cannot happen with max >= 4
    const at = lastSpace > 0 ? lastSpace : cut;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  out.push(rest);
  return out;
}

/**
 * Format a reply. Every line carries the enhanced code (RFC 2034 §3); continuation lines use
 * "code-" and the last "code " (RFC 5321 §4.2.1). An enhanced code whose class does not match
 * the reply's first digit (RFC 3463 §2) or is malformed is dropped rather than sent wrong.
 * A reply code outside 200–599 is a programming error and becomes 451 4.3.0 (never a throw).
 */
export function formatReply(code: number, enhanced: string | null, lines: string[]): string {
  if (!Number.isInteger(code) || code < 200 || code > 599) {
    return formatReply(451, "4.3.0", ["Internal error"]);
  }
  const cls = String(code)[0];
  const m = enhanced === null ? null : ENHANCED.exec(enhanced);
  const enh = m !== null && m[1] === cls ? `${enhanced} ` : "";
  // "250-" + enhanced + text + CRLF must fit in 512 octets.
  const room = MAX_REPLY_LINE - 4 - enh.length - 2;
  const texts: string[] = [];
  for (const line of lines.length === 0 ? [""] : lines) {
    for (const piece of wrap(clean(line), room)) texts.push(piece);
  }
  let out = "";
  for (let i = 0; i < texts.length; i++) {
    const sep = i === texts.length - 1 ? " " : "-";
    const body = `${enh}${texts[i]}`.trimEnd();
    out += body === "" ? `${code}${sep === " " ? "" : "-"}\r\n` : `${code}${sep}${body}\r\n`;
  }
  return out;
}

/** Convenience for the data form used by parse errors and verdicts. */
export function formatSmtpReply(reply: SmtpReply): string {
  return formatReply(reply.code, reply.enhanced, [reply.text]);
}
