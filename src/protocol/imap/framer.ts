// Byte-level IMAP command framing: splits the client stream into command lines and literals
// (RFC 9051 §4.3, §7.5; RFC 7888 LITERAL+/LITERAL-; RFC 3516 literal8) with bounded buffers.
// Pure: bytes in, events out; pending input is only framed when next() is called.
import { assembleCommand, TailBuffer } from "./frame-buffer.ts";
import { literalMarker, readTag } from "./frame-marker.ts";
import { concatBytes } from "../bytes.ts";

export type FramerLimits = {
  /** Bytes of one command line segment (CRLF excluded). */
  readonly maxLine: number;
  /** Bytes of one literal: small before authentication, APPENDLIMIT after (RFC 7889). */
  readonly maxLiteral: number;
  /** Bytes of one command: every segment plus every literal. */
  readonly maxCommand: number;
  /** Literals in one command. */
  readonly maxLiterals: number;
};

export const PRE_AUTH_LIMITS: FramerLimits = { maxLine: 65536, maxLiteral: 4096, maxCommand: 131072, maxLiterals: 64 };
export const POST_AUTH_LIMITS: FramerLimits = { maxLine: 65536, maxLiteral: 64 * 1024 * 1024, maxCommand: 65 * 1024 * 1024, maxLiterals: 1000 };

export type FramedLiteral = {
  readonly data: Uint8Array;
  /** literal8 `~{n}` (RFC 3516 §4.3). */
  readonly binary: boolean;
  /** `{n}` (true) or LITERAL+ `{n+}` (false). */
  readonly sync: boolean;
};

export type FramedCommand = {
  readonly type: "command";
  /** The whole command as sent, CRLF after each literal marker, final CRLF removed. */
  readonly line: Uint8Array;
  /** Line segments; segments[i] ends with the marker of literals[i]; one more segment than literals. */
  readonly segments: readonly Uint8Array[];
  readonly literals: readonly FramedLiteral[];
};

export type FramerEvent =
  | FramedCommand
  /** A synchronizing literal was accepted: send "+ " + text + CRLF (RFC 9051 §7.5). */
  | { readonly type: "continue"; readonly text: string }
  /** Send `response`; when fatal, close the connection afterwards (the stream cannot be resynchronized). */
  | { readonly type: "reject"; readonly tag: string | null; readonly response: string; readonly fatal: boolean };

type Mode = "line" | "literal" | "discard-line" | "discard-literal" | "closed";

const EMPTY = new Uint8Array(0);
/** What the command in progress holds when it has no segment or literal yet (never written to). */
const NONE: never[] = [];

// An idle connection's framer holds no buffer: the segment buffer, the command's arrays and
// the discard tail are made when needed and dropped after the command (thousands of idle
// IMAP connections each kept ~0.5 KiB of them).
export class CommandFramer {
  #limits: FramerLimits;
  #mode: Mode = "line";
  // Pending input: a queue of pushed chunks, framed lazily by next().
  #chunks: Uint8Array[] = NONE;
  #head = 0;
  #off = 0;
  // The part of a segment received so far, when a line arrives in several chunks.
  #seg: Uint8Array = EMPTY;
  #segLen = 0;
  // The command being assembled.
  #segments: Uint8Array[] = NONE;
  #literals: FramedLiteral[] = NONE;
  #total = 0;
  #tag: string | null = null;
  // The literal being read (or skipped).
  #lit: Uint8Array = EMPTY;
  #litFill = 0;
  #litBinary = false;
  #litSync = true;
  #skip = 0;
  // The end of a discarded line, to see whether a LITERAL+ payload follows it.
  #tail: TailBuffer | null = null;

  constructor(limits: FramerLimits) {
    this.#limits = limits;
  }

  /** E.g. after authentication: larger literals up to APPENDLIMIT. Applies from the next check on. */
  setLimits(l: Partial<FramerLimits>): void {
    this.#limits = { ...this.#limits, ...l };
  }

  /** Like setLimits with a complete set, kept rather than copied: connections can share one. */
  useLimits(l: FramerLimits): void {
    this.#limits = l;
  }

  get limits(): FramerLimits {
    return this.#limits;
  }

