// Makes embedded commits durable without blocking the event loop. SQLite's synchronous=FULL
// fsyncs the WAL inside COMMIT, on this thread (~0.6 ms per group commit here, time in which
// no other session is served). synchronous=NORMAL does everything FULL does except that one
// sync (https://www.sqlite.org/pragma.html#pragma_synchronous, WAL mode): this module runs it
// instead, as an fdatasync on the thread pool, and the writer resolves callers only after it.

import { closeSync, fdatasync, fstatSync, openSync, statSync } from "node:fs";

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
export function walBarrier(dbPath: string, fallback: Fallback, io: { fdatasync: typeof fdatasync } = { fdatasync }): DurabilityBarrier {
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
    } catch {
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
