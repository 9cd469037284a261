// Strict base64 for SASL exchanges: RFC 4954 §4 and RFC 9051 §6.2.2 reject malformed base64
// (SMTP "501 5.5.2"), and "*" cancels an exchange; a bare "=" is an empty initial response.
import { Buffer } from "node:buffer";

// RFC 4648 §4 alphabet with mandatory padding; no whitespace, no line breaks.
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decodes canonical base64, or returns null if the text is not valid base64. */
export function decodeBase64Strict(s: string): Uint8Array | null {
  if (!BASE64_RE.test(s)) return null;
  // RFC 4648 §3.5: pad bits must be zero; a non-canonical encoding is rejected so that
  // one byte string has exactly one accepted spelling.
  if (s.endsWith("==")) {
    if ((ALPHABET.indexOf(s[s.length - 3]!) & 0x0f) !== 0) return null;
  } else if (s.endsWith("=")) {
    if ((ALPHABET.indexOf(s[s.length - 2]!) & 0x03) !== 0) return null;
  }
  return new Uint8Array(Buffer.from(s, "base64"));
}

/** Standard padded base64 (what "334 …" / "+ …" carry). */
export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

/**
 * The initial response on the AUTH / AUTHENTICATE command line.
 * RFC 4954 §4 and RFC 4959 §3: a single "=" means a present but empty response.
 * Returns null for malformed base64 (reply "501 5.5.2" / "BAD").
 */
export function decodeInitialResponse(s: string): Uint8Array | null {
  if (s === "=") return new Uint8Array(0);
  return decodeBase64Strict(s);
}

/**
 * One client continuation line. RFC 4954 §4 / RFC 9051 §6.2.2: "*" cancels the exchange
 * (pass it on to SaslServer.respond, which answers failure "aborted"); an empty line is an
 * empty response. Returns null for malformed base64.
 */
export function decodeClientResponse(line: string): Uint8Array | "*" | null {
  if (line === "*") return "*";
  return decodeBase64Strict(line);
}
