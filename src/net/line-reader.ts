// Line framing for command phases: splits buffered bytes at LF (dropping a preceding CR),
// with a hard cap so a line without an end can never grow memory (DESIGN §5).

export type LineEvent = { type: "line"; bytes: Uint8Array } | { type: "too-long" };

export class LineReader {
  #buf: Uint8Array = new Uint8Array(0);
  /** Discarding the rest of an over-long line until its LF. */
  #skipping = false;

  constructor(private maxLine: number) {}

  /** Changes the cap, e.g. while an AUTH exchange runs (RFC 4954 §4: responses may be long). */
  setMaxLine(n: number): void {
    this.maxLine = n;
  }

  push(chunk: Uint8Array): void {
    if (this.#buf.length === 0) this.#buf = chunk;
    else {
      const n = new Uint8Array(this.#buf.length + chunk.length);
      n.set(this.#buf, 0);
      n.set(chunk, this.#buf.length);
      this.#buf = n;
    }
  }

  /** The next complete line or over-long event, or null when more bytes are needed. */
  next(): LineEvent | null {
    for (;;) {
      const lf = this.#buf.indexOf(10);
      if (this.#skipping) {
        if (lf < 0) {
          this.#buf = new Uint8Array(0);
          return null;
        }
        this.#buf = this.#buf.subarray(lf + 1);
        this.#skipping = false;
        continue;
      }
      if (lf < 0) {
        if (this.#buf.length > this.maxLine) {
          this.#buf = new Uint8Array(0);
          this.#skipping = true;
          return { type: "too-long" };
        }
        return null;
      }
      if (lf > this.maxLine) {
        this.#buf = this.#buf.subarray(lf + 1);
        return { type: "too-long" };
      }
      const end = lf > 0 && this.#buf[lf - 1] === 13 ? lf - 1 : lf;
      const bytes = this.#buf.slice(0, end);
      this.#buf = this.#buf.subarray(lf + 1);
      return { type: "line", bytes };
    }
  }

  /** Bytes buffered but not yet framed (handed to DATA/BDAT readers, or discarded). */
  take(): Uint8Array {
    const b = this.#buf;
    this.#buf = new Uint8Array(0);
    this.#skipping = false;
    return b;
  }

  get buffered(): number {
    return this.#buf.length;
  }
}