  /** The framer keeps a reference to `bytes` (no copy) until it has been framed. */
  push(bytes: Uint8Array): void {
    if (this.#mode === "closed" || bytes.length === 0) return;
    if (this.#chunks.length === 0) this.#chunks = [bytes];
    else this.#chunks.push(bytes);
  }

  /** Bytes pushed but not yet framed. */
  get buffered(): number {
    let n = -this.#off;
    for (let i = this.#head; i < this.#chunks.length; i++) n += this.#chunks[i].length;
    return Math.max(0, n);
  }

  /**
   * Everything received but not framed yet (a partial line included), and a fresh state:
   * after STARTTLS these bytes are discarded (RFC 9051 §6.2.1, DESIGN §5).
   */
  take(): Uint8Array {
    const parts: Uint8Array[] = [];
    if (this.#mode === "line" && this.#segments.length === 0) parts.push(this.#seg.subarray(0, this.#segLen));
    for (let i = this.#head; i < this.#chunks.length; i++) parts.push(i === this.#head ? this.#chunks[i].subarray(this.#off) : this.#chunks[i]);
    const out = concatBytes(parts);
    this.#chunks = NONE;
    this.#head = 0;
    this.#off = 0;
    if (this.#mode !== "closed") this.#mode = "line";
    this.#resetCommand();
    return out;
  }

  next(): FramerEvent | null {
    for (;;) {
      if (this.#mode === "closed") return null;
      // A zero-length literal completes without input.
      if (this.#mode === "literal" && this.#litFill === this.#lit.length) {
        this.#finishLiteral();
        continue;
      }
      if (this.#mode === "discard-literal" && this.#skip === 0) {
        this.#mode = "discard-line";
        this.#tail?.clear();
        continue;
      }
      if (this.#head >= this.#chunks.length) return null;
      const chunk = this.#chunks[this.#head];
      if (this.#off >= chunk.length) {
        // Release the consumed chunk now: an idle connection must not keep old input (after
        // an APPEND, megabytes) alive until more chunks arrive.
        this.#chunks[this.#head] = EMPTY;
        this.#head++;
        this.#off = 0;
        if (this.#head === this.#chunks.length) {
          this.#chunks = NONE;
          this.#head = 0;
        } else if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
          this.#chunks = this.#chunks.slice(this.#head);
          this.#head = 0;
        }
        continue;
      }
      const ev = this.#step(chunk);
      if (ev !== null) return ev;
    }
  }

  #step(chunk: Uint8Array): FramerEvent | null {
    switch (this.#mode) {
      case "line":
        return this.#stepLine(chunk);
      case "literal": {
        const n = Math.min(this.#lit.length - this.#litFill, chunk.length - this.#off);
        this.#lit.set(chunk.subarray(this.#off, this.#off + n), this.#litFill);
        this.#litFill += n;
        this.#off += n;
        return null;
      }
      case "discard-literal": {
        const n = Math.min(this.#skip, chunk.length - this.#off);
        this.#skip -= n;
        this.#off += n;
        return null;
      }
      case "discard-line":
        return this.#stepDiscard(chunk);
      case "closed":
        return null;
    }
  }

  /** The most a segment may hold: the line cap, or what the command cap leaves. */
  #segCap(): { cap: number; text: string } {
    const left = this.#limits.maxCommand - this.#total;
    return this.#limits.maxLine <= left ? { cap: this.#limits.maxLine, text: "Line too long" } : { cap: Math.max(0, left), text: "Command too long" };
  }

  #stepLine(chunk: Uint8Array): FramerEvent | null {
    const lf = chunk.indexOf(10, this.#off);
    const end = lf < 0 ? chunk.length : lf;
    const { cap, text } = this.#segCap();
    const len = this.#segLen + (end - this.#off);
    // A segment of cap bytes may still be followed by its CR before the LF.
    const stripped = lf >= 0 && len > 0 && (end > this.#off ? chunk[end - 1] : this.#seg[this.#segLen - 1]) === 13 ? len - 1 : len;
    if ((lf < 0 && len > cap + 1) || (lf >= 0 && stripped > cap)) {
      // Keep the tail (for a marker) and the head (for the tag); drop the rest unbuffered.
      const tail = (this.#tail ??= new TailBuffer());
      tail.clear();
      tail.push(this.#seg.subarray(0, this.#segLen));
      tail.push(chunk.subarray(this.#off, end));
      this.#append(chunk.subarray(this.#off, this.#off + Math.max(0, Math.min(end - this.#off, cap + 1 - this.#segLen))));
      this.#off = end;
      const tag = this.#segments.length > 0 ? this.#tag : readTag(this.#seg.subarray(0, this.#segLen));
      this.#mode = "discard-line";
      this.#resetCommand();
      return reject(tag, "BAD", text, false);
    }
    if (lf >= 0 && this.#segLen === 0) {
      // The whole segment is in this chunk (the usual case): copied out once, no staging.
      const segment = chunk.slice(this.#off, this.#off + stripped);
      this.#off = lf + 1;
      return this.#endSegment(segment);
    }
    this.#append(chunk.subarray(this.#off, end));
    if (lf < 0) {
      this.#off = end;
      return null;
    }
    this.#off = lf + 1;
    const segment = this.#seg.slice(0, stripped);
    this.#segLen = 0;
    this.#seg = EMPTY;
    return this.#endSegment(segment);
  }

  #endSegment(segment: Uint8Array): FramerEvent | null {
    if (this.#segments.length === 0) this.#tag = readTag(segment);
    const tag = this.#tag;
    const m = literalMarker(segment, segment.length);
    if (m.kind === "none") {
      this.#addSegment(segment);
      return this.#complete();
    }
    if (m.kind === "malformed") {
      // RFC 7888 §4: a LITERAL+ whose size cannot be read leaves the stream unreadable.
      this.#close();
      return reject(tag, "BAD", "Invalid literal size", true);
    }
    const l = this.#limits;
    const many = this.#literals.length >= l.maxLiterals;
    const big = m.size > l.maxLiteral || this.#total + segment.length + m.size > l.maxCommand;
    if (many || big) {
      // RFC 9051 §7.5: refusing a synchronizing literal ends the command (the client sends no
      // more of it). RFC 7888 §4: a LITERAL+ payload is already on its way: BAD [TOOBIG], close.
      const response = many ? "Too many literals" : "[TOOBIG] Literal too large";
      if (!m.sync) {
        this.#close();
        return reject(tag, "BAD", response, true);
      }
      this.#resetCommand();
      return reject(tag, many ? "BAD" : "NO", response, false);
    }
    this.#addSegment(segment);
    this.#total += segment.length;
    this.#lit = m.size === 0 ? EMPTY : new Uint8Array(m.size);
    this.#litFill = 0;
    this.#litBinary = m.binary;
    this.#litSync = m.sync;
    this.#mode = "literal";
    return m.sync ? { type: "continue", text: "Ready for literal data" } : null;
  }

  #addSegment(segment: Uint8Array): void {
    if (this.#segments.length === 0) this.#segments = [segment];
    else this.#segments.push(segment);
  }

  #finishLiteral(): void {
    const lit: FramedLiteral = { data: this.#lit, binary: this.#litBinary, sync: this.#litSync };
    if (this.#literals.length === 0) this.#literals = [lit];
    else this.#literals.push(lit);
    this.#total += this.#lit.length;
    this.#lit = EMPTY;
    this.#mode = "line";
  }

  #stepDiscard(chunk: Uint8Array): FramerEvent | null {
    const lf = chunk.indexOf(10, this.#off);
    const end = lf < 0 ? chunk.length : lf;
    const tail = (this.#tail ??= new TailBuffer());
    tail.push(chunk.subarray(this.#off, end));
    if (lf < 0) {
      this.#off = end;
      return null;
    }
    this.#off = lf + 1;
    const m = tail.marker();
    tail.clear();
    if (m.kind === "literal" && !m.sync && Number.isSafeInteger(m.size)) {
      // The rejected command goes on with a LITERAL+ payload: skip it, counting only.
      this.#mode = "discard-literal";
      this.#skip = m.size;
      return null;
    }
    if ((m.kind === "literal" && !m.sync) || m.kind === "malformed") {
      this.#close();
      return { type: "reject", tag: null, response: "* BYE Cannot resynchronize the command stream\r\n", fatal: true };
    }
    // No marker, or a synchronizing one the client will see refused by the BAD already sent.
    this.#mode = "line";
    return null;
  }

  #complete(): FramerEvent {
    const ev = assembleCommand(this.#segments, this.#literals);
    this.#resetCommand();
    this.#mode = "line";
    return ev;
  }

  #append(bytes: Uint8Array): void {
    const need = this.#segLen + bytes.length;
    if (need > this.#seg.length) {
      const grown = new Uint8Array(Math.max(need, 256, this.#seg.length * 2));
      grown.set(this.#seg.subarray(0, this.#segLen));
      this.#seg = grown;
    }
    this.#seg.set(bytes, this.#segLen);
    this.#segLen = need;
  }

  #resetCommand(): void {
    this.#segments = NONE;
    this.#literals = NONE;
    this.#total = 0;
    this.#tag = null;
    this.#segLen = 0;
    this.#seg = EMPTY;
    this.#lit = EMPTY;
  }

  #close(): void {
    this.#mode = "closed";
    this.#chunks = NONE;
    this.#head = 0;
    this.#off = 0;
    this.#resetCommand();
  }
}

function reject(tag: string | null, status: "BAD" | "NO", text: string, fatal: boolean): FramerEvent {
  // Without a readable tag the refusal is untagged (RFC 9051 §7.1.3).
  return { type: "reject", tag, response: `${tag ?? "*"} ${tag === null ? "BAD" : status} ${text}\r\n`, fatal };
}
