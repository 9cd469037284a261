// db.read: value types as the store expects them, a separate query-only connection that sees
// each commit of the writer, argument conversion, and the client.execute adapter (remote and
// in-memory databases) giving the same rows.

import { afterEach, describe, expect, test } from "bun:test";
import { openReader } from "../../src/db/read.ts";
import type { Reader } from "../../src/db/read.ts";
import { openDb } from "../../src/db/client.ts";
import { tempDb } from "./temp-db.ts";
import type { TempDb } from "./temp-db.ts";

let t: TempDb | undefined;
const extra: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of extra.splice(0)) await x.close();
  await t?.cleanup();
  t = undefined;
});

const BLOB = new Uint8Array([0, 1, 2, 250, 255]);

async function withProbeTable(): Promise<TempDb> {
  t = await tempDb();
  await t.db.writer.write([
    { sql: "CREATE TABLE probe (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)" },
    { sql: "INSERT INTO probe (id, i, r, s, b, n) VALUES (1, ?, 1.5, 'héllo', ?, NULL)", args: [1_700_000_000_123, BLOB] },
    { sql: "INSERT INTO probe (id, i, r, s, b, n) VALUES (2, -7, 0, '', x'', NULL)" },
  ]);
  return t;
}

const ROWS_SQL = "SELECT id, i, r, s, b, n FROM probe ORDER BY id";

function expectProbeRows(rows: unknown[][]): void {
  expect(rows.length).toBe(2);
  const [a, b] = rows;
  expect(Array.isArray(a)).toBe(true);
  expect(a!.slice(0, 4)).toEqual([1, 1_700_000_000_123, 1.5, "héllo"]);
  expect(typeof a![1]).toBe("number");
  expect(a![4]).toBeInstanceOf(Uint8Array);
  expect([...(a![4] as Uint8Array)]).toEqual([...BLOB]);
  expect(a![5]).toBeNull();
  expect(b!.slice(0, 4)).toEqual([2, -7, 0, ""]);
  expect(b![4]).toBeInstanceOf(Uint8Array);
  expect((b![4] as Uint8Array).length).toBe(0);
}

