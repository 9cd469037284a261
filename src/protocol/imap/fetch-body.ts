// FETCH BODY[section]<partial> (RFC 9051 §6.4.5, RFC 3501 §6.4.5): locating a section in the
// raw message through the offsets stored at delivery, slicing it (no copies for plain ranges),
// partial fetches and the section key the FETCH response echoes.

import { fieldRanges } from "./header-ranges.ts";
import type { MimePart, ParsedMessage } from "../mime/types.ts";
import type { FetchSection } from "./types.ts";
import { quote, isAstringAtom } from "./serialize.ts";
import { concatBytes } from "../bytes.ts";

/** A part without body parts, for a multipart whose boundary never appeared (cf. BODYSTRUCTURE). */
export function emptyPart(at: number): MimePart {
  return {
    headerStart: at,
    headerEnd: at,
    bodyStart: at,
    bodyEnd: at,
    contentType: { type: "text", subtype: "plain", params: { charset: "us-ascii" } },
    disposition: null,
    id: null,
    description: null,
    encoding: "7bit",
    language: null,
    location: null,
    md5: null,
    lines: 0,
    size: 0,
  };
}

/** Part n (1-based) of a message whose top-level entity is `root`: RFC 9051 §6.4.5. */
function partOfMessage(root: MimePart, n: number): MimePart | null {
  if (root.contentType.type === "multipart") return partOfMultipart(root, n);
  // "Every message has at least one part number": part 1 of a non-multipart is its body.
  return n === 1 ? root : null;
}

function partOfMultipart(part: MimePart, n: number): MimePart | null {
  const parts = part.parts ?? [];
  if (parts.length === 0) return n === 1 ? emptyPart(part.bodyStart) : null;
  return parts[n - 1] ?? null;
}

/**
 * The entity a part path names, or null. The path descends through multiparts and through
 * encapsulated messages (message/rfc822, message/global), whose parts are numbered as the
 * parts of that message.
 */
export function resolvePart(parsed: ParsedMessage, path: readonly number[]): MimePart | null {
  let cur: MimePart | null = null;
  for (const n of path) {
    if (!Number.isInteger(n) || n < 1) return null;
    if (cur === null) cur = partOfMessage(parsed.root, n);
    else if (cur.contentType.type === "multipart") cur = partOfMultipart(cur, n);
    else if (cur.message) cur = partOfMessage(cur.message.part, n);
    else return null;
    if (cur === null) return null;
  }
  return cur;
}

/** The message a HEADER/TEXT specifier applies to: the top level, or an encapsulated one. */
function messageRoot(parsed: ParsedMessage, path: readonly number[]): MimePart | null {
  if (path.length === 0) return parsed.root;
  const part = resolvePart(parsed, path);
  // RFC 9051 §6.4.5: HEADER/TEXT after part numbers only for MESSAGE/RFC822 or MESSAGE/GLOBAL.
  return part?.message?.part ?? null;
}

/**
 * RFC 9051 §6.4.5 HEADER.FIELDS / HEADER.FIELDS.NOT: the original lines of the matching
 * fields, in order, and then the blank line that ends the header (it is always included,
 * except for a message that has none).
 */
function headerSubset(raw: Uint8Array, part: MimePart, names: readonly string[], not: boolean): Uint8Array {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const chunks: Uint8Array[] = [];
  // Names and ranges only: the values are returned as raw lines, never decoded.
  for (const f of fieldRanges(raw, part)) {
    if (wanted.has(f.name) !== not) chunks.push(raw.subarray(f.start, f.end));
  }
  chunks.push(raw.subarray(part.headerEnd, part.bodyStart));
  return concatBytes(chunks);
}

/**
 * The octets of BODY[section] (RFC 9051 §6.4.5), or null when the section does not exist
 * (the caller answers with an empty string or NIL). Plain ranges are subarrays of `raw`.
 */
export function extractSection(raw: Uint8Array, parsed: ParsedMessage, section: FetchSection): Uint8Array | null {
  const { part: path, text } = section;
  switch (text) {
    case null: {
      if (path.length === 0) return raw;
      const part = resolvePart(parsed, path);
      return part ? raw.subarray(part.bodyStart, part.bodyEnd) : null;
    }
    case "MIME": {
      // MIME must be prefixed by part numbers: the MIME header of that body part.
      if (path.length === 0) return null;
      const part = resolvePart(parsed, path);
      return part ? raw.subarray(part.headerStart, part.bodyStart) : null;
    }
    case "HEADER": {
      const root = messageRoot(parsed, path);
      return root ? raw.subarray(root.headerStart, root.bodyStart) : null;
    }
    case "HEADER.FIELDS":
    case "HEADER.FIELDS.NOT": {
      const root = messageRoot(parsed, path);
      return root ? headerSubset(raw, root, section.fields, text === "HEADER.FIELDS.NOT") : null;
    }
    case "TEXT": {
      const root = messageRoot(parsed, path);
      return root ? raw.subarray(root.bodyStart, root.bodyEnd) : null;
    }
  }
}

export type PartialRange = { readonly offset: number; readonly length: number };

/**
 * RFC 9051 §6.4.5 <origin.size>: at most `length` octets from `offset`; an origin past the end
 * yields the empty string.
 */
export function applyPartial(bytes: Uint8Array, partial: PartialRange | null): Uint8Array {
  if (partial === null) return bytes;
  const start = Math.min(Math.max(0, partial.offset), bytes.length);
  return bytes.subarray(start, Math.min(bytes.length, start + Math.max(0, partial.length)));
}

/** "1.2.HEADER.FIELDS (SUBJECT FROM)": the section-spec inside the brackets. */
export function formatSection(section: FetchSection): string {
  const parts: string[] = [];
  if (section.part.length > 0) parts.push(section.part.join("."));
  if (section.text !== null) parts.push(section.text);
  let spec = parts.join(".");
  if (section.text === "HEADER.FIELDS" || section.text === "HEADER.FIELDS.NOT") {
    spec += " (" + section.fields.map((f) => (isAstringAtom(f) ? f : quote(f))).join(" ") + ")";
  }
  return spec;
}

/**
 * The msg-att name in the FETCH response (RFC 9051 §7.5.2): BODY.PEEK answers as BODY, and a
 * partial fetch names only its origin: BODY[1.2.HEADER.FIELDS (SUBJECT FROM)]<0>.
 */
export function sectionKey(kind: "BODY" | "BINARY" | "BINARY.SIZE", section: FetchSection, partial: PartialRange | null): string {
  const key = `${kind}[${formatSection(section)}]`;
  return partial === null || kind === "BINARY.SIZE" ? key : `${key}<${partial.offset}>`;
}

export type Rfc822Kind = "RFC822" | "RFC822.HEADER" | "RFC822.TEXT";

/**
 * RFC 3501 §6.4.5: RFC822 is BODY[], RFC822.HEADER is BODY.PEEK[HEADER], RFC822.TEXT is
 * BODY[TEXT]; the response keeps the RFC822 name. Only RFC822.HEADER leaves \Seen alone.
 */
export function rfc822Section(kind: Rfc822Kind): { section: FetchSection; peek: boolean } {
  switch (kind) {
    case "RFC822":
      return { section: { part: [], text: null, fields: [] }, peek: false };
    case "RFC822.HEADER":
      return { section: { part: [], text: "HEADER", fields: [] }, peek: true };
    case "RFC822.TEXT":
      return { section: { part: [], text: "TEXT", fields: [] }, peek: false };
  }
}
