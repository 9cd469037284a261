// Token reader over a framed IMAP command (line segments + literals): atoms, numbers, quoted
// strings, literals, astrings (RFC 9051 §4, §9). Syntax errors unwind as SyntaxFail, which only
// parseCommand catches and turns into a BAD result.
import { ASTRING_CHAR, ATOM_CHAR, isDigit, LIST_CHAR } from "./chars.ts";
import { literalMarker } from "./frame-marker.ts";
import type { FramedLiteral } from "./framer.ts";

export class SyntaxFail {
  constructor(
    readonly message: string,
    readonly status: "BAD" | "NO" = "BAD",
  ) {}
}

export type CommandInput = { readonly segments: readonly Uint8Array[]; readonly literals: readonly FramedLiteral[] };

/** number = 1*DIGIT, an unsigned 32-bit integer (RFC 9051 §9). */
export const MAX_NUMBER = 4294967295;
/** number64 = 1*DIGIT, up to 2^63-1 (RFC 9051 §9). */
const MAX_NUMBER64 = "9223372036854775807";
/** Nesting depth of parenthesised lists and NOT/OR (a stack bound, not an RFC number). */
export const MAX_DEPTH = 32;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// Only ever applied to ASCII runs (the byte tables exclude 8-bit), where windows-1252 is ASCII.
const ascii = new TextDecoder("latin1");

export class Reader {
  readonly #segs: readonly Uint8Array[];
  readonly #lits: readonly FramedLiteral[];
  #i = 0;
  #p = 0;
  #seg: Uint8Array;
  /** Decoder for string values (SEARCH CHARSET changes it, RFC 9051 §6.4.4). */
  decoder: TextDecoder = utf8;
  depth = 0;

  constructor(input: CommandInput) {
    this.#segs = input.segments.length > 0 ? input.segments : [new Uint8Array(0)];
    this.#lits = input.literals;
    this.#seg = this.#segs[0];
  }

  fail(message: string, status: "BAD" | "NO" = "BAD"): never {
    throw new SyntaxFail(message, status);
  }

  atEnd(): boolean {
    return this.#i === this.#segs.length - 1 && this.#p === this.#seg.length;
  }

  /** The next byte, or -1 at the end of a segment. */
  peek(offset = 0): number {
    const q = this.#p + offset;
    return q < this.#seg.length ? this.#seg[q] : -1;
  }

  skip(n = 1): void {
    this.#p += n;
  }

