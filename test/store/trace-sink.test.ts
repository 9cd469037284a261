// TraceSink: entries from many transactions are coalesced into few writes, flush() commits.

import { expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import { TraceSink } from "../../src/store/trace-sink.ts";
import { findTraces } from "../../src/store/traces.ts";

const entry = (tx: string, i: number) => ({
  transactionId: tx, messageId: null, sessionId: "s", event: "smtp.rcpt", handler: `h${i}`, verdict: "continue",
  code: null, enhanced: null, text: null, durationMs: 0.1, at: 1000 + i,
});

test("many transactions' entries share one write; flush() makes them readable", async () => {
  const t = await tempDb();
  const errors: unknown[] = [];
  const sink = new TraceSink(t.db, (e) => errors.push(e), { maxDelayMs: 10_000, maxEntries: 1000 });
  const before = t.db.writer.stats().ops;
  for (let tx = 0; tx < 50; tx++) sink.add([entry(`T${tx}`, 1), entry(`T${tx}`, 2)]);
  // Nothing written yet: the delay has not passed and the cap is not reached.
  expect(t.db.writer.stats().ops).toBe(before);
  await sink.flush();
  expect(t.db.writer.stats().ops).toBe(before + 1);
  expect((await findTraces(t.db, "T7")).map((r) => r.handler)).toEqual(["h1", "h2"]);
  expect(errors).toEqual([]);
  await t.cleanup();
});

test("reaching maxEntries writes without waiting for the timer", async () => {
  const t = await tempDb();
  const sink = new TraceSink(t.db, () => {}, { maxDelayMs: 10_000, maxEntries: 4 });
  sink.add([entry("A", 1), entry("A", 2), entry("A", 3), entry("A", 4)]);
  await t.db.writer.drain();
  await sink.flush();
  expect((await findTraces(t.db, "A")).length).toBe(4);
  await t.cleanup();
});
