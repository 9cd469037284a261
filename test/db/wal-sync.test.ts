// The durability barrier: embedded commits run with synchronous=NORMAL and the writer
// fdatasyncs the WAL off-thread before resolving anyone. These tests pin which file is
// synced, what happens when it is replaced, missing or fails, and that a caller is never
// resolved before its sync.

import { afterEach, describe, expect, test } from "bun:test";
import { fstatSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync, fdatasync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Client, InStatement, ResultSet } from "@libsql/client";
import { walBarrier, type DurabilityBarrier } from "../../src/db/wal-sync.ts";
import { Writer } from "../../src/db/writer.ts";
import { databaseFile } from "../../src/db/client.ts";
import { tempDb, type TempDb } from "./temp-db.ts";

let t: TempDb | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An fdatasync that records the inode of each descriptor it is given. */
function spyIo(fail = false) {
  const inodes: number[] = [];
  const dirSyncs: string[] = [];
  const io = {
    fdatasync: ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      inodes.push(fstatSync(fd).ino);
      if (fail) cb(Object.assign(new Error("EIO"), { code: "EIO" }));
      else fdatasync(fd, cb);
    }) as typeof fdatasync,
    syncDir: (path: string) => void dirSyncs.push(path),
  };
  return { io, inodes, dirSyncs };
}

function fakeClient(): Client {
  return {
    async batch(stmts: InStatement[]): Promise<ResultSet[]> {
      return stmts.map(() => ({ rows: [], columns: [], columnTypes: [], rowsAffected: 1, lastInsertRowid: undefined, toJSON: () => ({}) }));
    },
  } as unknown as Client;
}

describe("walBarrier", () => {
  test("syncs the database's -wal file after a commit, without the fallback", async () => {
    t = await tempDb();
    await t.db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES ('wal.example', 1)" }]);
    const path = databaseFile(t.url)!;
    const { io, inodes, dirSyncs } = spyIo();
    let fallbacks = 0;
    const b = walBarrier(path, async () => void fallbacks++, io);
    await b.sync();
    await b.sync();
    b.close();
    const wal = statSync(`${path}-wal`).ino;
    expect(inodes).toEqual([wal, wal]);
    expect(fallbacks).toBe(0);
    // The WAL's directory entry is synced once, when the barrier first opens the file.
    expect(dirSyncs).toEqual([dirname(path)]);
  });

  test("with the real file system calls (fdatasync, directory fsync) no sync needs the fallback", async () => {
    t = await tempDb();
    await t.db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES ('real.example', 1)" }]);
    let fallbacks = 0;
    const b = walBarrier(databaseFile(t.url)!, async () => void fallbacks++);
    await b.sync();
    await b.sync();
    b.close();
    expect(fallbacks).toBe(0);
  });

  test("a replaced WAL file is reopened by path; a missing one or a failed sync takes the fallback", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hikyaku-wal-"));
    dirs.push(dir);
    const db = join(dir, "x.db");
    writeFileSync(`${db}-wal`, "first");
    const first = statSync(`${db}-wal`).ino;
    const { io, inodes, dirSyncs } = spyIo();
    let fallbacks = 0;
    const b = walBarrier(db, async () => void fallbacks++, io);
    await b.sync();
    // Another process closing the last connection deletes the WAL; the next one makes a new file.
    unlinkSync(`${db}-wal`);
    writeFileSync(join(dir, "hold"), "keeps the old inode number from being reused at once");
    writeFileSync(`${db}-wal`, "second");
    const second = statSync(`${db}-wal`).ino;
    await b.sync();
    expect(inodes).toEqual([first, second]);
    expect(first).not.toBe(second);
    // A new WAL file: its directory entry synced again.
    expect(dirSyncs).toEqual([dir, dir]);
    unlinkSync(`${db}-wal`);
    await b.sync();
    expect(fallbacks).toBe(1);
    b.close();

    writeFileSync(`${db}-wal`, "third");
    const failing = spyIo(true);
    const f = walBarrier(db, async () => void fallbacks++, failing.io);
    await f.sync();
    expect(failing.inodes).toHaveLength(1);
    expect(fallbacks).toBe(2);
    f.close();
  });
});

