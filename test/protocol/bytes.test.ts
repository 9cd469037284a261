// concatBytes: the one byte-array concatenation the encoders, connections and DSNs share.

import { expect, test } from "bun:test";
import { concatBytes } from "../../src/protocol/bytes.ts";

test("joins in order into a new buffer, with or without the total given", () => {
  const a = Uint8Array.of(1, 2);
  const b = new Uint8Array(0);
  const c = Uint8Array.of(3);
  for (const out of [concatBytes([a, b, c]), concatBytes([a, b, c], 3)]) {
    expect([...out]).toEqual([1, 2, 3]);
    expect(out.buffer).not.toBe(a.buffer);
  }
  const one = concatBytes([a]);
  expect([...one]).toEqual([1, 2]);
  expect(one).not.toBe(a);
  expect(concatBytes([])).toHaveLength(0);
});
