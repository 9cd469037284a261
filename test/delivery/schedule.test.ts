// Retry timing: exponential back-off capped at maxMs, ±10 % jitter from an injectable random
// source, the give-up time, and the one delayed-DSN decision.

import { describe, expect, test } from "bun:test";
import { expiresAtFor, isExpired, JITTER, nextAttemptAt, shouldSendDelayDsn } from "../../src/delivery/schedule.ts";

const MIN = 60_000;
const cfg = { firstMs: 5 * MIN, maxMs: 60 * MIN, factor: 2 };
const mid = () => 0.5; // no jitter
const now = 1_700_000_000_000;

describe("nextAttemptAt", () => {
  const table: [number, number][] = [
    [1, 5 * MIN],
    [2, 10 * MIN],
    [3, 20 * MIN],
    [4, 40 * MIN],
    [5, 60 * MIN], // 80 min capped
    [6, 60 * MIN],
    [1000, 60 * MIN], // factor^999 overflows to Infinity: still the cap
  ];
  for (const [attempts, delay] of table) {
    test(`after ${attempts} attempt(s): +${delay / MIN} min`, () => {
      expect(nextAttemptAt(attempts, now, cfg, mid)).toBe(now + delay);
    });
  }

  test("attempts below 1 count as the first", () => {
    expect(nextAttemptAt(0, now, cfg, mid)).toBe(now + 5 * MIN);
  });

  test("factor 1 keeps the first interval", () => {
    expect(nextAttemptAt(7, now, { ...cfg, factor: 1 }, mid)).toBe(now + 5 * MIN);
  });

  test("jitter spans ±10 % and follows the random source", () => {
    expect(nextAttemptAt(2, now, cfg, () => 0)).toBe(now + 9 * MIN);
    expect(nextAttemptAt(2, now, cfg, () => 0.999999)).toBeGreaterThan(now + 10.99 * MIN);
    expect(nextAttemptAt(2, now, cfg, () => 0.75)).toBe(now + 10.5 * MIN);
    expect(JITTER).toBe(0.1);
  });

  test("different random draws spread messages deferred together", () => {
    const seen = new Set([0.1, 0.3, 0.6, 0.9].map((r) => nextAttemptAt(6, now, cfg, () => r)));
    expect(seen.size).toBe(4);
    for (const t of seen) {
      expect(t).toBeGreaterThanOrEqual(now + 54 * MIN);
      expect(t).toBeLessThanOrEqual(now + 66 * MIN);
    }
  });

  test("default random stays inside the jitter band", () => {
    for (let i = 0; i < 50; i++) {
      const t = nextAttemptAt(3, now, cfg) - now;
      expect(t).toBeGreaterThanOrEqual(18 * MIN);
      expect(t).toBeLessThanOrEqual(22 * MIN);
    }
  });
});

describe("expiry", () => {
  test("expiresAtFor adds the lifetime", () => {
    expect(expiresAtFor(now, 5 * 24 * 60 * MIN)).toBe(now + 5 * 24 * 60 * MIN);
  });
  const table: [number, number, boolean][] = [
    [now - 1, now, false],
    [now, now, true],
    [now + 1, now, true],
  ];
  for (const [at, expiresAt, want] of table) {
    test(`isExpired(${at - now}) → ${want}`, () => expect(isExpired(at, expiresAt)).toBe(want));
  }
});

describe("shouldSendDelayDsn", () => {
  const H = 60 * MIN;
  const table: [string, number, number, boolean, boolean][] = [
    ["before the threshold", 4 * H - 1, 4 * H, false, false],
    ["at the threshold", 4 * H, 4 * H, false, true],
    ["after it", 10 * H, 4 * H, false, true],
    ["already notified", 10 * H, 4 * H, true, false],
    ["disabled with 0", 10 * H, 0, false, false],
  ];
  for (const [name, waited, after, notified, want] of table) {
    test(name, () => expect(shouldSendDelayDsn(now + waited, now, after, notified)).toBe(want));
  }
});
