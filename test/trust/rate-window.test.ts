// The two-fixed-window approximation of a sliding window.

import { expect, test } from "bun:test";
import { slidingCount, windowStart } from "../../src/trust/rate-window.ts";

test("windows are aligned to multiples of their length", () => {
  expect(windowStart(125_000, 60_000)).toBe(120_000);
  expect(windowStart(120_000, 60_000)).toBe(120_000);
  expect(windowStart(119_999, 60_000)).toBe(60_000);
});

test.each([
  // [current, previous, now, expected]: window 60 s starting at 120 000
  [5, 10, 120_000, 15], // at the start the whole previous window still overlaps
  [5, 10, 150_000, 10], // half-way: half of it
  [5, 10, 174_000, 6], // 90 % through: a tenth
  [0, 0, 150_000, 0],
])("current %d, previous %d at %d → %d", (cur, prev, now, want) => {
  expect(slidingCount(cur, prev, now, 60_000)).toBeCloseTo(want, 9);
});
