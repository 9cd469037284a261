// Reused prepared statements give the same results as fresh ones: different arguments,
// data and no-data statements interleaved, inside and outside the writer's batches.

import { expect, test } from "bun:test";
import { tempDb } from "./temp-db.ts";

test("the same SQL with different arguments, interleaved with writes", async () => {
  const t = await tempDb();
  const db = t.db;
  for (const n of [1, 2, 3, 40]) {
    const r = await db.client.execute({ sql: "SELECT ? + 1 AS v", args: [n] });
    expect(Number(r.rows[0].v)).toBe(n + 1);
  }
  await db.client.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
  for (let i = 0; i < 50; i++) {
    const [ins] = await db.writer.write([{ sql: "INSERT INTO t (k, v) VALUES (?, ?)", args: [i, `v${i}`] }]);
    expect(ins.rowsAffected).toBe(1);
    const r = await db.client.execute({ sql: "SELECT v FROM t WHERE k = ?", args: [i] });
    expect(String(r.rows[0].v)).toBe(`v${i}`);
    const c = await db.client.execute({ sql: "SELECT count(*) AS n FROM t WHERE k <= ?", args: [i] });
    expect(Number(c.rows[0].n)).toBe(i + 1);
  }
  // A failing statement leaves its cached copy usable.
  await expect(db.writer.write([{ sql: "INSERT INTO t (k, v) VALUES (?, ?)", args: [1, "dup"] }])).rejects.toBeDefined();
  const [ok] = await db.writer.write([{ sql: "INSERT INTO t (k, v) VALUES (?, ?)", args: [1000, "fine"] }]);
  expect(ok.rowsAffected).toBe(1);
  // More distinct statements than the cache holds still all work.
  for (let i = 0; i < 600; i++) {
    const r = await db.client.execute({ sql: `SELECT ${i} AS v, ? AS w`, args: [i] });
    expect(Number(r.rows[0].v)).toBe(i);
  }
  await t.cleanup();
});

test("a database closed and reopened (restart) works with the cache", async () => {
  const t = await tempDb();
  await t.db.client.execute("CREATE TABLE u (x)");
  await t.db.writer.write([{ sql: "INSERT INTO u VALUES (?)", args: [1] }]);
  const db = await t.reopen();
  await db.writer.write([{ sql: "INSERT INTO u VALUES (?)", args: [2] }]);
  const r = await db.client.execute("SELECT count(*) AS n FROM u");
  expect(Number(r.rows[0].n)).toBe(2);
  await t.cleanup();
});
