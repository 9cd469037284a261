// Shared helpers for the IMAP serializer tests: building raw messages, rendering what an
// ImapWriter produced as text, and bodies of an exact size and line count.

import { ImapWriter } from "../../../src/protocol/imap/serialize.ts";
import { concatBytes } from "../../../src/protocol/bytes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Lines joined with CRLF (or `eol`), UTF-8 encoded. */
export function msg(lines: string[], eol = "\r\n"): Uint8Array {
  return enc.encode(lines.join(eol));
}

export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : dec.decode(bytes);
}

/** What `write` puts on the wire, as text (literals shown as "{n}\r\n..."). */
export function render(write: (w: ImapWriter) => void, utf8 = false): string {
  const w = new ImapWriter({ utf8 });
  write(w);
  return dec.decode(concatBytes(w.finish()));
}

/**
 * `lines` CRLF-terminated lines of filler totalling exactly `octets` octets, so a part's
 * body-fld-octets and body-fld-lines can be made to match the RFC's examples.
 */
export function filler(octets: number, lines: number): string[] {
  const content = octets - 2 * lines;
  const base = Math.floor(content / lines);
  const extra = content % lines;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push("x".repeat(base + (i < extra ? 1 : 0)));
  return out;
}
