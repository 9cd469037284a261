// DKIM at queue time, end to end: mail submitted (AUTH) on the submission port to a remote
// recipient is stored in the queue already signed, with signatures that verify; the local
// copy of the same message and inbound mail forwarded by an alias are not signed.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { dkimVerify } from "mailauth";
import { dkimTxtRecord, generateDkimKeyPair } from "../../src/delivery/dkim-keys.ts";
import { addAlias } from "../../src/store/aliases.ts";
import { addDkimKeys, listDkimKeys } from "../../src/store/dkim.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";

let t: TestServer;
let records: Map<string, string>;

beforeAll(async () => {
  t = await startTestServer({ auth: { allowPlaintextOnLoopback: true } });
  const [rsa, ed] = await Promise.all([generateDkimKeyPair("rsa-sha256"), generateDkimKeyPair("ed25519-sha256")]);
  await addDkimKeys(t.server.db, [
    { domain: "example.test", selector: "t1-rsa", ...rsa },
    { domain: "example.test", selector: "t1-ed", ...ed },
  ]);
  records = new Map((await listDkimKeys(t.server.db)).map((k) => [dkimTxtRecord(k).name, dkimTxtRecord(k).value]));
  await addAlias(t.server.db, "fwd@example.test", "carol@foreign.test");
});
afterAll(() => t.stop());

async function resolver(name: string): Promise<string[][]> {
  const v = records.get(name.toLowerCase());
  if (v === undefined) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return [[v]];
}

async function send(role: "submission" | "mx", auth: boolean, rcpts: string[], subject: string): Promise<void> {
  const c = await RawSmtp.connect(t.port(role));
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  if (auth) expect((await c.cmd(`AUTH PLAIN ${Buffer.from("\0alice@example.test\0alice-pw").toString("base64")}`)).code).toBe(235);
  expect((await c.cmd(`MAIL FROM:<${auth ? "alice@example.test" : "dave@elsewhere.test"}>`)).code).toBe(250);
  for (const r of rcpts) expect((await c.cmd(`RCPT TO:<${r}>`)).code).toBe(250);
  expect((await c.cmd("DATA")).code).toBe(354);
  const body = `From: Alice <alice@example.test>\r\nTo: x@foreign.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@client.test>\r\n\r\nHello there.\r\n`;
  expect((await c.cmd(`${body}.`)).code).toBe(250);
  await c.cmd("QUIT");
  c.close();
}

async function queuedBody(subject: string): Promise<Buffer> {
  const res = await t.server.db.client.execute({
    sql: "SELECT b.content FROM queue_messages q JOIN bodies b ON b.hash = q.body_hash WHERE instr(b.content, ?) > 0",
    args: [`Subject: ${subject}`],
  });
  expect(res.rows.length).toBe(1);
  return Buffer.from(res.rows[0].content as ArrayBuffer);
}

test("submission to a remote recipient: the queued body carries two verifying signatures; the local copy none", async () => {
  await send("submission", true, ["x@foreign.test", "bob@example.test"], "signed-1");
  const queued = await queuedBody("signed-1");
  expect(queued.toString("latin1")).toStartWith("DKIM-Signature: ");
  const v = await dkimVerify(queued, { resolver, strict: true });
  expect(v.results.map((r) => [r.selector, r.status.result]).sort()).toEqual([
    ["t1-ed", "pass"],
    ["t1-rsa", "pass"],
  ]);
  const local = await t.server.db.client.execute({
    sql: "SELECT b.content FROM mailbox_messages m JOIN bodies b ON b.hash = m.body_hash WHERE instr(b.content, ?) > 0",
    args: ["Subject: signed-1"],
  });
  expect(local.rows.length).toBe(1);
  const text = Buffer.from(local.rows[0].content as ArrayBuffer).toString("latin1");
  expect(text).toStartWith("Return-Path: <alice@example.test>\r\n");
  expect(text).toContain("\r\nFrom: Alice <alice@example.test>\r\n");
  expect(text).not.toContain("DKIM-Signature");
});

test("inbound mail forwarded by an alias to a remote address is queued unsigned", async () => {
  await send("mx", false, ["fwd@example.test"], "forwarded-1");
  const queued = await queuedBody("forwarded-1");
  // The same From: as the signed test above, so only the unauthenticated session differs.
  expect(queued.toString("latin1")).toContain("\r\nFrom: Alice <alice@example.test>\r\n");
  expect(queued.toString("latin1")).not.toContain("DKIM-Signature");
});