describe("Writer with a barrier", () => {
  test("a write resolves only after the barrier's sync for its commit resolves", async () => {
    let open!: () => void;
    let syncs = 0;
    const barrier: DurabilityBarrier = {
      sync: () => {
        syncs++;
        return new Promise<void>((r) => (open = r));
      },
      close() {},
    };
    const w = new Writer(fakeClient(), {}, barrier);
    let resolved = false;
    const p = w.write(["INSERT 1"]).then(() => (resolved = true));
    for (let i = 0; i < 20 && syncs === 0; i++) await Bun.sleep(1);
    expect(syncs).toBe(1);
    await Bun.sleep(20);
    expect(resolved).toBe(false);
    open();
    await p;
    expect(resolved).toBe(true);
    expect(w.stats()).toMatchObject({ commits: 1, syncs: 1 });
  });

  test("the next group commits while a sync runs; a sync settles exactly the commits made before it started", async () => {
    const gates: (() => void)[] = [];
    const committed: string[] = [];
    const client = {
      async batch(stmts: InStatement[]): Promise<ResultSet[]> {
        committed.push(...stmts.map((x) => (typeof x === "string" ? x : x.sql)));
        return stmts.map(() => ({ rows: [], columns: [], columnTypes: [], rowsAffected: 1, lastInsertRowid: undefined, toJSON: () => ({}) }));
      },
    } as unknown as Client;
    const barrier: DurabilityBarrier = { sync: () => new Promise<void>((r) => gates.push(r)), close() {} };
    const w = new Writer(client, {}, barrier);
    const done: string[] = [];
    const a = w.write(["A"]).then(() => done.push("A"));
    const tick = async (until: () => boolean) => {
      for (let i = 0; i < 50 && !until(); i++) await Bun.sleep(1);
    };
    await tick(() => gates.length === 1);
    // A's sync is still running: B is committed anyway, with its own sync.
    const b = w.write(["B"]).then(() => done.push("B"));
    await tick(() => gates.length === 2);
    expect(committed).toEqual(["A", "B"]);
    // Two syncs in flight (the cap): C commits, its sync waits for a free slot.
    const c = w.write(["C"]).then(() => done.push("C"));
    await tick(() => committed.length === 3);
    await Bun.sleep(5);
    expect(gates).toHaveLength(2);
    expect(done).toEqual([]);
    // B's sync finishing first settles A and B (it started after both commits), not C.
    gates[1]!();
    await Promise.all([a, b]);
    expect(done).toEqual(["A", "B"]);
    await tick(() => gates.length === 3);
    gates[0]!();
    await Bun.sleep(5);
    expect(done).toEqual(["A", "B"]);
    gates[2]!();
    await c;
    let drained = false;
    await w.drain().then(() => (drained = true));
    expect(drained).toBe(true);
    expect(w.stats()).toMatchObject({ commits: 3, syncs: 3 });
  });

  test("a failed barrier fails the group's writes (never resolved as durable); the writer goes on", async () => {
    let fail = true;
    const barrier: DurabilityBarrier = {
      sync: async () => {
        if (fail) throw new Error("fsync failed: EIO");
      },
      close() {},
    };
    const w = new Writer(fakeClient(), {}, barrier);
    const first = await Promise.allSettled([w.write(["A"]), w.write(["B"])]);
    expect(first.map((s) => s.status)).toEqual(["rejected", "rejected"]);
    expect(String((first[0] as PromiseRejectedResult).reason)).toContain("EIO");
    fail = false;
    await w.write(["C"]);
    // A and B were committed (one group) but never reported durable; C's commit was synced.
    expect(w.stats()).toMatchObject({ commits: 2, ops: 3, syncs: 1 });
  });

  test("openDb's writer passes a barrier on every commit of an embedded database", async () => {
    t = await tempDb();
    const before = t.db.writer.stats();
    await Promise.all(Array.from({ length: 30 }, (_, i) => t!.db.writer.write([{ sql: "INSERT INTO domains (name, created_at) VALUES (?, 1)", args: [`s${i}.example`] }])));
    const after = t.db.writer.stats();
    expect(after.commits - before.commits).toBeGreaterThan(0);
    // One sync may cover several commits, never none.
    expect(after.syncs - before.syncs).toBeGreaterThan(0);
    expect(after.syncs - before.syncs).toBeLessThanOrEqual(after.commits - before.commits);
  });
});
