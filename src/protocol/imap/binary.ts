// FETCH BINARY[section]<partial> and BINARY.SIZE[section] (RFC 3516, RFC 9051 §6.4.5): a body
// part with its Content-Transfer-Encoding removed; an encoding we cannot undo is a typed failure.

import type { ParsedMessage } from "../mime/types.ts";
import { resolvePart } from "./fetch-body.ts";
import { decodeTransfer } from "./transfer-decode.ts";
import type { FetchSection } from "./types.ts";

export type BinaryResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  /** RFC 3516 §4.3 / RFC 9051 §7.1: answer the command with "NO [UNKNOWN-CTE]". */
  | { readonly ok: false; readonly error: "unknown-cte"; readonly encoding: string }
  /** section-binary admits part numbers only (RFC 3516 §6, RFC 9051 §9): answer BAD. */
  | { readonly ok: false; readonly error: "bad-section" }
  /** No such part: the caller answers NIL or an empty string, as for BODY[]. */
  | { readonly ok: false; readonly error: "no-part" };

export type BinarySizeResult =
  | { readonly ok: true; readonly size: number }
  | Exclude<BinaryResult, { ok: true }>;

/**
 * The decoded content of BINARY[part] (RFC 3516 §4.2). BINARY[] is the whole message as
 * stored. Multiparts and encapsulated messages use identity encodings, so their octets are
 * returned as they are; a leaf is decoded from base64 or quoted-printable.
 */
export function extractBinary(raw: Uint8Array, parsed: ParsedMessage, section: FetchSection): BinaryResult {
  if (section.text !== null) return { ok: false, error: "bad-section" };
  if (section.part.length === 0) return { ok: true, bytes: raw };
  const part = resolvePart(parsed, section.part);
  if (part === null) return { ok: false, error: "no-part" };
  const body = raw.subarray(part.bodyStart, part.bodyEnd);
  const decoded = decodeTransfer(body, part.encoding);
  if (!decoded.ok) return { ok: false, error: "unknown-cte", encoding: decoded.encoding };
  return { ok: true, bytes: decoded.bytes };
}

/** BINARY.SIZE[part] (RFC 3516 §4.2): the octet count of the decoded content. */
export function binarySize(raw: Uint8Array, parsed: ParsedMessage, section: FetchSection): BinarySizeResult {
  if (section.text !== null) return { ok: false, error: "bad-section" };
  if (section.part.length === 0) return { ok: true, size: raw.length };
  const part = resolvePart(parsed, section.part);
  if (part === null) return { ok: false, error: "no-part" };
  const enc = part.encoding.toLowerCase();
  // Identity encodings need no decoding to know their size.
  if (enc === "7bit" || enc === "8bit" || enc === "binary") return { ok: true, size: part.size };
  const r = extractBinary(raw, parsed, section);
  return r.ok ? { ok: true, size: r.bytes.length } : r;
}

/**
 * RFC 3516 §4.2 / RFC 9051 §7.5.2: decoded content with NUL octets must go as literal8
 * ("~{n}"); other content may use an ordinary string or literal.
 */
export function needsLiteral8(bytes: Uint8Array): boolean {
  return bytes.indexOf(0) !== -1;
}