  mark(): { i: number; p: number } {
    return { i: this.#i, p: this.#p };
  }

  reset(m: { i: number; p: number }): void {
    this.#i = m.i;
    this.#p = m.p;
    this.#seg = this.#segs[m.i];
  }

  expect(byte: number, what: string): void {
    if (this.peek() !== byte) this.fail(`Expected ${what}`);
    this.#p++;
  }

  sp(): void {
    this.expect(0x20, "SP");
  }

  tryByte(byte: number): boolean {
    if (this.peek() !== byte) return false;
    this.#p++;
    return true;
  }

  /** Bytes of the table's class (at least one) as a string. */
  run(table: Uint8Array, what: string): string {
    const start = this.#p;
    while (this.#p < this.#seg.length && table[this.#seg[this.#p]] === 1) this.#p++;
    // RFC 9051 §9: 8-bit characters only ever appear in quoted strings and literals.
    if (this.peek() >= 0x80) this.fail(`8-bit character in ${what}`);
    if (this.#p === start) this.fail(`Expected ${what}`);
    return ascii.decode(this.#seg.subarray(start, this.#p));
  }

  atom(): string {
    return this.run(ATOM_CHAR, "atom");
  }

  /** A case-insensitive keyword: letters, digits, ".", "-" (e.g. BODY.PEEK, RFC822.SIZE). */
  word(): string {
    const start = this.#p;
    for (let b = this.peek(); (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || isDigit(b) || b === 0x2e || b === 0x2d; b = this.peek()) this.#p++;
    if (this.#p === start) this.fail("Expected a keyword");
    return ascii.decode(this.#seg.subarray(start, this.#p)).toUpperCase();
  }

  /** The keyword here, without consuming it (or "" when there is none). */
  peekWord(): string {
    const m = this.mark();
    let w = "";
    const b = this.peek() | 0x20;
    if (b >= 0x61 && b <= 0x7a) w = this.word();
    this.reset(m);
    return w;
  }

  /**
   * number64 (RFC 9051 §9; mod-sequence-value, RFC 7162 §7): up to 2^63-1. Above 2^53 the
   * value is rounded to a double, which keeps its order against any smaller number.
   */
  number64(): number {
    const start = this.#p;
    while (isDigit(this.peek())) this.#p++;
    if (this.#p === start) this.fail("Expected a number");
    const digits = ascii.decode(this.#seg.subarray(start, this.#p)).replace(/^0+(?=\d)/, "");
    if (digits.length > MAX_NUMBER64.length || (digits.length === MAX_NUMBER64.length && digits > MAX_NUMBER64)) this.fail("Number out of range");
    return Number(digits);
  }

  /** number = 1*DIGIT, at most 2^32-1 (RFC 9051 §9). */
  number(max = MAX_NUMBER): number {
    const start = this.#p;
    let n = 0;
    while (isDigit(this.peek())) {
      n = n * 10 + (this.#seg[this.#p] - 0x30);
      this.#p++;
      if (n > max) this.fail("Number out of range");
    }
    if (this.#p === start) this.fail("Expected a number");
    return n;
  }

  nzNumber64(): number {
    const n = this.number64();
    if (n === 0) this.fail("Expected a non-zero number");
    return n;
  }

  nzNumber(max = MAX_NUMBER): number {
    const n = this.number(max);
    if (n === 0) this.fail("Expected a non-zero number");
    return n;
  }

  /** quoted = DQUOTE *QUOTED-CHAR DQUOTE; "\" escapes only DQUOTE and "\"; no CR, LF, NUL. */
  quotedBytes(): Uint8Array {
    this.expect(0x22, "DQUOTE");
    const out: number[] = [];
    for (;;) {
      const b = this.peek();
      if (b === 0x22) break;
      if (b === -1) this.fail("Unterminated quoted string");
      if (b === 0x00 || b === 0x0d || b === 0x0a) this.fail("Invalid character in quoted string");
      if (b === 0x5c) {
        const e = this.peek(1);
        if (e !== 0x22 && e !== 0x5c) this.fail("Invalid escape in quoted string");
        this.#p++;
      }
      out.push(this.#seg[this.#p]);
      this.#p++;
    }
    this.#p++;
    return Uint8Array.from(out);
  }

  atLiteral(): boolean {
    const b = this.peek();
    return b === 0x7b || (b === 0x7e && this.peek(1) === 0x7b);
  }

  /** A literal (or literal8) token: its marker must end the segment, the payload is the next literal. */
  literal(): FramedLiteral {
    const m = literalMarker(this.#seg, this.#seg.length);
    if (m.kind !== "literal" || m.start !== this.#p || this.#i >= this.#lits.length) this.fail("Invalid literal");
    const lit = this.#lits[this.#i];
    if (lit.data.length !== m.size || lit.binary !== m.binary) this.fail("Literal does not match its marker");
    this.#i++;
    this.#p = 0;
    this.#seg = this.#segs[this.#i] ?? new Uint8Array(0);
    return lit;
  }

  /** string = quoted / literal, as raw bytes; literal8 is not a string (RFC 3516 §4.2). */
  stringBytes(): Uint8Array {
    if (this.peek() === 0x22) return this.quotedBytes();
    if (!this.atLiteral()) this.fail("Expected a string");
    const lit = this.literal();
    if (lit.binary) this.fail("literal8 is not allowed here");
    // literal = ... *CHAR8; CHAR8 = %x01-ff: no NUL.
    if (lit.data.indexOf(0) >= 0) this.fail("NUL in literal");
    return lit.data;
  }

  decode(bytes: Uint8Array): string {
    try {
      return this.decoder.decode(bytes);
    } catch {
      return this.fail(this.decoder === utf8 ? "Invalid UTF-8 in string" : `Invalid ${this.decoder.encoding} in string`);
    }
  }

  string(): string {
    return this.decode(this.stringBytes());
  }

  isStringStart(): boolean {
    return this.peek() === 0x22 || this.atLiteral();
  }

  /** astring = 1*ASTRING-CHAR / string. */
  astring(): string {
    return this.isStringStart() ? this.string() : this.run(ASTRING_CHAR, "astring");
  }

  /** nstring = string / NIL. */
  nstring(): string | null {
    if (this.isStringStart()) return this.string();
    const w = this.atom();
    if (w.toUpperCase() !== "NIL") this.fail("Expected a string or NIL");
    return null;
  }

  /** mailbox = "INBOX" / astring; INBOX is case-insensitive (RFC 9051 §5.1). */
  mailbox(): string {
    const name = this.astring();
    return name.toUpperCase() === "INBOX" ? "INBOX" : name;
  }

  /** list-mailbox = 1*list-char / string (RFC 9051 §9). */
  listMailbox(): string {
    return this.isStringStart() ? this.string() : this.run(LIST_CHAR, "mailbox pattern");
  }

  /** Enter a nested list or NOT/OR operand, bounded so deep input cannot exhaust the stack. */
  enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail("Too deeply nested");
  }

  leave(): void {
    this.depth--;
  }

  /** "(" item *(SP item) ")", or with allowEmpty "()" too. */
  list<T>(item: () => T, allowEmpty = false): T[] {
    this.expect(0x28, '"("');
    this.enter();
    const out: T[] = [];
    if (!(allowEmpty && this.peek() === 0x29)) {
      out.push(item());
      while (this.tryByte(0x20)) out.push(item());
    }
    this.expect(0x29, '")"');
    this.leave();
    return out;
  }
}
