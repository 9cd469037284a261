// Test helper: a fresh file database in its own temp directory, removed afterwards.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/db/client.ts";
import type { Db } from "../../src/db/client.ts";
import type { WriterOptions } from "../../src/db/writer.ts";

export type TempDb = { db: Db; dir: string; url: string; reopen(): Promise<Db>; cleanup(): Promise<void> };

export async function tempDb(writer?: WriterOptions): Promise<TempDb> {
  const dir = mkdtempSync(join(tmpdir(), "hikyaku-db-"));
  const url = `file:${join(dir, "nested", "hikyaku.db")}`;
  const t: TempDb = {
    db: await openDb({ url, writer }),
    dir,
    url,
    async reopen() {
      await t.db.close();
      t.db = await openDb({ url, writer });
      return t.db;
    },
    async cleanup() {
      await t.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
