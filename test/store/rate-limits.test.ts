// Rate counters in libSQL: atomic increments, the sliding estimate across two windows,
// read-only peeks, lazy cleanup of dead windows, and persistence (a new Db on the same file).

import { expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import { countHits, peekHits } from "../../src/store/rate-limits.ts";

const W = 60_000;
const T0 = 1_700_000_040_000 - (1_700_000_040_000 % W); // a window boundary

test("counts accumulate within a window and carry into the next by overlap", async () => {
  const t = await tempDb();
  try {
    const hit = { key: "messages:ip:192.0.2.1", windowMs: W };
    for (let i = 1; i <= 4; i++) expect(await countHits(t.db, [hit], T0 + i)).toEqual([i]);
    // Half-way through the next window: 1 new + 4 × 0.5.
    expect(await countHits(t.db, [hit], T0 + W + W / 2)).toEqual([3]);
    // Two windows on, the old counts no longer matter.
    expect(await countHits(t.db, [hit], T0 + 3 * W)).toEqual([1]);
    // Other keys are separate.
    expect(await countHits(t.db, [{ key: "messages:ip:192.0.2.2", windowMs: W }], T0 + 3 * W)).toEqual([1]);
  } finally {
    await t.cleanup();
  }
});

test("concurrent hits are never lost", async () => {
  const t = await tempDb();
  try {
    const hit = { key: "recipients:ip:192.0.2.9", windowMs: W };
    const all = await Promise.all(Array.from({ length: 25 }, () => countHits(t.db, [hit], T0 + 5)));
    expect(all.map((x) => x[0]).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await peekHits(t.db, [hit], T0 + 6)).toEqual([25]);
  } finally {
    await t.cleanup();
  }
});

test("peek reads without counting", async () => {
  const t = await tempDb();
  try {
    const hit = { key: "auth-fail:ip:192.0.2.3", windowMs: W };
    expect(await peekHits(t.db, [hit], T0)).toEqual([0]);
    await countHits(t.db, [hit], T0);
    await countHits(t.db, [hit], T0);
    expect(await peekHits(t.db, [hit], T0 + 1)).toEqual([2]);
    expect(await peekHits(t.db, [hit], T0 + 1)).toEqual([2]);
    expect(await peekHits(t.db, [hit], T0 + W + W / 4)).toEqual([1.5]);
  } finally {
    await t.cleanup();
  }
});

test("windows older than the previous one are deleted lazily, only for the same kind and scope", async () => {
  const t = await tempDb();
  try {
    const rows = async () => (await t.db.client.execute("SELECT key, window_start FROM rate_counters ORDER BY key, window_start")).rows.map((r) => `${r["key"]}@${(Number(r["window_start"]) - T0) / W}`);
    await countHits(t.db, [{ key: "messages:ip:a", windowMs: W }, { key: "connections:ip:a", windowMs: W }], T0);
    await countHits(t.db, [{ key: "messages:ip:b", windowMs: W }], T0 + W);
    expect(await rows()).toEqual(["connections:ip:a@0", "messages:ip:a@0", "messages:ip:b@1"]);
    // At window 2, window 0 is dead for "messages:ip:" keys; connections are another family.
    await countHits(t.db, [{ key: "messages:ip:c", windowMs: W }], T0 + 2 * W);
    expect(await rows()).toEqual(["connections:ip:a@0", "messages:ip:b@1", "messages:ip:c@2"]);
  } finally {
    await t.cleanup();
  }
});
