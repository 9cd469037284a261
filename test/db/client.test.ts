// openDb: migrations on a fresh file and idempotent on reopen, parent directory creation,
// and the durability PRAGMAs surviving writes (the pooled-connection trap, DESIGN §11).

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDb } from "./temp-db.ts";
import type { TempDb } from "./temp-db.ts";

const journal = JSON.parse(readFileSync(new URL("../../migrations/meta/_journal.json", import.meta.url), "utf8")) as {
  entries: unknown[];
};

let t: TempDb | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function pragma(t: TempDb, name: string): Promise<unknown> {
  const r = await t.db.client.execute(`PRAGMA ${name}`);
  return r.rows[0]?.[0];
}

describe("openDb", () => {
  test("creates the parent directory and applies every migration", async () => {
    t = await tempDb();
    expect(existsSync(join(t.dir, "nested", "hikyaku.db"))).toBe(true);
    const tables = await t.db.client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    const names = tables.rows.map((r) => r.name);
    for (const n of ["domains", "accounts", "aliases", "mailboxes", "bodies", "mailbox_messages", "queue_messages", "queue_recipients", "traces"]) {
      expect(names).toContain(n);
    }
    const applied = await t.db.client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
    expect(Number(applied.rows[0].n)).toBe(journal.entries.length);
  });

  test("migrations are idempotent on reopen and data survives", async () => {
    t = await tempDb();
    await t.db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES ('example.org', 1)" }]);
    await t.reopen();
    await t.reopen();
    const applied = await t.db.client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
    expect(Number(applied.rows[0].n)).toBe(journal.entries.length);
    const d = await t.db.client.execute("SELECT name FROM domains");
    expect(d.rows.map((r) => r.name)).toEqual(["example.org"]);
  });

  test("WAL, synchronous=NORMAL (the writer syncs the WAL itself), foreign_keys and busy_timeout hold after writes and concurrent reads", async () => {
    t = await tempDb();
    const db = t.db;
    // Concurrent reads and writes are what made the pool open extra, PRAGMA-less connections.
    await Promise.all([
      ...Array.from({ length: 50 }, (_, i) =>
        db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES (?, ?)", args: [`d${i}.example`, i] }]),
      ),
      ...Array.from({ length: 50 }, () => db.client.execute("SELECT count(*) FROM domains")),
    ]);
    const checks = await Promise.all([pragma(t, "synchronous"), pragma(t, "foreign_keys"), pragma(t, "busy_timeout"), pragma(t, "journal_mode")]);
    expect(checks).toEqual([1, 1, 5000, "wal"]);
    await db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES ('after.example', 1)" }]);
    expect(await pragma(t, "synchronous")).toBe(1);
    // foreign_keys=ON is live: a mailbox for a missing account is refused.
    await expect(
      db.writer.write([{ sql: "INSERT INTO mailboxes (account_id, name, uidvalidity, created_at) VALUES (999, 'x', 1, 1)" }]),
    ).rejects.toThrow(/FOREIGN KEY/);
  });

  test("every client statement, concurrent or not, runs on the one connection that got the PRAGMAs", async () => {
    t = await tempDb();
    const db = t.db;
    // A TEMP table exists only on the connection that created it: if the pool ever hands
    // out a second connection, the statements below fail with "no such table".
    await db.client.execute("CREATE TEMP TABLE connection_probe (x)");
    const reads = Array.from({ length: 40 }, () =>
      db.client.execute("SELECT count(*) AS n, (SELECT synchronous FROM pragma_synchronous) AS s FROM temp.connection_probe"),
    );
    const inserts = Array.from({ length: 40 }, (_, i) => db.client.execute({ sql: "INSERT INTO temp.connection_probe VALUES (?)", args: [i] }));
    const results = await Promise.all(reads);
    await Promise.all(inserts);
    expect(results.every((r) => Number(r.rows[0].s) === 1)).toBe(true);
    const n = await db.client.execute("SELECT count(*) AS n FROM temp.connection_probe");
    expect(Number(n.rows[0].n)).toBe(40);
  });

  test("the writer's own connection has the PRAGMAs too, under concurrent writes", async () => {
    t = await tempDb();
    const db = t.db;
    const probes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        db.writer.write([
          { sql: "INSERT INTO domains (name, created_at) VALUES (?, 1)", args: [`p${i}.example`] },
          { sql: "SELECT (SELECT synchronous FROM pragma_synchronous) AS s, (SELECT foreign_keys FROM pragma_foreign_keys) AS fk, (SELECT timeout FROM pragma_busy_timeout) AS bt" },
        ]),
      ),
    );
    for (const [, probe] of probes) expect({ ...probe!.rows[0] } as Record<string, unknown>).toEqual({ s: 1, fk: 1, bt: 5000 });
    // Committed on the writer's connection, visible on the client's and the reader's.
    const n = await db.client.execute("SELECT count(*) AS n FROM domains");
    expect(Number(n.rows[0].n)).toBe(40);
    expect(await db.read.value("SELECT count(*) FROM domains")).toBe(40);
  });

  test("close drains queued writes", async () => {
    t = await tempDb();
    const pending = t.db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES ('drain.example', 1)" }]);
    await t.reopen();
    await pending;
    const d = await t.db.client.execute("SELECT count(*) AS n FROM domains WHERE name = 'drain.example'");
    expect(Number(d.rows[0].n)).toBe(1);
  });
});
