// Outbound queue and traces: enqueue in the same op as the body, foreign-key safety,
// listing, and finding traces by queue id or Message-ID.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { tempDb } from "../db/temp-db.ts";
import type { TempDb } from "../db/temp-db.ts";
import { bodyOp, hashBody } from "../../src/store/messages.ts";
import { enqueueOp, getQueueEntry, listQueue } from "../../src/store/queue.ts";
import type { EnqueueInput } from "../../src/store/queue.ts";
import { findTraces, traceOp } from "../../src/store/traces.ts";
import { newQueueId } from "../../src/store/ids.ts";

let t: TempDb;
beforeEach(async () => {
  t = await tempDb();
});
afterEach(async () => {
  await t.cleanup();
});

const raw = new TextEncoder().encode("Subject: out\r\n\r\nhello\r\n");
const body = { bodyHash: hashBody(raw), raw, mimeJson: "{}" };

function entry(id: string, recipients: EnqueueInput["recipients"]): EnqueueInput {
  return {
    id,
    bodyHash: body.bodyHash,
    mailFrom: "",
    envid: "ENV1",
    ret: "HDRS",
    requiretls: true,
    smtputf8: false,
    bodyType: "8BITMIME",
    authUser: "alice@example.org",
    clientIp: "192.0.2.1",
    recipients,
  };
}

describe("queue", () => {
  test("body and queue rows in one op; read back with recipients", async () => {
    const id = newQueueId();
    await t.db.writer.write([
      ...bodyOp(body),
      ...enqueueOp(entry(id, [{ address: "a@remote.net", orcpt: "rfc822;a@remote.net", notify: "SUCCESS,FAILURE" }, { address: "b@remote.net" }])),
    ]);
    const e = await getQueueEntry(t.db, id);
    expect(e).toMatchObject({ id, mailFrom: "", envid: "ENV1", ret: "HDRS", requiretls: true, smtputf8: false, bodyType: "8BITMIME", clientIp: "192.0.2.1" });
    expect(e!.recipients.map((r) => [r.address, r.orcpt, r.notify, r.state, r.attempts])).toEqual([
      ["a@remote.net", "rfc822;a@remote.net", "SUCCESS,FAILURE", "queued", 0],
      ["b@remote.net", null, null, "queued", 0],
    ]);
    expect(await getQueueEntry(t.db, "NOPE")).toBeNull();
    expect((await listQueue(t.db)).map((q) => q.id)).toEqual([id]);
  });

  test("a queue entry without its body is refused (foreign key), nothing half-written", async () => {
    const id = newQueueId();
    await expect(t.db.writer.write(enqueueOp(entry(id, [{ address: "a@remote.net" }])))).rejects.toThrow(/FOREIGN KEY/);
    expect(await getQueueEntry(t.db, id)).toBeNull();
  });

  test("many recipients are chunked under the bound-parameter limit", async () => {
    const id = newQueueId();
    const rcpts = Array.from({ length: 1234 }, (_, i) => ({ address: `r${i}@remote.net` }));
    await t.db.writer.write([...bodyOp(body), ...enqueueOp(entry(id, rcpts))]);
    expect((await getQueueEntry(t.db, id))!.recipients.length).toBe(1234);
  });
});

describe("traces", () => {
  test("found by transaction id and by Message-ID with or without brackets", async () => {
    const base = { sessionId: "S1", event: "smtp.rcpt", code: null, enhanced: null, text: null, durationMs: 0.5 };
    await t.db.writer.write(
      traceOp([
        { ...base, transactionId: "Q1", messageId: "<m1@example.org>", handler: "dnsbl", verdict: "continue", at: 2 },
        { ...base, transactionId: "Q1", messageId: "<m1@example.org>", handler: "rspamd", verdict: "reject", code: 550, enhanced: "5.7.1", text: "spam", at: 3 },
        { ...base, transactionId: "Q2", handler: "spf", verdict: "continue", at: 1 },
      ]),
    );
    expect((await findTraces(t.db, "Q1")).map((r) => r.handler)).toEqual(["dnsbl", "rspamd"]);
    expect((await findTraces(t.db, "m1@example.org")).map((r) => r.handler)).toEqual(["dnsbl", "rspamd"]);
    const [, rejected] = await findTraces(t.db, "<m1@example.org>");
    expect(rejected).toMatchObject({ verdict: "reject", code: 550, enhanced: "5.7.1", text: "spam", durationMs: 0.5, sessionId: "S1" });
    expect(await findTraces(t.db, "nothing")).toEqual([]);
    expect(traceOp([])).toEqual([]);
  });
});
