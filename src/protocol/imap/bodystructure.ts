// FETCH BODY and BODYSTRUCTURE (RFC 9051 §7.5.2 and §9 "body", RFC 3501 §7.4.2) written from
// the MimePart tree stored at delivery: the non-extensible BODY form or, with extension data
// (MD5, disposition, language, location), the BODYSTRUCTURE form.

import type { MimePart } from "../mime/types.ts";
import { clientText, writeEnvelope } from "./envelope.ts";
import { emptyPart } from "./fetch-body.ts";
import type { ImapWriter } from "./serialize.ts";

export type BodyOptions = {
  /** true: BODYSTRUCTURE (with extension data); false: BODY. */
  readonly extensible: boolean;
  /**
   * IMAP4rev2 session: RFC 9051 §9 media-message includes "GLOBAL", so message/global gets the
   * envelope form; RFC 3501's grammar only knows MESSAGE/RFC822 and reads GLOBAL as basic.
   */
  readonly rev2: boolean;
};

/** RFC 2231 §7 attribute-char: what may stand unescaped in an extended parameter value. */
const ATTRIBUTE_CHARS = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** RFC 2231 §4 extended value: charset''percent-encoded octets. */
function rfc2231(value: string): string {
  let out = "utf-8''";
  for (const b of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && ATTRIBUTE_CHARS.test(ch) ? ch : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * body-fld-param: "(" string SP string *(SP string SP string) ")" / nil. Values are stored
 * decoded; a client without UTF8=ACCEPT gets non-ASCII values back in RFC 2231 form
 * ("NAME*" "utf-8''...") since RFC 2047 words are not allowed in parameters (RFC 2047 §5).
 */
function writeParams(w: ImapWriter, params: Readonly<Record<string, string>>): void {
  const keys = Object.keys(params);
  if (keys.length === 0) {
    w.nil();
    return;
  }
  w.open();
  for (const k of keys) {
    const v = params[k]!;
    if (w.utf8 || isAscii(v)) w.string(k.toUpperCase()).string(v);
    else w.string(k.toUpperCase() + "*").string(rfc2231(v));
  }
  w.close();
}

/** body-fld-dsp: "(" string SP body-fld-param ")" / nil (RFC 2183). */
function writeDisposition(w: ImapWriter, part: MimePart): void {
  if (part.disposition === null) {
    w.nil();
    return;
  }
  w.open().string(part.disposition.value.toUpperCase());
  writeParams(w, part.disposition.params);
  w.close();
}

/** body-fld-lang: nstring / "(" string *(SP string) ")" (RFC 3282 tags). */
function writeLanguage(w: ImapWriter, part: MimePart): void {
  if (part.language === null || part.language.length === 0) {
    w.nil();
    return;
  }
  w.open();
  for (const tag of part.language) w.string(tag);
  w.close();
}

/** body-ext-1part / body-ext-mpart tail: body-fld-dsp SP body-fld-lang SP body-fld-loc. */
function writeExtensionTail(w: ImapWriter, part: MimePart): void {
  writeDisposition(w, part);
  writeLanguage(w, part);
  w.nstring(part.location);
}

/**
 * body-fields: body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP
 * body-fld-octets. The encoding is upper-cased as in the RFC's examples ("7BIT", "BASE64").
 */
function writeFields(w: ImapWriter, part: MimePart): void {
  writeParams(w, part.contentType.params);
  w.nstring(part.id);
  w.nstring(part.description === null ? null : clientText(part.description, w.utf8));
  w.string(part.encoding.toUpperCase());
  w.atom(part.size);
}


/** body-type-mpart: 1*body SP media-subtype [SP body-ext-mpart]; the bodies are adjacent. */
function writeMultipart(w: ImapWriter, part: MimePart, opts: BodyOptions): void {
  // RFC 2046 §5.1.1 needs one body part; a multipart without any is shown with an empty one.
  const children = part.parts && part.parts.length > 0 ? part.parts : [emptyPart(part.bodyStart)];
  w.open();
  for (let i = 0; i < children.length; i++) {
    if (i > 0) w.glue();
    writeBody(w, children[i]!, opts);
  }
  w.string(part.contentType.subtype.toUpperCase());
  if (opts.extensible) {
    writeParams(w, part.contentType.params);
    writeExtensionTail(w, part);
  }
  w.close();
}

/** Whether the part is written in the body-type-msg form (envelope, body, lines). */
function encapsulated(part: MimePart, opts: BodyOptions): MimePart["message"] | null {
  const { type, subtype } = part.contentType;
  if (part.message === undefined || type !== "message") return null;
  if (subtype === "rfc822" || (subtype === "global" && opts.rev2)) return part.message;
  return null;
}

/**
 * RFC 9051 §9 body: "(" (body-type-1part / body-type-mpart) ")". A single part is
 * body-type-basic, body-type-text (+ lines) or body-type-msg (+ envelope, body, lines),
 * followed in BODYSTRUCTURE by body-ext-1part: MD5, disposition, language, location.
 */
export function writeBody(w: ImapWriter, part: MimePart, opts: BodyOptions): void {
  if (part.contentType.type === "multipart") {
    writeMultipart(w, part, opts);
    return;
  }
  w.open();
  w.string(part.contentType.type.toUpperCase()).string(part.contentType.subtype.toUpperCase());
  writeFields(w, part);
  const message = encapsulated(part, opts);
  if (message) {
    writeEnvelope(w, message.envelope);
    writeBody(w, message.part, opts);
    w.atom(part.lines);
  } else if (part.contentType.type === "text") {
    w.atom(part.lines);
  }
  if (opts.extensible) {
    w.nstring(part.md5);
    writeExtensionTail(w, part);
  }
  w.close();
}
