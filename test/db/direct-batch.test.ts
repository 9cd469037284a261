// DirectBatch (the writer's connection for files) must keep @libsql/client's batch contract:
// the same ResultSets (named and indexed rows, rowsAffected, lastInsertRowid), the same
// LibsqlBatchError fields for a failing statement, and all-or-nothing transactions.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, LibsqlBatchError, type Client, type InStatement, type ResultSet } from "@libsql/client";
import { DirectBatch } from "../../src/db/direct-batch.ts";

const dirs: string[] = [];
const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SCHEMA = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER, b BLOB, parent INTEGER REFERENCES t(id))";

async function pair(): Promise<{ client: Client; direct: DirectBatch }> {
  const dir = mkdtempSync(join(tmpdir(), "hikyaku-direct-"));
  dirs.push(dir);
  const client = createClient({ url: `file:${join(dir, "a.db")}` });
  open.push(client);
  await client.execute("PRAGMA journal_mode=WAL");
  await client.execute("PRAGMA foreign_keys=ON");
  await client.execute(SCHEMA);
  const b = createClient({ url: `file:${join(dir, "b.db")}` });
  await b.execute("PRAGMA journal_mode=WAL");
  await b.execute(SCHEMA);
  b.close();
  const direct = new DirectBatch(join(dir, "b.db"), { cacheKib: 1024, busyTimeoutMs: 1000 });
  open.push(direct);
  return { client, direct };
}

/** What a caller can observe of a ResultSet. */
function shape(r: ResultSet) {
  return {
    columns: r.columns,
    rows: r.rows.map((row) => ({ named: { ...row }, indexed: Array.from(row as unknown as ArrayLike<unknown>, (v) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? [...new Uint8Array(v as ArrayBuffer)] : v)) })),
    rowsAffected: r.rowsAffected,
    lastInsertRowid: r.lastInsertRowid,
  };
}

async function both(p: { client: Client; direct: DirectBatch }, stmts: InStatement[]): Promise<[unknown, unknown]> {
  const run = async (f: () => Promise<ResultSet[]>) => {
    try {
      return { ok: (await f()).map(shape) };
    } catch (e) {
      const x = e as LibsqlBatchError;
      // The client's batch puts the code in front of the message twice; ours once.
      const message = x.message.replace(/^(SQLITE_\w+: )\1/, "$1");
      return { err: { batch: e instanceof LibsqlBatchError, index: x.statementIndex, code: x.code, extendedCode: x.extendedCode, rawCode: x.rawCode, message } };
    }
  };
  return [await run(() => p.client.batch(stmts, "write")), await run(() => p.direct.batch(stmts, "write"))];
}

describe("DirectBatch", () => {
  test("results match @libsql/client's batch: inserts, RETURNING, updates, selects, blobs, booleans, named args", async () => {
    const p = await pair();
    const steps: InStatement[][] = [
      [
        { sql: "INSERT INTO t (name, n, b) VALUES (?, ?, ?)", args: ["a", 1, new Uint8Array([1, 2, 3])] },
        { sql: "INSERT INTO t (name, n) VALUES (:name, :n) RETURNING id, name, n AS count", args: { name: "b", n: true } },
        { sql: "INSERT INTO t (name, n, parent) VALUES ($name, @n, :p)", args: { $name: "c", "@n": 3, ":p": 1 } },
      ],
      [
        { sql: "UPDATE t SET n = n + 10 WHERE n >= ?", args: [1] },
        "SELECT id, name, n, b, n AS name FROM t ORDER BY id",
        { sql: "DELETE FROM t WHERE name = ? RETURNING *", args: ["c"] },
        "SELECT count(*) AS c FROM t WHERE 0",
      ],
    ];
    for (const stmts of steps) {
      const [a, b] = await both(p, stmts);
      expect(b).toEqual(a);
    }
  });

  test("a failing statement: the same LibsqlBatchError fields, and the whole batch rolled back", async () => {
    const p = await pair();
    await both(p, [{ sql: "INSERT INTO t (name) VALUES ('x')" }]);
    const cases: InStatement[][] = [
      [{ sql: "INSERT INTO t (name) VALUES ('y')" }, { sql: "INSERT INTO t (name) VALUES ('x')" }], // UNIQUE
      [{ sql: "INSERT INTO t (name, parent) VALUES ('z', 999)" }], // FOREIGN KEY (foreign_keys=ON on both)
      [{ sql: "INSERT INTO t (name) VALUES ('w')" }, { sql: "INSERT INTO no_such_table VALUES (1)" }], // prepare fails
      [{ sql: "INSERT INTO t (name) VALUES (NULL)" }], // NOT NULL
    ];
    for (const stmts of cases) {
      const [a, b] = await both(p, stmts);
      expect((b as { err: { batch: boolean } }).err.batch).toBe(true);
      expect(b).toEqual(a);
    }
    // Nothing of the failed batches remains, on either side.
    const [a, b] = await both(p, ["SELECT name FROM t ORDER BY name"]);
    expect(b).toEqual(a);
    expect((b as { ok: { rows: { named: { name: string } }[] }[] }).ok[0]!.rows.map((r) => r.named.name)).toEqual(["x"]);
    // The connection is usable after a failure (no transaction left open).
    const [c, d] = await both(p, [{ sql: "INSERT INTO t (name) VALUES ('after')" }]);
    expect(d).toEqual(c);
  });

  test("refuses to run after close", async () => {
    const p = await pair();
    p.direct.close();
    await expect(p.direct.batch(["SELECT 1"], "write")).rejects.toThrow(/after close/);
  });
});
