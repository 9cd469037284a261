// `hikyaku queue list|show|retry|flush|hold|release|delete` against rows a server and its
// delivery worker would have written: output, what changed in the database, exit codes.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Db } from "../../src/db/client.ts";
import { bodyOp, hashBody } from "../../src/store/messages.ts";
import { claimDue, enqueueOp, getQueueEntry, recordResultsOp } from "../../src/store/queue.ts";
import type { QueueRecipient } from "../../src/store/queue.ts";
import type { QueueDetail } from "../../src/store/queue-admin.ts";
import { cliEnv } from "./run-cli.ts";
import type { CliEnv } from "./run-cli.ts";

let cli: CliEnv;
beforeAll(() => {
  cli = cliEnv();
});
afterAll(() => cli.cleanup());

const AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const FAR = Date.UTC(2099, 0, 1);

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await cli.openDb();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Enqueues `id` for `addresses`, due far in the future unless `next` is given. */
async function seed(id: string, addresses: string[], next = FAR): Promise<void> {
  const raw = new TextEncoder().encode(`Subject: ${id}\r\n\r\nbody\r\n`);
  const bodyHash = hashBody(raw);
  await withDb((db) =>
    db.writer.write([
      ...bodyOp({ bodyHash, raw, mimeJson: "{}" }),
      ...enqueueOp({
        id,
        bodyHash,
        mailFrom: "",
        envid: "ENV-" + id,
        ret: "HDRS",
        requiretls: false,
        smtputf8: false,
        bodyType: "8BITMIME",
        authUser: null,
        clientIp: "192.0.2.9",
        recipients: addresses.map((address) => ({ address, notify: "FAILURE" })),
        nextAttemptAt: next,
      }),
    ]),
  );
}

async function recipients(id: string): Promise<QueueRecipient[]> {
  return withDb(async (db) => (await getQueueEntry(db, id))?.recipients ?? []);
}

async function exec(db: Db, sql: string, args: (string | number)[] = []): Promise<void> {
  await db.writer.write([{ sql, args }]);
}

