// End-to-end smoke: a message over port 25 lands in alice's INBOX with trace headers.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { findMailbox, listMessages, getBody } from "../../src/store/messages.ts";
import { findAccount } from "../../src/store/accounts.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

test("MX delivery stores the message with Return-Path and Received", async () => {
  const c = await RawSmtp.connect(t.port("mx"));
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
  expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
  expect((await c.cmd("DATA")).code).toBe(354);
  const r = await c.cmd("Subject: smoke\r\n\r\nhello\r\n.");
  expect(r.code).toBe(250);
  expect((await c.cmd("QUIT")).code).toBe(221);
  const acct = await findAccount(t.server.db, "alice@example.test");
  const inbox = await findMailbox(t.server.db, acct!.id, "INBOX");
  const msgs = await listMessages(t.server.db, inbox!.id);
  expect(msgs.length).toBe(1);
  const body = new TextDecoder().decode((await getBody(t.server.db, msgs[0].bodyHash))!.content);
  expect(body.startsWith("Return-Path: <bob@other.test>\r\nReceived: from client.test ([127.0.0.1])\r\n")).toBe(true);
  expect(body.endsWith("Subject: smoke\r\n\r\nhello\r\n")).toBe(true);
});
