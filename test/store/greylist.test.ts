// The greylist store: one upsert per triplet decides new / early / pass in SQL, with expiry,
// a concurrency guarantee (the same new triplet never passes twice at once) and lazy cleanup.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import { greylistCheck, greylistSize, type GreylistTimes } from "../../src/store/greylist.ts";

const T: GreylistTimes = { delayMs: 300_000, retryWindowMs: 86_400_000, expiryMs: 35 * 86_400_000 };
const T0 = 1_700_000_000_000;
let t: Awaited<ReturnType<typeof tempDb>>;
beforeAll(async () => {
  t = await tempDb();
});
afterAll(async () => t?.cleanup());

const check = async (key: string, now: number) => (await greylistCheck(t.db, [key], now, T))[0]!;

test("first sight is new, a retry before the delay is early, after it passes and keeps passing", async () => {
  expect(await check("a", T0)).toEqual({ kind: "new", retryAt: T0 + 300_000 });
  expect(await check("a", T0 + 60_000)).toEqual({ kind: "early", retryAt: T0 + 300_000, attempts: 2 });
  expect(await check("a", T0 + 299_999)).toMatchObject({ kind: "early", attempts: 3 });
  expect(await check("a", T0 + 300_000)).toEqual({ kind: "pass", firstSeen: T0, passedAt: T0 + 300_000 });
  expect(await check("a", T0 + 10 * 86_400_000)).toEqual({ kind: "pass", firstSeen: T0, passedAt: T0 + 300_000 });
});

test("a first retry after the retry window starts over", async () => {
  await check("b", T0);
  expect(await check("b", T0 + 86_400_001)).toEqual({ kind: "new", retryAt: T0 + 86_400_001 + 300_000 });
});

test("a passed triplet expires after `expiry` without use; each use refreshes it", async () => {
  await check("c", T0);
  await check("c", T0 + 300_000);
  const used = T0 + 30 * 86_400_000;
  expect((await check("c", used)).kind).toBe("pass");
  // 35 days after the last use (not after the first pass) it is still known …
  expect((await check("c", used + 35 * 86_400_000)).kind).toBe("pass");
  // … and forgotten once unused for longer than that.
  expect((await check("c", used + 71 * 86_400_000)).kind).toBe("new");
});

test("several triplets in one call are decided independently and atomically", async () => {
  await check("d1", T0);
  const r = await greylistCheck(t.db, ["d1", "d2"], T0 + 300_000, T);
  expect(r.map((s) => s.kind)).toEqual(["pass", "new"]);
});

test("two sessions with the same new triplet at the same moment: one new, one early, none passes", async () => {
  const both = await Promise.all([check("race", T0), check("race", T0)]);
  expect(both.map((s) => s.kind).sort()).toEqual(["early", "new"]);
  // Many at once, one group commit: still exactly one "new" and no pass.
  const many = await Promise.all(Array.from({ length: 20 }, () => check("race2", T0)));
  expect(many.filter((s) => s.kind === "new")).toHaveLength(1);
  expect(many.some((s) => s.kind === "pass")).toBe(false);
});

test("expired rows are deleted lazily, at most 100 per write", async () => {
  const d = await tempDb();
  try {
    const keys = Array.from({ length: 150 }, (_, i) => `old${i}`);
    await greylistCheck(d.db, keys, T0, T);
    expect(await greylistSize(d.db)).toBe(150);
    // Two days later the unpassed rows are past the retry window: one write removes 100 of them.
    const later = T0 + 2 * 86_400_000;
    await greylistCheck(d.db, ["fresh"], later, T);
    expect(await greylistSize(d.db)).toBe(51);
    await greylistCheck(d.db, ["fresh"], later, T);
    expect(await greylistSize(d.db)).toBe(1);
  } finally {
    await d.cleanup();
  }
});
