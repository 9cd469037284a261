// Buffers of the command framer: the bounded tail of a discarded line (to find a literal
// marker in it) and the assembly of a finished command into one contiguous line.
import { literalMarker, MARKER_WINDOW } from "./frame-marker.ts";
import type { LiteralMarker } from "./frame-marker.ts";
import type { FramedCommand, FramedLiteral } from "./framer.ts";

/** The marker window, a CR before the LF, and one byte to tell a longer line from a short one. */
const TAIL = MARKER_WINDOW + 2;

/** The last TAIL bytes pushed; memory stays constant however long the discarded line is. */
export class TailBuffer {
  #buf = new Uint8Array(TAIL);
  #len = 0;

  clear(): void {
    this.#len = 0;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length >= TAIL) {
      this.#buf.set(bytes.subarray(bytes.length - TAIL));
      this.#len = TAIL;
      return;
    }
    const keep = Math.min(this.#len, TAIL - bytes.length);
    this.#buf.copyWithin(0, this.#len - keep, this.#len);
    this.#buf.set(bytes, keep);
    this.#len = keep + bytes.length;
  }

  /** The literal marker ending the line held (its CR, if any, left out). */
  marker(): LiteralMarker {
    let n = this.#len;
    if (n > 0 && this.#buf[n - 1] === 13) n--;
    return literalMarker(this.#buf, n);
  }
}

/** One allocation for the whole command; segments and literals become views into it. */
export function assembleCommand(segs: readonly Uint8Array[], lits: readonly FramedLiteral[]): FramedCommand {
  let size = 0;
  for (const s of segs) size += s.length;
  for (const l of lits) size += l.data.length + 2;
  const line = new Uint8Array(size);
  const segments: Uint8Array[] = [];
  const literals: FramedLiteral[] = [];
  let at = 0;
  for (let i = 0; i < segs.length; i++) {
    line.set(segs[i], at);
    segments.push(line.subarray(at, at + segs[i].length));
    at += segs[i].length;
    if (i < lits.length) {
      // The CRLF that followed the marker on the wire.
      line[at++] = 13;
      line[at++] = 10;
      line.set(lits[i].data, at);
      literals.push({ data: line.subarray(at, at + lits[i].data.length), binary: lits[i].binary, sync: lits[i].sync });
      at += lits[i].data.length;
    }
  }
  return { type: "command", line, segments, literals };
}
