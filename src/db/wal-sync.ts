// Makes embedded commits durable without blocking the event loop. SQLite's synchronous=FULL
// fsyncs the WAL inside COMMIT, on this thread (~0.6 ms per group commit here, time in which
// no other session is served). synchronous=NORMAL does everything FULL does except that one
// sync (https://www.sqlite.org/pragma.html#pragma_synchronous, WAL mode): this module runs it
// instead, as an fdatasync on the thread pool, and the writer resolves callers only after it.

import { closeSync, fdatasync, fstatSync, fsyncSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";

export type DurabilityBarrier = {
  /** Resolves once every transaction committed before the call is on stable storage. */
  sync(): Promise<void>;
  close(): void;
};

type Fallback = () => Promise<void>;

/**
 * A barrier over `<database>-wal`. Every COMMIT appends its frames to that file, so one
 * fdatasync after the COMMIT returns covers it and every earlier one (fsync flushes the
 * file's pages whichever descriptor wrote them). If the WAL file was replaced since it was
 * opened (another process closing the last connection deletes it), the descriptor is
 * reopened by path first; if it cannot be opened or synced, `fallback` (a FULL checkpoint,
 * which syncs the WAL and the database file itself) keeps the guarantee.
 */
export type BarrierIo = {
  fdatasync: typeof fdatasync;
  /** fsync of a directory, so a file created in it is found after a crash. */
  syncDir(path: string): void;
};

function syncDir(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeQuietly(fd);
  }
}

export function walBarrier(dbPath: string, fallback: Fallback, io: BarrierIo = { fdatasync, syncDir }): DurabilityBarrier {
  const walPath = `${dbPath}-wal`;
  let fd: number | null = null;
  let ino = -1;

  const current = (): number | null => {
    let st;
    try {
      st = statSync(walPath);
    } catch {
      return null;
    }
    if (fd !== null && st.ino === ino) return fd;
    if (fd !== null) closeQuietly(fd);
    fd = null;
    try {
      fd = openSync(walPath, "r+");
      ino = fstatSync(fd).ino;
      // SQLite creates the WAL when the first connection opens and deletes it when the last
      // one closes, so it is new after every restart. With synchronous=NORMAL nothing syncs
      // its directory entry: without this, an fdatasync'd commit could sit in a file that a
      // power loss takes away. Once per WAL file, on this thread (rare and short).
      io.syncDir(dirname(walPath));
    } catch {
      if (fd !== null) closeQuietly(fd);
      fd = null;
    }
    return fd;
  };

  return {
    async sync() {
      const d = current();
      if (d === null) return fallback();
      const ok = await new Promise<boolean>((resolve) => io.fdatasync(d, (err) => resolve(!err)));
      if (!ok) return fallback();
    },
    close() {
      if (fd !== null) closeQuietly(fd);
      fd = null;
    },
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
