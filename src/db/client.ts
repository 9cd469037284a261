// Opens the database (embedded file or remote sqld/Turso), applies durability PRAGMAs and
// the drizzle migrations, and hands out the client, the typed ORM and the single writer.

import { mkdirSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import * as schema from "./schema/mod.ts";
import { Writer } from "./writer.ts";
import { installStatementCache } from "./statement-cache.ts";
import { openReader } from "./read.ts";
import type { Reader } from "./read.ts";
import { walBarrier } from "./wal-sync.ts";
import { DirectBatch } from "./direct-batch.ts";
import type { WriterOptions } from "./writer.ts";

export type Schema = typeof schema;

export type Db = {
  /** Reads only; every write goes through `writer` (DESIGN §4). */
  client: Client;
  orm: LibSQLDatabase<Schema>;
  writer: Writer;
  /** The hot read path (src/db/read.ts): rows as value arrays, on its own connection when embedded. */
  read: Reader;
  /** Drains the writer, then closes the client. */
  close(): Promise<void>;
};

export type OpenDbOptions = {
  /** `file:./data/hikyaku.db`, `file:/abs/path.db`, or `http://…` / `libsql://…` (sqld, Turso). */
  url: string;
  authToken?: string;
  writer?: WriterOptions;
};

/** SQLite page cache per connection, KiB (a negative cache_size is in KiB). */
const PAGE_CACHE_KIB = 64 * 1024;

/** The writer's connection mostly touches recent pages (indexes, the newest rows): a smaller cache. */
const WRITER_CACHE_KIB = 16 * 1024;

const MIGRATIONS = fileURLToPath(new URL("../../migrations", import.meta.url));
const BUSY_TIMEOUT_MS = 5000;

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  const local = opts.url.startsWith("file:");
  const file = local ? databaseFile(opts.url) : null;
  if (local) installStatementCache();
  if (local) ensureParentDir(opts.url);
  const client = createClient({
    url: opts.url,
    authToken: opts.authToken,
    // @libsql/client 0.18 keeps a pool and opens a fresh connection whenever all are
    // borrowed; a fresh connection has none of the PRAGMAs below (§11). Execution is
    // synchronous on this thread anyway, so one connection costs nothing and keeps
    // synchronous / foreign_keys=ON on every statement. Never use
    // `client.transaction()`: it would hold that one connection hostage.
    ...(local ? { concurrency: 1, timeout: BUSY_TIMEOUT_MS } : {}),
  });
  let read: Reader | undefined;
  try {
    if (local) {
      // WAL is persistent in the file; the others are per connection.
      await client.execute("PRAGMA journal_mode=WAL");
      // NORMAL is FULL minus the WAL fsync inside each COMMIT, which would block this thread;
      // the writer's barrier (wal-sync.ts) does that fsync off-thread before any caller is
      // told its write is done. An in-memory database has nothing to sync: FULL as before.
      await client.execute(`PRAGMA synchronous=${file ? "NORMAL" : "FULL"}`);
      await client.execute(`PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`);
      await client.execute("PRAGMA foreign_keys=ON");
      // 64 MiB of page cache instead of SQLite's 2 MiB: IMAP scans under load cost about 3x
      // more from a cold cache (measured: ~8 % less server CPU per IMAP op in bench imap).
      await client.execute(`PRAGMA cache_size=-${PAGE_CACHE_KIB}`);
    }
    const orm = drizzle(client, { schema });
    // Idempotent: drizzle records applied migrations in __drizzle_migrations.
    await migrate(orm, { migrationsFolder: MIGRATIONS });
    if (local) {
      // The migrator toggles foreign_keys off and back on around its batch; re-assert.
      await client.execute("PRAGMA foreign_keys=ON");
    }
    read = openReader(client, file ? { path: file, cacheKib: PAGE_CACHE_KIB, busyTimeoutMs: BUSY_TIMEOUT_MS } : null);
    // A FULL checkpoint syncs the WAL and the database file: the barrier's fallback.
    const barrier = file ? walBarrier(file, async () => void (await client.execute("PRAGMA wal_checkpoint(FULL)"))) : null;
    // The migrations above committed without a sync: make them durable before serving.
    await barrier?.sync();
    // Writes on their own connection for files (direct-batch.ts); in memory, the only one.
    const direct = file ? new DirectBatch(file, { cacheKib: WRITER_CACHE_KIB, busyTimeoutMs: BUSY_TIMEOUT_MS }) : null;
    const writer = new Writer(direct ?? client, opts.writer, barrier);
    return {
      client,
      orm,
      writer,
      read,
      async close() {
        await writer.close();
        direct?.close();
        read?.close();
        barrier?.close();
        client.close();
      },
    };
  } catch (e) {
    read?.close();
    client.close();
    throw e;
  }
}

/** The absolute path of a `file:` URL's database; null for an in-memory one. */
export function databaseFile(url: string): string | null {
  let path = url.slice("file:".length);
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  if (path === "" || path === ":memory:") return null;
  // file:///abs and file://localhost/abs carry an (empty) authority before the path.
  if (path.startsWith("//")) path = path.replace(/^\/\/(localhost)?/i, "");
  path = decodeURIComponent(path);
  return isAbsolute(path) ? path : resolve(path);
}

/** Creates the directory of a `file:` URL's database so a first start just works. */
function ensureParentDir(url: string): void {
  const full = databaseFile(url);
  if (full) mkdirSync(dirname(full), { recursive: true });
}
