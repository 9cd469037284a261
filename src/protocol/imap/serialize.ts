// IMAP data formatting for server responses (RFC 9051 §4, RFC 3501 §4): atoms, quoted strings,
// literals, NIL, lists and date-times, written into Uint8Array chunks so that large literals
// (message bodies) are handed to the socket as they are, never copied into a string.

import { concatBytes } from "../bytes.ts";

const enc = new TextEncoder();
const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type StringOptions = { readonly utf8: boolean };

/** Values longer than this (in octets) go as literals: quoted strings are for short values. */
export const MAX_QUOTED_OCTETS = 1000;

/** Literals up to this size are copied into the surrounding chunk; larger ones stay their own. */
const INLINE_LITERAL_OCTETS = 4096;

const CR = 0x0d;
const LF = 0x0a;

/**
 * A string in the form the client can read (RFC 9051 §4.3): the quoted text (a string) when the
 * value is short and every character is a TEXT-CHAR (%x01-7F minus CR LF), or UTF-8 once the
 * client has UTF8=ACCEPT (RFC 9051 §6.3.1, RFC 6855 §3); otherwise the octets to send as a
 * literal (a Uint8Array), which the writer prefixes with "{n}\r\n".
 */
export function imapString(value: string | Uint8Array, opts: StringOptions): string | Uint8Array {
  if (typeof value === "string") return quotableText(value, opts.utf8) ? quote(value) : enc.encode(value);
  if (value.length <= MAX_QUOTED_OCTETS && quotableBytes(value, opts.utf8)) {
    const text = opts.utf8 ? UTF8_STRICT.decode(value) : String.fromCharCode(...value);
    return quote(text);
  }
  return value;
}

function quotableText(s: string, utf8: boolean): boolean {
  if (s.length > MAX_QUOTED_OCTETS) return false;
  let octets = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c === CR || c === LF) return false;
    if (c < 0x80) octets++;
    else if (!utf8) return false;
    else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate would be replaced by U+FFFD on encoding: send the literal instead.
      const d = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return false;
      octets += 4;
      i++;
    } else octets += c < 0x800 ? 2 : 3;
  }
  return octets <= MAX_QUOTED_OCTETS;
}

function quotableBytes(b: Uint8Array, utf8: boolean): boolean {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0 || c === CR || c === LF) return false;
    if (c >= 0x80) ascii = false;
  }
  if (ascii) return true;
  if (!utf8) return false;
  try {
    UTF8_STRICT.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** RFC 9051 §9 quoted: DQUOTE and backslash (quoted-specials) are escaped with a backslash. */
export function quote(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      out += s.slice(from, i) + "\\";
      from = i;
    }
  }
  return out + s.slice(from) + '"';
}

/**
 * RFC 9051 §9 ASTRING-CHAR: ATOM-CHAR or "]"; i.e. CHAR minus "(" ")" "{" SP CTL "%" "*" DQUOTE
 * "\". Non-ASCII is never atom material, even with UTF8=ACCEPT.
 */
export function isAstringAtom(s: string): boolean {
  if (s === "") return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
    if (c === 0x28 || c === 0x29 || c === 0x7b || c === 0x25 || c === 0x2a || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** RFC 9051 §9 astring (mailbox names, header field names): an atom when possible. */
export function astring(value: string, opts: StringOptions): string | Uint8Array {
  // "NIL" is a valid astring, but clients that read it as nil would lose the name.
  if (isAstringAtom(value) && value.toUpperCase() !== "NIL") return value;
  return imapString(value, opts);
}

/** RFC 9051 §9 flag-list: "(" [flag *(SP flag)] ")"; flags are atoms as stored. */
export function formatFlags(flags: readonly string[]): string {
  return "(" + flags.join(" ") + ")";
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/**
 * RFC 9051 §9 date-time, quoted: "dd-Mon-yyyy hh:mm:ss +zzzz" (date-day-fixed may be 2DIGIT).
 * `offsetMinutes` is the zone to present the instant in; the server uses UTC (+0000).
 */
export function formatInternalDate(ms: number, offsetMinutes = 0): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const zone = sign + pad2(Math.floor(abs / 60)) + pad2(abs % 60);
  const year = String(d.getUTCFullYear()).padStart(4, "0");
  return (
    `"${pad2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${year} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${zone}"`
  );
}

/**
 * Builds one or more response lines as Uint8Array chunks. Items are separated by one SP
 * automatically, except right after "(" and before ")"; `glue()` suppresses the next one
 * (RFC 9051 §9 writes address lists and multipart bodies as adjacent lists: ")(").
 */
export class ImapWriter {
  readonly utf8: boolean;
  #out: Uint8Array[] = [];
  #parts: Uint8Array[] = [];
  #text = "";
  #space = false;

  constructor(opts: StringOptions) {
    this.utf8 = opts.utf8;
  }

  #sep(): void {
    if (this.#space) this.#text += " ";
    this.#space = true;
  }

  /** An atom, number or other token that needs no quoting (e.g. "FETCH", "BODY[1]<0>"). */
  atom(token: string | number | bigint): this {
    this.#sep();
    this.#text += String(token);
    return this;
  }

  nil(): this {
    return this.atom("NIL");
  }

  /** RFC 9051 §4.3 string: quoted or literal, whichever the value allows. */
  string(value: string | Uint8Array): this {
    const v = imapString(value, this);
    return typeof v === "string" ? this.atom(v) : this.literal(v);
  }

  /** RFC 9051 §9 nstring: NIL or string. */
  nstring(value: string | Uint8Array | null): this {
    return value === null ? this.nil() : this.string(value);
  }

  astring(value: string): this {
    const v = astring(value, this);
    return typeof v === "string" ? this.atom(v) : this.literal(v);
  }

  /** "{n}\r\n" then the octets; `literal8` writes "~{n}" (RFC 3516 §4.2, RFC 9051 §9). */
  literal(bytes: Uint8Array, literal8 = false): this {
    this.#sep();
    this.#text += `${literal8 ? "~" : ""}{${bytes.length}}\r\n`;
    this.#flushText();
    if (bytes.length <= INLINE_LITERAL_OCTETS) {
      this.#parts.push(bytes);
    } else {
      this.#flushChunk();
      this.#out.push(bytes);
    }
    return this;
  }

  open(): this {
    this.#sep();
    this.#text += "(";
    this.#space = false;
    return this;
  }

  close(): this {
    this.#text += ")";
    this.#space = true;
    return this;
  }

  /** No SP before the next item. */
  glue(): this {
    this.#space = false;
    return this;
  }

  /** Verbatim wire text (e.g. resp-text after the status), preceded by SP when needed. */
  text(s: string): this {
    this.#sep();
    this.#text += s;
    return this;
  }

  /** Ends the line with CRLF. */
  crlf(): this {
    this.#text += "\r\n";
    this.#space = false;
    return this;
  }

  /** All chunks written so far; the writer is empty afterwards. */
  finish(): Uint8Array[] {
    this.#flushChunk();
    const out = this.#out;
    this.#out = [];
    this.#space = false;
    return out;
  }

  #flushText(): void {
    if (this.#text === "") return;
    this.#parts.push(enc.encode(this.#text));
    this.#text = "";
  }

  #flushChunk(): void {
    this.#flushText();
    if (this.#parts.length === 1) this.#out.push(this.#parts[0]!);
    else if (this.#parts.length > 1) this.#out.push(concatBytes(this.#parts));
    this.#parts = [];
  }
}
