// POP3 responses (RFC 1939 §3, RFC 2449 §3, §8): "+OK"/"-ERR" status lines with optional
// extended response codes, and multi-line responses ending in "." with byte-stuffing.

/** RFC 2449 §8 and RFC 3206: the response codes this server sends. */
export type RespCode = "IN-USE" | "LOGIN-DELAY" | "SYS/TEMP" | "SYS/PERM" | "AUTH";

/** RFC 2449 §4: a response line is at most 512 octets including CRLF. */
const MAX_RESPONSE_LINE = 512;

function clip(line: string): string {
  // Our texts are short; the cap guards any echoed client input (a mechanism name, …).
  return line.length > MAX_RESPONSE_LINE - 2 ? line.slice(0, MAX_RESPONSE_LINE - 2) : line;
}

/** "+OK text". RFC 1939 allows an empty text after the indicator. */
export function ok(text = ""): string {
  return clip(text ? `+OK ${text}` : "+OK") + "\r\n";
}

/** "-ERR [CODE] text". */
export function err(text: string, code: RespCode | null = null): string {
  return clip(`-ERR ${code ? `[${code}] ` : ""}${text}`) + "\r\n";
}

/** A multi-line response (RFC 1939 §3): "+OK text", the lines byte-stuffed, then ".". */
export function multiline(text: string, lines: readonly string[]): string {
  let out = ok(text);
  for (const l of lines) out += (l.startsWith(".") ? "." : "") + l + "\r\n";
  return out + ".\r\n";
}

/** SASL continuation (RFC 5034 §4): "+" SP base64 — the SP even for an empty challenge. */
export function continuation(base64: string): string {
  return `+ ${base64}\r\n`;
}
