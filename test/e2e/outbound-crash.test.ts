// Crash safety of outbound delivery (DESIGN §4): the server process is killed with SIGKILL
// while one delivery waits for the reply to its final dot. After a restart on the same data,
// that recipient is retried once its lease lapses, and a recipient the remote acknowledged
// (and we recorded) before the crash is not sent again.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/db/client.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { listQueue } from "../../src/store/queue.ts";
import { knot, startDnsServer, type DnsServer } from "../helpers/dns-server.ts";
import { startFakeSmtp, type FakeSmtp } from "../helpers/fake-smtp.ts";
import { queueTestMessage } from "../helpers/outbound-queue.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn.ts";

const dirs: string[] = [];
let dns: DnsServer | null = null;
let fake: FakeSmtp | null = null;
const procs: SpawnedServer[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill9().catch(() => {});
  await fake?.stop();
  await dns?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Bounded poll of the server's log (no timing assertion: the bound only ends a hung test). */
async function logShows(p: SpawnedServer, re: RegExp, maxMs = 15_000): Promise<boolean> {
  for (let waited = 0; waited < maxMs; waited += 50) {
    if (re.test(p.output())) return true;
    await Bun.sleep(50);
  }
  return false;
}

test.skipIf(knot.skip)(
  "kill -9 during DATA: retried after the lease lapses; what was acknowledged is not resent",
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hikyaku-ocrash-data-"));
    const cfgDir = mkdtempSync(join(tmpdir(), "hikyaku-ocrash-cfg-"));
    dirs.push(dataDir, cfgDir);

    // b@ hangs after its first DATA (the in-flight delivery we kill); every other reply is 250.
    let bSeen = 0;
    fake = await startFakeSmtp({
      host: "127.0.0.2",
      dataDone: (tx) => (tx.recipients.some((r) => r.startsWith("b@")) && bSeen++ === 0 ? "hang" : "250 2.0.0 Ok queued"),
    });
    dns = await startDnsServer({ zones: { "other.test": [{ name: "@", type: "MX", value: "10 mx" }, { name: "mx", type: "A", value: "127.0.0.2" }] } });

    const dbUrl = `file:${join(dataDir, "hikyaku.db")}`;
    {
      const db = await openDb({ url: dbUrl });
      await addDomain(db, "example.test");
      await addAccount(db, "alice@example.test", "alice-pw");
      await queueTestMessage(db, { id: "AAAAAAAAAAAAAAAA", recipients: ["a@other.test"] });
      await queueTestMessage(db, { id: "BBBBBBBBBBBBBBBB", recipients: ["b@other.test"] });
      await db.close();
    }
    const configFile = join(cfgDir, "hikyaku.config.ts");
    writeFileSync(
      configFile,
      `export default ${JSON.stringify({
        hostname: "mx.example.test",
        listeners: [{ role: "mx", port: 0, tls: "none" }],
        log: { level: "info", format: "json" },
        dns: { servers: [dns.address], timeoutMs: 1000, tries: 2 },
        delivery: {
          pollMs: 50,
          leaseMs: 1000,
          port: fake.port,
          tls: { mtaSts: false },
          timeouts: { connectMs: 2000, greetingMs: 2000, commandMs: 2000, dataDoneMs: 60_000 },
        },
      })};\n`,
    );
    const env = { HIKYAKU_CONFIG: configFile, HIKYAKU_DATA: dataDir };

    const first = await spawnServer(env);
    procs.push(first);
    // a@ is acknowledged and recorded; b@'s data went out and no reply will come.
    expect(await logShows(first, /a@other\.test: delivered/)).toBe(true);
    for (let i = 0; i < 300 && !fake.transactions.some((t) => t.recipients.includes("b@other.test")); i++) await Bun.sleep(20);
    expect(fake.transactions.filter((t) => t.recipients.includes("b@other.test")).length).toBe(1);
    await first.kill9();

    const second = await spawnServer(env);
    procs.push(second);
    expect(await logShows(second, /b@other\.test: delivered/)).toBe(true);
    await second.stop();

    const sent = (who: string) => fake!.transactions.filter((t) => t.recipients.includes(who)).length;
    expect(sent("a@other.test")).toBe(1);
    expect(sent("b@other.test")).toBe(2);
    const db = await openDb({ url: dbUrl });
    const rows = (await listQueue(db)).flatMap((e) => e.recipients.map((r) => [r.address, r.state, r.attempts]));
    await db.close();
    // The killed attempt was never recorded: b@ counts one attempt, the successful retry.
    expect(rows.sort()).toEqual([
      ["a@other.test", "delivered", 1],
      ["b@other.test", "delivered", 1],
    ]);
  },
  60_000,
);