describe("queue show", () => {
  test("envelope, recipients and every attempt; --json; unknown id exits 1", async () => {
    await seed("SHOW000000000001", ["a@remote.test", "b@remote.test"], AT);
    await withDb(async (db) => {
      const [a, b] = (await getQueueEntry(db, "SHOW000000000001"))!.recipients;
      await claimDue(db, { owner: "W", now: AT, leaseMs: 1000, limit: 10 });
      await db.writer.write(
        recordResultsOp({
          owner: "W",
          now: AT,
          results: [
            { recipientId: a.id, outcome: "deferred", reply: "451 4.7.1 greylisted", status: "4.7.1", host: "mx.remote.test", nextAttemptAt: AT + 60_000 },
            { recipientId: b.id, outcome: "failed", reply: "550 5.1.1 no such user", status: "5.1.1", host: "mx.remote.test" },
          ],
        }),
      );
    });
    const r = await cli.run(["queue", "show", "SHOW000000000001"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain("queue id    SHOW000000000001\n");
    expect(r.stdout).toContain("from        <> (null sender)\n");
    expect(r.stdout).toContain("envid       ENV-SHOW000000000001\n");
    expect(r.stdout).toContain("held        no\n");
    expect(r.stdout).toMatch(/^a@remote\.test\s+deferred\s+1\s+2026-01-02 03:05:05\.678\s+FAILURE\s+-\s+4\.7\.1\s+mx\.remote\.test\s+451 4\.7\.1 greylisted$/m);
    expect(r.stdout).toMatch(/^b@remote\.test\s+failed\s+1\s+-\s+FAILURE\s+-\s+5\.1\.1\s+mx\.remote\.test\s+550 5\.1\.1 no such user$/m);
    expect(r.stdout).toMatch(/^TIME\s+RECIPIENT\s+HOST\s+OUTCOME\s+REPLY$/m);
    expect(r.stdout).toMatch(/^2026-01-02 03:04:05\.678\s+a@remote\.test\s+mx\.remote\.test\s+deferred\s+451 4\.7\.1 greylisted$/m);
    expect(r.stdout).toMatch(/^2026-01-02 03:04:05\.678\s+b@remote\.test\s+mx\.remote\.test\s+failed\s+550 5\.1\.1 no such user$/m);

    const json = JSON.parse((await cli.run(["queue", "show", "SHOW000000000001", "--json"])).stdout) as QueueDetail;
    expect(json.recipients.map((x) => [x.address, x.attempts, x.history.map((h) => h.outcome)])).toEqual([
      ["a@remote.test", 1, ["deferred"]],
      ["b@remote.test", 1, ["failed"]],
    ]);
    expect(await cli.run(["queue", "show", "NOPE"])).toEqual({ code: 1, stdout: "", stderr: "hikyaku: no queued message NOPE\n" });
  });
});

describe("queue hold / release / list", () => {
  test("hold marks HELD in the list; release clears it; repeating says so", async () => {
    await seed("HOLD000000000001", ["h@held.test"]);
    expect(await cli.run(["queue", "hold", "HOLD000000000001"])).toEqual({ code: 0, stdout: "HOLD000000000001: held, 1 waiting recipient\n", stderr: "" });
    expect((await cli.run(["queue", "hold", "HOLD000000000001"])).stdout).toBe("HOLD000000000001: already on hold\n");
    const list = await cli.run(["queue", "list", "--domain", "HELD.test"]);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[1]).toMatch(/^HOLD000000000001 HELD\s+<>\s+\S+ \S+\s+h@held\.test\s+queued\s+0\s+2099-01-01 00:00:00\.000\s+-$/);
    expect(lines[2]).toBe("1 message (1 held), 1 recipient");
    expect(await cli.run(["queue", "release", "HOLD000000000001"])).toEqual({ code: 0, stdout: "HOLD000000000001: released, 1 waiting recipient\n", stderr: "" });
    expect((await cli.run(["queue", "release", "HOLD000000000001"])).stdout).toBe("HOLD000000000001: was not on hold\n");
    expect((await cli.run(["queue", "list", "--domain", "held.test"])).stdout).not.toContain("HELD");
    expect(await cli.run(["queue", "hold", "NOPE"])).toEqual({ code: 1, stdout: "", stderr: "hikyaku: no queued message NOPE\n" });
  });

  test("--state filter, --json, and a bad state is a usage error", async () => {
    await seed("LIST000000000001", ["s1@state.test", "s2@state.test"]);
    await withDb((db) => exec(db, "UPDATE queue_recipients SET state = 'deferred' WHERE address = 's2@state.test'"));
    const json = JSON.parse((await cli.run(["queue", "list", "--domain", "state.test", "--state", "deferred", "--json"])).stdout) as { id: string; recipients: { address: string }[] }[];
    expect(json.map((e) => [e.id, e.recipients.map((x) => x.address)])).toEqual([["LIST000000000001", ["s2@state.test"]]]);
    expect((await cli.run(["queue", "list", "--domain", "nowhere.test"])).stdout).toBe("no matching recipients\n");
    const bad = await cli.run(["queue", "list", "--state", "lost"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toStartWith("hikyaku: --state must be one of queued, inflight, delivered, deferred, failed\n");
  });
});

describe("queue retry / flush", () => {
  test("retry <id> makes waiting recipients due now, failed only with --failed", async () => {
    await seed("RTRY000000000001", ["q@retry.test", "f@retry.test"]);
    await withDb((db) => exec(db, "UPDATE queue_recipients SET state = 'failed' WHERE address = 'f@retry.test'"));
    const before = Date.now();
    expect(await cli.run(["queue", "retry", "RTRY000000000001"])).toEqual({ code: 0, stdout: "RTRY000000000001: 1 recipient due now\n", stderr: "" });
    let rows = await recipients("RTRY000000000001");
    expect(rows[0].nextAttemptAt).toBeGreaterThanOrEqual(before);
    expect(rows[0].nextAttemptAt).toBeLessThan(FAR);
    expect(rows[1]).toMatchObject({ state: "failed", nextAttemptAt: FAR });
    expect((await cli.run(["queue", "retry", "--domain", "retry.test", "--failed"])).stdout).toBe("domain retry.test: 1 recipient due now, 1 failed recipient requeued\n");
    rows = await recipients("RTRY000000000001");
    expect(rows[1].state).toBe("queued");
    expect(rows[1].nextAttemptAt).toBeLessThan(FAR);
    expect(await cli.run(["queue", "retry", "NOPE"])).toEqual({ code: 1, stdout: "", stderr: "hikyaku: no queued message NOPE\n" });
  });

  test("retry needs exactly one target", async () => {
    for (const args of [[], ["X", "--all"], ["--all", "--domain", "a.test"]]) {
      const r = await cli.run(["queue", "retry", ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toStartWith("hikyaku: queue retry needs exactly one of <queue-id>, --domain DOMAIN, --all\n");
    }
  });

  test("flush makes every deferred recipient due now, and retry --all the queued ones too", async () => {
    await seed("FLSH000000000001", ["d1@flush.test", "d2@flush.test", "q@flush.test"]);
    await withDb((db) => exec(db, "UPDATE queue_recipients SET state = 'deferred' WHERE address LIKE 'd_@flush.test'"));
    // Other tests' deferred rows are flushed too: count every deferred row of a message not on hold.
    const deferred = await withDb(async (db) =>
      Number((await db.client.execute("SELECT COUNT(*) AS n FROM queue_recipients r JOIN queue_messages m ON m.id = r.queue_id WHERE r.state = 'deferred' AND m.held = 0")).rows[0].n),
    );
    expect(deferred).toBeGreaterThanOrEqual(2);
    expect(await cli.run(["queue", "flush"])).toEqual({ code: 0, stdout: `${deferred} deferred recipients due now\n`, stderr: "" });
    const rows = await recipients("FLSH000000000001");
    expect(rows.map((r) => r.nextAttemptAt < FAR)).toEqual([true, true, false]);
    const all = await cli.run(["queue", "retry", "--all"]);
    expect(all.stdout).toMatch(/^all messages: \d+ recipients due now\n$/);
    expect((await recipients("FLSH000000000001"))[2].nextAttemptAt).toBeLessThan(FAR);
  });
});

describe("queue delete", () => {
  test("removes the message (no DSN); then it is unknown", async () => {
    await seed("DELE000000000001", ["x@delete.test", "y@delete.test"]);
    const count = () => withDb(async (db) => Number((await db.client.execute("SELECT COUNT(*) AS n FROM queue_messages")).rows[0].n));
    const n = await count();
    expect(await cli.run(["queue", "delete", "DELE000000000001"])).toEqual({ code: 0, stdout: "DELE000000000001: deleted, 2 recipients (2 waiting), no DSN sent\n", stderr: "" });
    expect(await count()).toBe(n - 1);
    expect(await recipients("DELE000000000001")).toEqual([]);
    expect(await cli.run(["queue", "delete", "DELE000000000001"])).toEqual({ code: 1, stdout: "", stderr: "hikyaku: no queued message DELE000000000001\n" });
  });
});
