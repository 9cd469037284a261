// RFC 2047 encoded-word decoding and legacy charset conversion, delegated to libmime (which
// brings iconv-lite and the Japanese encodings). Wrapped so a bad charset never throws.

import libmime from "libmime";
import { decodeText } from "./bytes.ts";

/** RFC 2047 §6: decodes encoded words; adjacent ones are joined without the space between. */
export function decodeWords(s: string): string {
  if (s.indexOf("=?") === -1) return s;
  try {
    return libmime.decodeWords(s);
  } catch {
    return s;
  }
}

const UTF8_NAMES = new Set(["", "utf-8", "utf8", "us-ascii", "ascii"]);

/** Decodes bytes in a named charset (RFC 2231 §4 values); unknown charsets fall back to UTF-8. */
export function decodeCharset(bytes: Uint8Array, charset: string): string {
  const name = charset.trim().toLowerCase();
  if (UTF8_NAMES.has(name)) return decodeText(bytes);
  // libmime exposes its charset table through decodeWord; every byte is passed as a Q "=XX".
  let q = "";
  for (let i = 0; i < bytes.length; i++) q += "=" + HEX[bytes[i]!];
  try {
    return libmime.decodeWord(name, "Q", q);
  } catch {
    return decodeText(bytes);
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0").toUpperCase());
