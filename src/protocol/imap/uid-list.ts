// A sorted list of UIDs stored as ranges: a mailbox's UIDs are mostly contiguous, so a
// session's view of 10,000 messages costs a few numbers instead of 10,000 (idle memory).

export class UidList {
  /** Inclusive ranges, ascending and disjoint: [starts[i], ends[i]]. */
  #starts: number[] = [];
  #ends: number[] = [];
  /** Count of UIDs before range i; rebuilt lazily after a change. */
  #before: number[] | null = null;
  #length = 0;

  constructor(sorted: Iterable<number> = []) {
    for (const u of sorted) this.push(u);
  }

  /** From ascending, disjoint, non-adjacent inclusive ranges (as the store reads them). */
  static fromRanges(ranges: readonly (readonly [number, number])[]): UidList {
    const list = new UidList();
    for (const [a, b] of ranges) {
      list.#starts.push(a);
      list.#ends.push(b);
      list.#length += b - a + 1;
    }
    return list;
  }

  get length(): number {
    return this.#length;
  }

  last(): number | undefined {
    return this.#ends.at(-1);
  }

  /** Appends a UID larger than every UID in the list. */
  push(uid: number): void {
    const n = this.#ends.length;
    if (n > 0 && this.#ends[n - 1] === uid - 1) this.#ends[n - 1] = uid;
    else {
      this.#starts.push(uid);
      this.#ends.push(uid);
    }
    this.#length++;
    this.#before = null;
  }

  #prefix(): number[] {
    if (this.#before) return this.#before;
    const b: number[] = new Array(this.#starts.length);
    let acc = 0;
    for (let i = 0; i < this.#starts.length; i++) {
      b[i] = acc;
      acc += this.#ends[i] - this.#starts[i] + 1;
    }
    return (this.#before = b);
  }

  /** Index of the range that could hold `uid` (last range whose start ≤ uid), or -1. */
  #rangeOf(uid: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#starts[mid] <= uid) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** 0-based position of `uid`, or -1. */
  indexOf(uid: number): number {
    const r = this.#rangeOf(uid);
    if (r < 0 || uid > this.#ends[r]) return -1;
    return this.#prefix()[r] + (uid - this.#starts[r]);
  }

  /** Position of the first UID ≥ `uid` (length when none). */
  lowerBound(uid: number): number {
    const r = this.#rangeOf(uid);
    if (r < 0) return 0;
    const before = this.#prefix()[r];
    if (uid <= this.#ends[r]) return before + (uid - this.#starts[r]);
    return before + (this.#ends[r] - this.#starts[r] + 1);
  }

  /** The UID at 0-based position `i`. */
  at(i: number): number | undefined {
    if (i < 0 || i >= this.#length) return undefined;
    const b = this.#prefix();
    let lo = 0;
    let hi = b.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (b[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.#starts[lo] + (i - b[lo]);
  }

  /** Removes the UID at position `i` (splitting its range if needed). */
  removeAt(i: number): void {
    const uid = this.at(i);
    if (uid === undefined) return;
    const r = this.#rangeOf(uid);
    const s = this.#starts[r];
    const e = this.#ends[r];
    if (s === e) {
      this.#starts.splice(r, 1);
      this.#ends.splice(r, 1);
    } else if (uid === s) this.#starts[r] = s + 1;
    else if (uid === e) this.#ends[r] = e - 1;
    else {
      this.#ends[r] = uid - 1;
      this.#starts.splice(r + 1, 0, uid + 1);
      this.#ends.splice(r + 1, 0, e);
    }
    this.#length--;
    this.#before = null;
  }

  toArray(): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.#starts.length; r++) for (let u = this.#starts[r]; u <= this.#ends[r]; u++) out.push(u);
    return out;
  }
}
