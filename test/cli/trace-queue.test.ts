// `hikyaku trace` and `hikyaku queue list` against rows the server would have written:
// readable tables, --json, and exit 1 when nothing is found.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bodyOp, hashBody } from "../../src/store/messages.ts";
import { enqueueOp } from "../../src/store/queue.ts";
import { traceOp } from "../../src/store/traces.ts";
import type { TraceEntry } from "../../src/store/traces.ts";
import { cliEnv } from "./run-cli.ts";
import type { CliEnv } from "./run-cli.ts";

let cli: CliEnv;
beforeAll(() => {
  cli = cliEnv();
});
afterAll(() => cli.cleanup());

const AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function entry(over: Partial<TraceEntry>): TraceEntry {
  return {
    transactionId: "QID0000000000001",
    messageId: "<m1@client.test>",
    sessionId: "S1",
    event: "smtp.rcpt",
    handler: "dnsbl",
    verdict: "continue",
    code: null,
    enhanced: null,
    text: null,
    durationMs: 1.25,
    at: AT,
    ...over,
  };
}

describe("trace", () => {
  test("unknown id exits 1 (before and after data exists)", async () => {
    expect(await cli.run(["trace", "NOPE"])).toEqual({ code: 1, stdout: "", stderr: "hikyaku: no trace found for NOPE\n" });
    expect(await cli.run(["trace", "NOPE", "--json"])).toMatchObject({ code: 1, stdout: "" });
  });

  test("by queue id and by Message-ID: table and --json", async () => {
    const db = await cli.openDb();
    try {
      await db.writer.write(
        traceOp([
          entry({}),
          entry({ handler: "greylist", verdict: "tempfail", code: 451, enhanced: "4.7.1", text: "try again later", durationMs: 3.5, at: AT + 10 }),
        ]),
      );
    } finally {
      await db.close();
    }
    const r = await cli.run(["trace", "QID0000000000001"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("transaction QID0000000000001  session S1  message-id <m1@client.test>");
    expect(lines[1]).toMatch(/^TIME\s+EVENT\s+HANDLER\s+VERDICT\s+MS\s+REPLY$/);
    expect(lines[2]).toMatch(/^2026-01-02 03:04:05\.678\s+smtp\.rcpt\s+dnsbl\s+continue\s+1\.3\s+-$/);
    expect(lines[3]).toMatch(/greylist\s+tempfail\s+3\.5\s+451 4\.7\.1 try again later$/);
    const byMessageId = await cli.run(["trace", "m1@client.test"]);
    expect(byMessageId.stdout).toBe(r.stdout);
    const json = JSON.parse((await cli.run(["trace", "<m1@client.test>", "--json"])).stdout) as TraceEntry[];
    expect(json.map((e) => [e.handler, e.verdict, e.code, e.enhanced, e.durationMs])).toEqual([
      ["dnsbl", "continue", null, null, 1.25],
      ["greylist", "tempfail", 451, "4.7.1", 3.5],
    ]);
  });
});

describe("queue list", () => {
  test("empty queue", async () => {
    expect(await cli.run(["queue", "list"])).toEqual({ code: 0, stdout: "queue is empty\n", stderr: "" });
    expect(JSON.parse((await cli.run(["queue", "list", "--json"])).stdout)).toEqual([]);
  });

  test("entries with per-recipient state", async () => {
    const raw = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");
    const bodyHash = hashBody(raw);
    const db = await cli.openDb();
    try {
      await db.writer.write([
        ...bodyOp({ bodyHash, raw, mimeJson: "{}" }),
        ...enqueueOp({
          id: "QUEUEID000000001",
          bodyHash,
          mailFrom: "alice@example.test",
          envid: null,
          ret: null,
          requiretls: false,
          smtputf8: false,
          bodyType: null,
          authUser: "alice@example.test",
          clientIp: "127.0.0.1",
          recipients: [{ address: "x@remote.test" }, { address: "y@remote.test" }],
          nextAttemptAt: AT,
        }),
      ]);
      await db.writer.write([
        { sql: "UPDATE queue_recipients SET state = 'deferred', attempts = 2, last_reply = '451 4.7.1 greylisted' WHERE address = 'y@remote.test'", args: [] },
      ]);
    } finally {
      await db.close();
    }
    const r = await cli.run(["queue", "list"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^QUEUE ID\s+FROM\s+CREATED\s+RECIPIENT\s+STATE\s+ATTEMPTS\s+NEXT ATTEMPT\s+LAST REPLY$/);
    expect(lines[1]).toMatch(/^QUEUEID000000001\s+alice@example\.test\s+\S+ \S+\s+x@remote\.test\s+queued\s+0\s+2026-01-02 03:04:05\.678\s+-$/);
    expect(lines[2]).toMatch(/^\s+y@remote\.test\s+deferred\s+2\s+.*451 4\.7\.1 greylisted$/);
    expect(lines[3]).toBe("1 message, 2 recipients");
    const json = JSON.parse((await cli.run(["queue", "list", "--json"])).stdout) as { id: string; recipients: { address: string; state: string; attempts: number }[] }[];
    expect(json).toHaveLength(1);
    expect(json[0].id).toBe("QUEUEID000000001");
    expect(json[0].recipients.map((x) => [x.address, x.state, x.attempts])).toEqual([
      ["x@remote.test", "queued", 0],
      ["y@remote.test", "deferred", 2],
    ]);
  });
});
