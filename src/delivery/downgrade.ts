// RFC 6152 §3: 8-bit content for a server without 8BITMIME must be converted to 7-bit MIME
// (or returned). Each leaf body with 8-bit octets is re-encoded — quoted-printable for text/*,
// base64 otherwise (RFC 2045 §6) — and its Content-Transfer-Encoding rewritten; everything
// else is copied byte for byte. 8-bit header text cannot be converted: that needs SMTPUTF8.

import { Buffer } from "node:buffer";
import { scanFields } from "../protocol/mime/header.ts";
import { parseMime } from "../protocol/mime/parse.ts";
import type { MimePart } from "../protocol/mime/types.ts";

export type DowngradeResult = { ok: true; message: Uint8Array; changed: boolean } | { ok: false; reason: string };

type Edit = { start: number; end: number; bytes: Uint8Array };

class GiveUp extends Error {}

const enc = new TextEncoder();
const CR = 0x0d;
const LF = 0x0a;

/**
 * The message as 7-bit MIME; byte-identical (changed: false) when it already is.
 *
 * A DKIM signature over the converted message no longer verifies (the body hash changes).
 * Signing cannot wait for the next hop's 8BITMIME answer — the message is signed once, before
 * any MX is chosen — so downgrading a signed 8-bit message breaks its DKIM, as in every MTA;
 * mail submitted as 7-bit MIME is unaffected.
 */
export function downgradeTo7bit(message: Uint8Array): DowngradeResult {
  if (!hasHighByte(message, 0, message.length)) return { ok: true, message, changed: false };
  const parsed = parseMime(message);
  if (parsed.truncated) return { ok: false, reason: "MIME structure too deep or too large to convert" };
  const eol = lineEnd(message);
  const edits: Edit[] = [];
  try {
    convertPart(message, parsed.root, eol, edits, true);
  } catch (e) {
    if (e instanceof GiveUp) return { ok: false, reason: e.message };
    throw e;
  }
  const out = apply(message, edits);
  // The walk covers every byte (headers, bodies, multipart gaps); this is the proof.
  if (hasHighByte(out, 0, out.length)) return { ok: false, reason: "8-bit octets outside any convertible part" };
  return { ok: true, message: out, changed: true };
}

function convertPart(raw: Uint8Array, p: MimePart, eol: string, edits: Edit[], root: boolean): void {
  if (hasHighByte(raw, p.headerStart, p.headerEnd)) {
    throw new GiveUp("8-bit octets in header fields need SMTPUTF8 (RFC 6532), not 7-bit MIME");
  }
  if (!hasHighByte(raw, p.bodyStart, p.bodyEnd)) return;
  const { type, subtype } = p.contentType;

  if (type === "multipart") {
    const parts = p.parts ?? [];
    if (parts.length === 0) throw new GiveUp("8-bit octets in a multipart without body parts");
    // RFC 2046 §5.1.1: preamble and epilogue are to be ignored; their 8-bit octets become "?".
    let gap = p.bodyStart;
    for (const c of parts) {
      scrubGap(raw, gap, c.headerStart, edits);
      convertPart(raw, c, eol, edits, false);
      gap = c.bodyEnd;
    }
    scrubGap(raw, gap, p.bodyEnd, edits);
    // RFC 2045 §6.4: a multipart may only be 7bit, 8bit or binary; now that no part is 8-bit,
    // it is 7bit.
    if (p.encoding !== "7bit") setEncoding(raw, p, "7bit", eol, edits, root);
    return;
  }

  if (type === "message" && subtype === "rfc822" && p.message) {
    // RFC 2046 §5.2.1: message/rfc822 may not be base64 or quoted-printable; convert inside.
    // The encapsulated message is a message too: it gets MIME-Version if it needs one.
    convertPart(raw, p.message.part, eol, edits, true);
    if (p.encoding !== "7bit") setEncoding(raw, p, "7bit", eol, edits, root);
    return;
  }
  if (type === "message" && (subtype === "rfc822" || subtype === "partial" || subtype === "external-body")) {
    // RFC 2046 §5.2.1–5.2.3: these must stay 7bit/8bit/binary; one we cannot look into is lost.
    throw new GiveUp(`8-bit octets in message/${subtype} that cannot be converted`);
  }

  // A leaf (message/global and the other message/* included: RFC 6532 §3.7 and RFC 6533
  // allow them any encoding). Only an identity encoding may hold 8-bit octets.
  if (p.encoding !== "7bit" && p.encoding !== "8bit" && p.encoding !== "binary") {
    throw new GiveUp(`8-bit octets in a body labelled ${p.encoding}`);
  }
  const body = raw.subarray(p.bodyStart, p.bodyEnd);
  const text = type === "text";
  const encoded = text ? quotedPrintable(body, eol) : base64Lines(body, eol);
  edits.push({ start: p.bodyStart, end: p.bodyEnd, bytes: enc.encode(encoded) });
  setEncoding(raw, p, text ? "quoted-printable" : "base64", eol, edits, root);
}

