// Incremental decoders for message content: DATA (dot-terminated, dot-stuffed text, the
// SMTP-smuggling defence lives here) and BDAT chunks (RFC 3030, binary, size-counted).

export type DataError = "too-big" | "bare-cr-lf" | "line-too-long";
export type DataDecoderOptions = {
  /** Cap on the stored (unstuffed) body, CRLFs included; beyond it bytes are consumed, not kept. */
  maxBytes: number;
  /** RFC 5321 §4.5.3.1.6: 1000 octets including CRLF, not counting a stuffed leading dot. */
  maxLineLength: number;
  /** Bare CR or LF is always an error (RFC 5321 §2.3.8); the only mode there is. */
  bareLineEnding: "reject";
};
export type PushResult = { done: false } | { done: true; rest: Uint8Array };

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const INITIAL_CAPACITY = 64 * 1024;

// States. "Line start" is only ever reached through a real CRLF (or at the very beginning,
// where the DATA command's CRLF precedes us), so "." after a bare CR or LF never ends data.
const LINE_START = 0; // after CRLF
const DOT_SEEN = 1; // "." at line start, not stored
const DOT_CR = 2; // "." CR at line start: LF now ends the data
const MID = 3; // inside a line
const CR_SEEN = 4; // CR inside a line, not stored yet

