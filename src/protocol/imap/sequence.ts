// Sequence sets (RFC 9051 §9 sequence-set / seq-range, RFC 5182 "$"): parsing, membership and
// expansion against the current largest number, and compact formatting for COPYUID/APPENDUID
// (RFC 4315 §3) and VANISHED (RFC 7162 §3.2.10) responses.
import type { SequenceSet } from "./types.ts";

/** A set of numbers, as opposed to "$" (the saved search result, which the session resolves). */
export type NumberSet = Extract<SequenceSet, { kind: "set" }>;

export type SequenceSetOptions = {
  /** "*" (largest number in use); false for QRESYNC known-uids (RFC 7162 §3.2.5). */
  readonly allowStar?: boolean;
  /** "$" (RFC 5182 §2.1 seq-last-command). */
  readonly allowSaved?: boolean;
};

const MAX_NZ = 4294967295;

/** seq-number = nz-number / "*"; Infinity stands for "*". */
function seqNumber(s: string, allowStar: boolean): number | null {
  if (s === "*") return allowStar ? Number.POSITIVE_INFINITY : null;
  if (!/^[0-9]{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= MAX_NZ ? n : null;
}

/**
 * sequence-set = (seq-number / seq-range) ["," sequence-set]; seq-range = seq-number ":" seq-number.
 * Ranges come out low-high ("*:3" is [3, Infinity]); null when malformed.
 */
export function parseSequenceSet(text: string, opts: SequenceSetOptions = {}): SequenceSet | null {
  const allowStar = opts.allowStar ?? true;
  if (text === "$") return opts.allowSaved === false ? null : { kind: "saved" };
  if (text === "") return null;
  const ranges: (readonly [number, number])[] = [];
  for (const item of text.split(",")) {
    const colon = item.indexOf(":");
    const a = seqNumber(colon < 0 ? item : item.slice(0, colon), allowStar);
    const b = colon < 0 ? a : seqNumber(item.slice(colon + 1), allowStar);
    if (a === null || b === null) return null;
    ranges.push(a <= b ? [a, b] : [b, a]);
  }
  return { kind: "set", ranges };
}

/**
 * The set as sorted, merged, non-overlapping ranges within 1..max, "*" standing for max
 * ("5:*" with max 3 is 3:5, RFC 9051 §9 seq-range). Numbers above max are left out.
 */
export function resolveRanges(set: NumberSet, max: number): (readonly [number, number])[] {
  const rs: [number, number][] = [];
  for (const [a0, b0] of set.ranges) {
    const a = a0 === Number.POSITIVE_INFINITY ? max : a0;
    const b = b0 === Number.POSITIVE_INFINITY ? max : b0;
    const lo = Math.max(1, Math.min(a, b));
    const hi = Math.min(max, Math.max(a, b));
    if (lo <= hi) rs.push([lo, hi]);
  }
  rs.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Every number of the set within 1..max, ascending, once each. */
export function expandSet(set: NumberSet, max: number): number[] {
  const out: number[] = [];
  for (const [lo, hi] of resolveRanges(set, max)) for (let n = lo; n <= hi; n++) out.push(n);
  return out;
}

export function setContains(set: NumberSet, n: number, max: number): boolean {
  if (n < 1 || n > max) return false;
  for (const [a0, b0] of set.ranges) {
    const a = a0 === Number.POSITIVE_INFINITY ? max : a0;
    const b = b0 === Number.POSITIVE_INFINITY ? max : b0;
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
  }
  return false;
}

/**
 * The largest number written out in the set ("*" aside), 0 when there is none: a message
 * sequence number above the mailbox size is an invalid one (RFC 9051 §9 seq-number).
 */
export function highestNumber(set: NumberSet): number {
  let m = 0;
  for (const [a, b] of set.ranges) {
    if (a !== Number.POSITIVE_INFINITY) m = Math.max(m, a);
    if (b !== Number.POSITIVE_INFINITY) m = Math.max(m, b);
  }
  return m;
}

/**
 * Numbers as a compact sequence set ("1:3,7,9:10"), ascending and once each; "" when empty.
 * RFC 4315 §3 pairs COPYUID source and destination UIDs in this ascending order.
 */
export function formatSequenceSet(numbers: Iterable<number>): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const lo = sorted[i];
    let hi = lo;
    while (i + 1 < sorted.length && sorted[i + 1] <= hi + 1) hi = sorted[++i];
    parts.push(lo === hi ? `${lo}` : `${lo}:${hi}`);
    i++;
  }
  return parts.join(",");
}