describe("db.read on an embedded database", () => {
  test("rows are value arrays: integers and reals as numbers, text, null, blobs as Uint8Array", async () => {
    const { db } = await withProbeTable();
    expectProbeRows(await db.read.all(ROWS_SQL));
    expect(await db.read.get("SELECT s, i FROM probe WHERE id = ?", [1])).toEqual(["héllo", 1_700_000_000_123]);
    expect(await db.read.get("SELECT s FROM probe WHERE id = ?", [99])).toBeUndefined();
    expect(await db.read.value("SELECT count(*) FROM probe")).toBe(2);
    expect(await db.read.value("SELECT id FROM probe WHERE id = 99")).toBeUndefined();
    expect(await db.read.value("SELECT max(id) FROM probe WHERE id > 99")).toBeNull();
  });

  test("a write through db.writer is visible to the very next read", async () => {
    const { db } = await withProbeTable();
    const sql = "SELECT count(*), max(id) FROM probe";
    expect(await db.read.get(sql)).toEqual([2, 2]);
    for (let i = 3; i < 13; i++) {
      await db.writer.write([{ sql: "INSERT INTO probe (id, s) VALUES (?, 'x')", args: [i] }]);
      expect(await db.read.get(sql)).toEqual([i, i]);
    }
    // Concurrent writes: each resolved write is seen by a read issued after it resolved.
    await Promise.all(
      Array.from({ length: 20 }, async (_, k) => {
        await db.writer.write([{ sql: "INSERT INTO probe (id, s) VALUES (?, 'y')", args: [100 + k] }]);
        expect(await db.read.value("SELECT count(*) FROM probe WHERE id = ?", [100 + k])).toBe(1);
      }),
    );
  });

  test("its own connection, query-only: it never writes and never sees the main connection's temp tables", async () => {
    const { db } = await withProbeTable();
    await expect(db.read.all("INSERT INTO probe (id) VALUES (50)")).rejects.toThrow(/only statements that return rows/);
    await expect(db.read.all("INSERT INTO probe (id) VALUES (50) RETURNING id")).rejects.toThrow(/readonly/i);
    expect(await db.read.value("SELECT count(*) FROM probe WHERE id = 50")).toBe(0);
    await db.client.execute("CREATE TEMP TABLE main_only (x)");
    await expect(db.read.all("SELECT * FROM temp.main_only")).rejects.toThrow(/no such table/);
    expect(await db.read.value("PRAGMA query_only")).toBe(1);
    expect(await db.read.value("PRAGMA busy_timeout")).toBe(5000);
    expect(await db.read.value("PRAGMA cache_size")).toBe(await db.client.execute("PRAGMA cache_size").then((r) => r.rows[0]![0]));
  });

  test("one prepared statement serves many calls with different arguments, get() after all() included", async () => {
    const { db } = await withProbeTable();
    const sql = "SELECT s FROM probe WHERE id = :id";
    expect(await db.read.all(sql, { id: 1 })).toEqual([["héllo"]]);
    // libsql's own get() after an all() on one statement reused the previous arguments.
    expect(await db.read.get(sql, { id: 99 })).toBeUndefined();
    expect(await db.read.get(sql, { id: 2 })).toEqual([""]);
    expect(await db.read.all(sql, { id: 99 })).toEqual([]);
    expect(await db.read.value(sql, { id: 1 })).toBe("héllo");
  });

  test("arguments convert as @libsql/client does: booleans, bigints, prefixed names, blobs; undefined and NaN are refused", async () => {
    const { db } = await withProbeTable();
    expect(await db.read.get("SELECT ?, ?, typeof(?)", [true, false, 5n])).toEqual([1, 0, "integer"]);
    expect(await db.read.get("SELECT :a, :b", { ":a": "x", b: true })).toEqual(["x", 1]);
    expect(await db.read.value("SELECT id FROM probe WHERE b = ?", [BLOB])).toBe(1);
    expect(await db.read.value("SELECT id FROM probe WHERE b = ?", [BLOB.buffer])).toBe(1);
    expect(await db.read.value("SELECT ?", [new Date(1234)])).toBe(1234);
    expect(await db.read.value("SELECT ?", [2n ** 40n])).toBe(2 ** 40);
    await expect(db.read.all("SELECT ?", [undefined as unknown as null])).rejects.toThrow(TypeError);
    await expect(db.read.all("SELECT ?", [Number.NaN])).rejects.toThrow(RangeError);
  });

  test("an SQL error rejects the promise (no synchronous throw)", async () => {
    const { db } = await withProbeTable();
    const p = db.read.all("SELECT nope FROM probe");
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toThrow(/no such column/);
  });

  test("closed with the Db", async () => {
    t = await tempDb();
    const { db } = t;
    expect(await db.read.value("SELECT 1")).toBe(1);
    await t.reopen();
    await expect(db.read.all("SELECT 1")).rejects.toThrow();
    expect(await t.db.read.value("SELECT 1")).toBe(1);
  });
});

describe("the client.execute adapter (remote and in-memory databases)", () => {
  test("gives the same rows as the embedded reader", async () => {
    const { db } = await withProbeTable();
    const adapter: Reader = openReader(db.client, null);
    extra.push(adapter);
    expectProbeRows(await adapter.all(ROWS_SQL));
    expect(await adapter.all(ROWS_SQL)).toEqual(await db.read.all(ROWS_SQL).then((rows) => rows.map((r) => r.map((v) => (v instanceof Uint8Array ? new Uint8Array(v) : v)))));
    expect(await adapter.get("SELECT s, i FROM probe WHERE id = :id", { id: 1 })).toEqual(["héllo", 1_700_000_000_123]);
    expect(await adapter.get("SELECT s FROM probe WHERE id = ?", [99])).toBeUndefined();
    expect(await adapter.value("SELECT count(*) FROM probe")).toBe(2);
    // It reads on the client's connection: that connection's temp tables are there.
    await db.client.execute("CREATE TEMP TABLE main_only (x)");
    expect(await adapter.value("SELECT count(*) FROM temp.main_only")).toBe(0);
  });

  test("an in-memory database (one connection only) reads through the client", async () => {
    const db = await openDb({ url: "file::memory:" });
    extra.push(db);
    await db.client.execute("CREATE TEMP TABLE main_only (x)");
    expect(await db.read.value("SELECT count(*) FROM temp.main_only")).toBe(0);
    await db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES ('mem.example', 1)" }]);
    expect(await db.read.all("SELECT name FROM domains")).toEqual([["mem.example"]]);
  });
});
