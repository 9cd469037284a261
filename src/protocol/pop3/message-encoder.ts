// A message as POP3 sends it (RFC 1939 §3, §11): every line ends in CRLF whatever the stored
// form (bare CR or bare LF become CRLF), lines starting with "." are byte-stuffed, and the
// response ends with CRLF "." CRLF. Streaming: one chunk in, the bytes to send out.

import { Buffer } from "node:buffer";
import { concatBytes } from "../bytes.ts";

const CR = 13;
const LF = 10;
const DOT = 46;
const CRLF = new Uint8Array([CR, LF]);
const DOT_BYTES = new Uint8Array([DOT]);
const TERMINATOR = new Uint8Array([DOT, CR, LF]);
const CRLF_TERMINATOR = new Uint8Array([CR, LF, DOT, CR, LF]);
const LF_DOT = Buffer.from([LF, DOT]);

export type EncoderOptions = {
  /**
   * TOP (RFC 1939 §7): the header, the blank line after it, then at most this many body
   * lines. null (RETR) sends everything.
   */
  readonly bodyLines?: number | null;
  /**
   * The input is known to use CRLF everywhere (its transmitted size equals its stored size):
   * only byte-stuffing is left, found with one native search per chunk. Ignored for TOP.
   */
  readonly canonical?: boolean;
};

/**
 * Line ends: a CR always ends a line (an LF right after it belongs to it); an LF not
 * preceded by a CR ends a line too. Chunk boundaries may fall anywhere, even inside a CRLF.
 */
export class MessageEncoder {
  #lineStart = true;
  /** The previous chunk ended in CR: an LF at the start of the next one is its pair. */
  #skipLF = false;
  #inHeader = true;
  #bodyLinesLeft: number | null;
  #done = false;
  readonly #canonical: boolean;

  constructor(opts: EncoderOptions = {}) {
    this.#bodyLinesLeft = opts.bodyLines ?? null;
    this.#canonical = (opts.canonical ?? false) && this.#bodyLinesLeft === null;
  }

  /** TOP has sent all the lines it was asked for: the rest of the message can be skipped. */
  get done(): boolean {
    return this.#done;
  }

  push(chunk: Uint8Array): Uint8Array {
    if (this.#done) return new Uint8Array(0);
    if (this.#canonical) return this.#stuffOnly(chunk);
    const len = chunk.length;
    const pieces: Uint8Array[] = [];
    let pos = 0;
    if (this.#skipLF && len > 0) {
      this.#skipLF = false;
      if (chunk[0] === LF) pos = 1;
    }
    // Verbatim bytes [run, pos) are copied as one piece when something must be inserted.
    let run = pos;
    const flush = (end: number) => {
      if (end > run) pieces.push(chunk.subarray(run, end));
    };
    let nextLF = -1;
    let nextCR = -1;
    let lineStartAt = -1;
    while (pos < len) {
      if (this.#lineStart) {
        if (!this.#inHeader && this.#bodyLinesLeft !== null && this.#bodyLinesLeft <= 0) {
          this.#done = true;
          break;
        }
        // RFC 1939 §3: a line beginning with the termination octet gets one more.
        if (chunk[pos] === DOT) {
          flush(pos);
          pieces.push(DOT_BYTES);
          run = pos;
        }
        this.#lineStart = false;
        lineStartAt = pos;
      }
      if (nextLF < pos) nextLF = indexOr(chunk, LF, pos, len);
      if (nextCR < pos) nextCR = indexOr(chunk, CR, pos, len);
      const t = Math.min(nextLF, nextCR);
      if (t === len) {
        pos = len;
        break;
      }
      const empty = t === lineStartAt;
      if (t === nextCR) {
        if (t + 1 < len && chunk[t + 1] === LF) {
          pos = t + 2;
        } else {
          // A bare CR, or one whose LF may start the next chunk: send CRLF either way.
          flush(t);
          pieces.push(CRLF);
          pos = run = t + 1;
          if (pos === len) this.#skipLF = true;
        }
      } else {
        flush(t);
        pieces.push(CRLF);
        pos = run = t + 1;
      }
      this.#lineStart = true;
      if (this.#inHeader) {
        if (empty) this.#inHeader = false;
      } else if (this.#bodyLinesLeft !== null) {
        this.#bodyLinesLeft--;
      }
    }
    flush(pos);
    return joinPieces(pieces);
  }

  /** Canonical input: a "." is inserted at every line start that has one, nothing else. */
  #stuffOnly(chunk: Uint8Array): Uint8Array {
    const len = chunk.length;
    if (len === 0) return chunk;
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, len);
    const pieces: Uint8Array[] = [];
    let run = 0;
    if (this.#lineStart && b[0] === DOT) pieces.push(DOT_BYTES);
    for (let i = b.indexOf(LF_DOT); i >= 0; i = b.indexOf(LF_DOT, i + 2)) {
      pieces.push(chunk.subarray(run, i + 1), DOT_BYTES);
      run = i + 1;
    }
    if (pieces.length === 0) {
      this.#lineStart = b[len - 1] === LF;
      return chunk;
    }
    pieces.push(chunk.subarray(run));
    this.#lineStart = b[len - 1] === LF;
    return joinPieces(pieces);
  }

  /** The end of the multi-line response: CRLF for an unterminated last line, then ".". */
  end(): Uint8Array {
    return this.#lineStart ? TERMINATOR : CRLF_TERMINATOR;
  }
}

function indexOr(b: Uint8Array, byte: number, from: number, none: number): number {
  const i = b.indexOf(byte, from);
  return i < 0 ? none : i;
}

/**
 * The size POP3 reports for a message (STAT, LIST, "+OK n octets"): octets as transmitted
 * with CRLF line ends, not counting byte-stuffing or the final "." line (RFC 1939 §5, §11).
 * Equal to the stored size when the stored form already has CRLF everywhere. Fed in chunks
 * (a CRLF may straddle two), so a large message never has to be in memory at once.
 */
export class SizeCounter {
  #octets = 0;
  #cr = 0;
  #lf = 0;
  #crlf = 0;
  #last = -1;

  push(chunk: Uint8Array): this {
    const len = chunk.length;
    if (len === 0) return this;
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
      this.#lf++;
      if (i > 0 ? chunk[i - 1] === CR : this.#last === CR) this.#crlf++;
    }
    for (let i = chunk.indexOf(CR); i >= 0; i = chunk.indexOf(CR, i + 1)) this.#cr++;
    this.#octets += len;
    this.#last = chunk[len - 1];
    return this;
  }

  get size(): number {
    if (this.#octets === 0) return 0;
    // Each line end becomes 2 octets: CRLF pairs stay, bare CR and bare LF gain one each;
    // an unterminated last line gets its CRLF.
    const tail = this.#last === CR || this.#last === LF ? 0 : 2;
    return this.#octets + (this.#cr - this.#crlf) + (this.#lf - this.#crlf) + tail;
  }
}

export function transmittedSize(raw: Uint8Array): number {
  return new SizeCounter().push(raw).size;
}

/** The pieces as one buffer; a single piece is returned as it is (no copy). */
function joinPieces(pieces: Uint8Array[]): Uint8Array {
  return pieces.length === 1 ? pieces[0]! : concatBytes(pieces);
}