function scrubGap(raw: Uint8Array, start: number, end: number, edits: Edit[]): void {
  if (!hasHighByte(raw, start, end)) return;
  const copy = raw.slice(start, end);
  for (let i = 0; i < copy.length; i++) if (copy[i]! >= 0x80) copy[i] = 0x3f;
  edits.push({ start, end, bytes: copy });
}

/**
 * Replaces every Content-Transfer-Encoding field of the part with one carrying `value`, or
 * adds one at the end of its header. At the top level MIME-Version is added when missing
 * (RFC 2045 §4: without it the encoding field has no meaning).
 */
function setEncoding(raw: Uint8Array, p: MimePart, value: string, eol: string, edits: Edit[], root: boolean): void {
  const { fields } = scanFields(raw, p.headerStart, p.headerEnd, Number.MAX_SAFE_INTEGER);
  const line = `Content-Transfer-Encoding: ${value}${eol}`;
  let placed = false;
  for (const f of fields) {
    if (f.name.toLowerCase() !== "content-transfer-encoding") continue;
    edits.push({ start: f.start, end: f.end, bytes: enc.encode(placed ? "" : line) });
    placed = true;
  }
  let add = placed ? "" : line;
  if (root && !fields.some((f) => f.name.toLowerCase() === "mime-version")) add = `MIME-Version: 1.0${eol}` + add;
  if (add !== "") edits.push({ start: p.headerEnd, end: p.headerEnd, bytes: enc.encode(add) });
}

/**
 * RFC 2045 §6.7 quoted-printable of a text body: CRLF (or a bare LF) is a line break and stays
 * one; a bare CR is "=0D"; "=" and octets outside 33–126 are "=XX" (rule 1); a space or tab
 * before a line break is encoded (rule 3); lines are at most 76 characters, using soft breaks
 * "=" (rule 5).
 */
export function quotedPrintable(body: Uint8Array, eol = "\r\n"): string {
  const out: string[] = [];
  let line = "";
  const push = (token: string) => {
    if (line.length + token.length > 75) {
      out.push(line + "=" + eol);
      line = "";
    }
    line += token;
  };
  const n = body.length;
  for (let i = 0; i < n; i++) {
    const c = body[i]!;
    if (c === LF || (c === CR && body[i + 1] === LF)) {
      if (c === CR) i++;
      out.push(line + eol);
      line = "";
      continue;
    }
    const beforeBreak = i + 1 === n || body[i + 1] === LF || (body[i + 1] === CR && body[i + 2] === LF);
    if ((c >= 33 && c <= 126 && c !== 0x3d) || ((c === 0x20 || c === 0x09) && !beforeBreak)) {
      push(String.fromCharCode(c));
    } else {
      push("=" + HEX[c]);
    }
  }
  out.push(line);
  return out.join("");
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, "0"));

/** RFC 2045 §6.8: base64 in lines of at most 76 characters. */
export function base64Lines(body: Uint8Array, eol = "\r\n"): string {
  const b64 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join(eol);
}

function apply(raw: Uint8Array, edits: Edit[]): Uint8Array {
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  let size = raw.length;
  for (const e of edits) size += e.bytes.length - (e.end - e.start);
  const out = new Uint8Array(size);
  let o = 0;
  let from = 0;
  for (const e of edits) {
    out.set(raw.subarray(from, e.start), o);
    o += e.start - from;
    out.set(e.bytes, o);
    o += e.bytes.length;
    from = e.end;
  }
  out.set(raw.subarray(from), o);
  return out;
}

/** The message's own line end, so added lines match it (stored mail may be LF-only). */
function lineEnd(raw: Uint8Array): string {
  const lf = raw.indexOf(LF);
  return lf > 0 && raw[lf - 1] === CR ? "\r\n" : lf === -1 ? "\r\n" : "\n";
}

function hasHighByte(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i]! >= 0x80) return true;
  return false;
}