/** A growable byte store that never holds more than `max` bytes. */
class CappedBuffer {
  #buf: Uint8Array;
  #len = 0;
  #over = false;
  readonly #max: number;
  constructor(max: number) {
    this.#max = max >= 0 ? max : 0; // NaN or negative: keep nothing
    this.#buf = new Uint8Array(Math.min(this.#max, INITIAL_CAPACITY) | 0);
  }
  get over(): boolean {
    return this.#over;
  }
  get length(): number {
    return this.#len;
  }
  /**
   * Append src[from, to). What fits under the cap is kept, so the stored prefix is the same
   * however the input was chunked; the rest is dropped and the overflow remembered.
   */
  append(src: Uint8Array, from: number, to: number): void {
    if (this.#over || to <= from) return;
    if (this.#len + (to - from) > this.#max) {
      this.#over = true;
      to = from + (this.#max - this.#len);
      if (to <= from) return;
    }
    const n = to - from;
    if (this.#len + n > this.#buf.length) {
      let cap = Math.max(this.#buf.length * 2, INITIAL_CAPACITY);
      while (cap < this.#len + n) cap *= 2;
      const next = new Uint8Array(Math.min(cap, this.#max));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(src.subarray(from, to), this.#len);
    this.#len += n;
  }
  /** Declare that more bytes than fit are coming (BDAT announced too much): keep no more. */
  overflow(): void {
    this.#over = true;
  }
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

const CRLF_BYTES = new Uint8Array([CR, LF]);
const CR_BYTE = new Uint8Array([CR]);

/**
 * DATA phase decoder (RFC 5321 §4.1.1.4, §4.5.2). The only end is CRLF "." CRLF; a line's
 * leading "." is removed; bare CR/LF, an over-long line or an oversize body are recorded
 * while input keeps being consumed up to the real end, with memory bounded by maxBytes.
 */
export class DataDecoder {
  readonly #maxLine: number;
  readonly #body: CappedBuffer;
  #state = LINE_START;
  #lineLen = 0;
  #bare = false;
  #longLine = false;
  #done = false;

  constructor(opts: DataDecoderOptions) {
    this.#maxLine = opts.maxLineLength;
    this.#body = new CappedBuffer(opts.maxBytes);
  }

  get done(): boolean {
    return this.#done;
  }

  // Line content (not the CRLF) counts towards the line limit; 2 octets are left for CRLF.
  #content(src: Uint8Array, from: number, to: number): void {
    this.#lineLen += to - from;
    if (this.#lineLen > this.#maxLine - 2) this.#longLine = true;
    this.#body.append(src, from, to);
  }

  push(chunk: Uint8Array): PushResult {
    if (this.#done) return { done: true, rest: chunk };
    const n = chunk.length;
    let state = this.#state;
    let i = 0;
    while (i < n) {
      const b = chunk[i];
      switch (state) {
        case MID: {
          let j = i;
          while (j < n && chunk[j] !== CR && chunk[j] !== LF) j++;
          if (j > i) {
            this.#content(chunk, i, j);
            i = j;
          } else if (b === CR) {
            state = CR_SEEN;
            i++;
          } else {
            // RFC 5321 §2.3.8: a bare LF is not a line ending.
            this.#bare = true;
            this.#content(chunk, i, i + 1);
            i++;
          }
          break;
        }
        case LINE_START:
          if (b === DOT) {
            state = DOT_SEEN;
            i++;
          } else state = MID; // same byte again, as line content
          break;
        case DOT_SEEN:
          // RFC 5321 §4.5.2: the first "." of a line is removed; the rest is line content.
          if (b === CR) {
            state = DOT_CR;
            i++;
          } else state = MID;
          break;
        case DOT_CR:
          if (b === LF) {
            this.#done = true;
            this.#state = state;
            return { done: true, rest: chunk.subarray(i + 1) };
          }
          // "." CR followed by anything but LF: a bare CR, never the end (SMTP smuggling).
          this.#bare = true;
          this.#content(CR_BYTE, 0, 1);
          state = MID;
          break;
        case CR_SEEN:
          if (b === LF) {
            this.#body.append(CRLF_BYTES, 0, 2);
            this.#lineLen = 0;
            state = LINE_START;
            i++;
          } else {
            this.#bare = true;
            this.#content(CR_BYTE, 0, 1);
            state = MID;
          }
          break;
      }
    }
    this.#state = state;
    return { done: false };
  }

  /**
   * The body with dots unstuffed and the final CRLF of the last line kept (RFC 5321 §4.1.1.4).
   * One error is reported, the most decisive first: bare line endings (answered 550 5.6.11),
   * then size (552), then line length (500).
   */
  result(): { body: Uint8Array; error: DataError | null } {
    const error: DataError | null = this.#bare
      ? "bare-cr-lf"
      : this.#body.over
        ? "too-big"
        : this.#longLine
          ? "line-too-long"
          : null;
    return { body: this.#body.bytes(), error };
  }
}

/**
 * BDAT chunk collector (RFC 3030 §2): each BDAT announces an exact octet count; the data is
 * binary, with no dot handling and no line rules. The cap applies to the whole message across
 * chunks; past it the announced bytes are still consumed (the client sends them regardless)
 * but not kept.
 */
export class ChunkCollector {
  readonly #maxBytes: number;
  #body: CappedBuffer;
  #remaining = 0;
  #announced = 0;

  constructor(opts: { maxBytes: number }) {
    this.#maxBytes = opts.maxBytes;
    this.#body = new CappedBuffer(opts.maxBytes);
  }

  /** Announce a chunk of `size` octets (from a parsed BDAT command). */
  expect(size: number): void {
    const n = Number.isSafeInteger(size) && size > 0 ? size : 0;
    this.#remaining += n;
    this.#announced += n;
    // Known to be too big as soon as it is announced; storing stops at once.
    if (this.#announced > this.#maxBytes) this.#body.overflow();
  }

  /** Octets of the current chunk still to come. */
  get remaining(): number {
    return this.#remaining;
  }

  /** Whether the announced total already exceeds the cap (the session may reply early). */
  get tooBig(): boolean {
    return this.#body.over;
  }

  /** Take up to `remaining` octets; chunk.subarray(consumed) is the next command input. */
  push(chunk: Uint8Array): { consumed: number; remaining: number } {
    const take = Math.min(chunk.length, this.#remaining);
    this.#body.append(chunk, 0, take);
    this.#remaining -= take;
    return { consumed: take, remaining: this.#remaining };
  }

  result(): { body: Uint8Array; error: "too-big" | null } {
    return { body: this.#body.bytes(), error: this.#body.over ? "too-big" : null };
  }

  /** Forget the message (RSET, or after the LAST chunk was handled). */
  reset(): void {
    this.#body = new CappedBuffer(this.#maxBytes);
    this.#remaining = 0;
    this.#announced = 0;
  }
}
