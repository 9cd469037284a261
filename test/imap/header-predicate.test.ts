// headerPredicate (the warm-cache fast path of header-only SEARCH) must decide exactly as the
// general evaluator does, for random AND/OR/NOT trees of FROM/TO/CC/BCC/SUBJECT/HEADER keys
// over random header values (stored lower-cased, as the header value cache keeps them).

import { describe, expect, test } from "bun:test";
import { headerPredicate } from "../../src/imap/search-run.ts";
import { evaluate, type SearchMessage } from "../../src/protocol/imap/search-eval.ts";
import type { SearchKey } from "../../src/protocol/imap/types.ts";
import { rng } from "../helpers/rng.ts";


const WORDS = ["", "a", "Ab", "bc", "Zürich", "ÄB", "x y", "Report", "re:", "q"];
const SIMPLE = ["from", "to", "cc", "bcc", "subject"] as const;
const FIELDS = [...SIMPLE, "x-tag", "List-Id"];

function randomKey(r: () => number, depth: number): SearchKey {
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const roll = r();
  if (depth <= 0 || roll < 0.45) {
    if (r() < 0.7) return { kind: pick(SIMPLE), value: pick(WORDS) } as SearchKey;
    return { kind: "header", field: pick(["X-Tag", "list-id", "Subject", "FROM"]), value: pick(WORDS) };
  }
  if (roll < 0.6) return { kind: "not", key: randomKey(r, depth - 1) };
  if (roll < 0.8) return { kind: "or", a: randomKey(r, depth - 1), b: randomKey(r, depth - 1) };
  return { kind: "and", keys: Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomKey(r, depth - 1)) };
}

function randomValues(r: () => number): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const f of FIELDS) {
    // Absent (no such field), present with no values, or one or two values.
    const roll = r();
    if (roll < 0.25) continue;
    const n = roll < 0.35 ? 0 : 1 + Math.floor(r() * 2);
    m.set(f.toLowerCase(), Array.from({ length: n }, () => `${WORDS[Math.floor(r() * WORDS.length)]} ${WORDS[Math.floor(r() * WORDS.length)]}`.toLowerCase()));
  }
  return m;
}

function asMessage(values: Map<string, string[]>): SearchMessage {
  return {
    seq: 1,
    uid: 1,
    flags: [],
    internalDate: 0,
    size: 0,
    modseq: 0,
    recent: false,
    header: (name) => values.get(name.toLowerCase()) ?? [],
    headerText: () => "",
    bodyText: () => "",
    sentDate: () => null,
  };
}

describe("headerPredicate", () => {
  test("agrees with evaluate() on 3,000 random header-only keys and messages", () => {
    const r = rng(20261130);
    const ctx = { maxSeq: 1, maxUid: 1, saved: null };
    let matched = 0;
    for (let i = 0; i < 3000; i++) {
      const key = randomKey(r, 3);
      const values = randomValues(r);
      const pred = headerPredicate(key);
      expect(pred).not.toBeNull();
      const want = evaluate(key, asMessage(values), ctx);
      if (pred!(values) !== want) throw new Error(`disagree on ${JSON.stringify(key)} over ${JSON.stringify([...values])}: evaluate says ${want}`);
      if (want) matched++;
    }
    // Both outcomes are exercised.
    expect(matched).toBeGreaterThan(300);
    expect(matched).toBeLessThan(2700);
  });

  test("keys that need more than header values get no predicate", () => {
    expect(headerPredicate({ kind: "seen" })).toBeNull();
    expect(headerPredicate({ kind: "body", value: "x" })).toBeNull();
    expect(headerPredicate({ kind: "and", keys: [{ kind: "subject", value: "x" }, { kind: "unseen" }] })).toBeNull();
    expect(headerPredicate({ kind: "or", a: { kind: "from", value: "x" }, b: { kind: "text", value: "y" } })).toBeNull();
    expect(headerPredicate({ kind: "and", keys: [] })).toBeNull();
  });

  test("HEADER with an empty value matches a message that has the field, not one without it", () => {
    const p = headerPredicate({ kind: "header", field: "X-Tag", value: "" })!;
    expect(p(new Map([["x-tag", ["anything"]]]))).toBe(true);
    expect(p(new Map([["subject", ["anything"]]]))).toBe(false);
  });
});
