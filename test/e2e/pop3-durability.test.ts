// DESIGN §4 for POP3: the +OK to QUIT after DELE is sent only once the deletion is durable.
// The server process is killed with SIGKILL the moment +OK arrives, restarted on the same
// data, and the deleted messages must be gone; a session killed before QUIT deletes nothing.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/db/client.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, listMessages } from "../../src/store/messages.ts";
import { spawnServer } from "../helpers/spawn.ts";
import { RawPop3, deliver, sampleMessage } from "../protocol/pop3/raw-pop3.ts";

let dir: string;
let dataDir: string;
let cfg: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hikyaku-pop3-durable-"));
  dataDir = join(dir, "data");
  const db = await openDb({ url: `file:${join(dataDir, "hikyaku.db")}` });
  await addDomain(db, "example.test");
  await addAccount(db, "alice@example.test", "alice-pw");
  await db.close();
  cfg = join(dir, "hikyaku.config.ts");
  writeFileSync(cfg, `export default ${JSON.stringify({ hostname: "mx.example.test", listeners: [{ role: "pop3", port: 0, tls: "none" }], auth: { allowPlaintextOnLoopback: true }, log: { level: "warn" } })};\n`);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function withDb<T>(f: (db: Awaited<ReturnType<typeof openDb>>) => Promise<T>): Promise<T> {
  const db = await openDb({ url: `file:${join(dataDir, "hikyaku.db")}` });
  try {
    return await f(db);
  } finally {
    await db.close();
  }
}

async function uidsInInbox(): Promise<number[]> {
  return withDb(async (db) => {
    const acct = await findAccount(db, "alice@example.test");
    const box = await findMailbox(db, acct!.id, "INBOX");
    return (await listMessages(db, box!.id)).map((m) => m.uid);
  });
}

test("SIGKILL right after +OK to QUIT: the deletions survive the restart", async () => {
  for (let round = 0; round < 3; round++) {
    const uids = await withDb(async (db) => {
      const out: number[] = [];
      for (let i = 0; i < 6; i++) out.push(await deliver(db, "alice@example.test", sampleMessage(`durable-${round}-${i}`)));
      return out;
    });
    const server = await spawnServer({ HIKYAKU_CONFIG: cfg, HIKYAKU_DATA: dataDir });
    try {
      const c = await RawPop3.login(server.ports.pop3);
      const n = Number((await c.cmd("STAT")).split(" ")[1]);
      expect(n).toBe(6);
      for (const k of [1, 3, 5]) expect(await c.cmd(`DELE ${k}`)).toStartWith("+OK");
      expect(await c.cmd("QUIT")).toStartWith("+OK");
      // No grace: the process dies the instant the acknowledgement is seen.
      await server.kill9();
      c.close();
    } catch (e) {
      await server.kill9();
      throw e;
    }
    const left = await uidsInInbox();
    expect(left).toEqual([uids[1], uids[3], uids[5]]);
    // Clean up for the next round through the store.
    await withDb((db) => db.writer.write([{ sql: "DELETE FROM mailbox_messages", args: [] }]));
  }
}, 60_000);

test("SIGKILL after DELE but before QUIT: nothing is deleted", async () => {
  await withDb(async (db) => {
    for (let i = 0; i < 3; i++) await deliver(db, "alice@example.test", sampleMessage(`kept-${i}`));
  });
  const before = await uidsInInbox();
  const server = await spawnServer({ HIKYAKU_CONFIG: cfg, HIKYAKU_DATA: dataDir });
  const c = await RawPop3.login(server.ports.pop3);
  for (const k of [1, 2, 3]) await c.cmd(`DELE ${k}`);
  await server.kill9();
  c.close();
  expect(await uidsInInbox()).toEqual(before);
}, 60_000);
