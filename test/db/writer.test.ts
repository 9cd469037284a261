// Group-commit writer: ops share commits, each gets its own result slice, a bad op fails
// only itself, submission order is commit order, and caps bound a group.

import { afterEach, describe, expect, test } from "bun:test";
import type { Client, InStatement, ResultSet } from "@libsql/client";
import { Writer } from "../../src/db/writer.ts";
import { domains } from "../../src/db/schema/mod.ts";
import { tempDb } from "./temp-db.ts";
import type { TempDb } from "./temp-db.ts";

let t: TempDb | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function withLog(): Promise<TempDb> {
  t = await tempDb();
  await t.db.writer.write([{ sql: "CREATE TABLE log (seq INTEGER NOT NULL UNIQUE, note TEXT)" }]);
  return t;
}

describe("Writer", () => {
  test("200 concurrent ops share commits, each resolving with its own results", async () => {
    const { db } = await withLog();
    const before = db.writer.stats();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        db.writer.write([
          { sql: "INSERT INTO log (seq) VALUES (?)", args: [i] },
          { sql: "SELECT ? AS echo", args: [i] },
        ]),
      ),
    );
    const after = db.writer.stats();
    const commits = after.commits - before.commits;
    const ops = after.ops - before.ops;
    expect(ops).toBe(200);
    expect(commits).toBeLessThan(ops);
    expect(after.maxGroup).toBeGreaterThan(1);
    results.forEach((r, i) => {
      expect(r.length).toBe(2);
      expect(r[0].rowsAffected).toBe(1);
      expect(Number(r[1].rows[0].echo)).toBe(i);
    });
    const n = await db.client.execute("SELECT count(*) AS n FROM log");
    expect(Number(n.rows[0].n)).toBe(200);
  });

  test("a failing op fails only its own promise; its earlier statements are rolled back", async () => {
    const { db } = await withLog();
    const before = db.writer.stats().commits;
    const ops = Array.from({ length: 20 }, (_, i) =>
      db.writer.write(
        i === 7
          ? [{ sql: "INSERT INTO log (seq, note) VALUES (1000, 'partial')" }, { sql: "INSERT INTO log (seq) VALUES (3)" }] // duplicate seq 3
          : i === 12
            ? [{ sql: "INSERT INTO no_such_table VALUES (1)" }]
            : [{ sql: "INSERT INTO log (seq) VALUES (?)", args: [i] }],
      ),
    );
    const settled = await Promise.allSettled(ops);
    expect(settled.map((s) => s.status)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i === 7 || i === 12 ? "rejected" : "fulfilled")),
    );
    const rows = await db.client.execute("SELECT seq FROM log ORDER BY seq");
    expect(rows.rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 7 && i !== 12));
    // The failing statement's index names its op, so the other 18 still share commits.
    expect(db.writer.stats().commits - before).toBeLessThanOrEqual(2);
  });

  test("errors without a statement index fall back to committing each op alone", async () => {
    // A stub client whose group batches fail as a lost connection or failed COMMIT would.
    const committed: string[] = [];
    const client = {
      async batch(stmts: InStatement[]): Promise<ResultSet[]> {
        const sqls = stmts.map((s) => (typeof s === "string" ? s : s.sql));
        if (sqls.length > 1 || sqls[0] === "bad") throw new Error("disk I/O error");
        committed.push(...sqls);
        return sqls.map(() => ({ rows: [], columns: [], columnTypes: [], rowsAffected: 1, lastInsertRowid: undefined, toJSON: () => ({}) }));
      },
    } as unknown as Client;
    const w = new Writer(client);
    const settled = await Promise.allSettled(["a", "bad", "c"].map((sql) => w.write([sql])));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(committed).toEqual(["a", "c"]);
    expect(w.stats()).toEqual({ commits: 2, ops: 2, maxGroup: 1, syncs: 0 });
  });

  test("ops commit and resolve in submission order", async () => {
    const { db } = await withLog();
    const resolved: number[] = [];
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        db.writer.write([{ sql: "INSERT INTO log (seq) VALUES (?) RETURNING rowid", args: [i] }]).then(() => resolved.push(i)),
      ),
    );
    expect(resolved).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const rows = await db.client.execute("SELECT seq FROM log ORDER BY rowid");
    expect(rows.rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test("group caps: maxOps bounds a group", async () => {
    t = await tempDb({ maxOps: 8 });
    const db = t.db;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES (?, 0)", args: [`cap${i}.example`] }]),
      ),
    );
    expect(db.writer.stats().maxGroup).toBe(8);
  });

  test("accepts drizzle queries; rejects empty ops and writes after close", async () => {
    t = await tempDb();
    const db = t.db;
    const [r] = await db.writer.write([db.orm.insert(domains).values({ name: "orm.example", createdAt: 5 }).returning()]);
    expect(r.rows[0].name).toBe("orm.example");
    await expect(db.writer.write([])).rejects.toMatchObject({ code: "EMPTY_OP" });
    await expect(db.writer.write(["COMMIT", "SELECT 1"])).rejects.toMatchObject({ code: "TRANSACTION_CONTROL" });
    await db.writer.close();
    await expect(db.writer.write(["SELECT 1"])).rejects.toMatchObject({ code: "WRITER_CLOSED" });
    await db.writer.drain();
  });
});
