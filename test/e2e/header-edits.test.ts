// A smtp.data policy's header edits (HeaderEdits on its verdict) reach the stored message:
// the API the trust handlers (Authentication-Results, X-Spam-*) are written against.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { defineHandler } from "../../src/events/handler.ts";
import { verdict } from "../../src/events/verdict.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const stamp = defineHandler({
  event: "smtp.data",
  name: "stamp",
  handle: () =>
    verdict.continue("stamped", {
      remove: [{ name: "Authentication-Results", pattern: "^mx\\.example\\.test\\s*;" }],
      add: [{ name: "Authentication-Results", value: "mx.example.test; none" }],
    }),
});
const junk = defineHandler({
  event: "smtp.data",
  name: "junk",
  handle: ({ message }) => (new TextDecoder().decode(message).includes("Subject: junk") ? verdict.quarantine("looks like junk", { add: [{ name: "X-Spam-Flag", value: "YES" }] }) : verdict.continue()),
});

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ handlers: [stamp, junk] });
});
afterAll(async () => srv?.stop());

async function send(subject: string): Promise<void> {
  const c = await RawSmtp.connect(srv.port("mx"));
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  expect((await c.cmd("MAIL FROM:<x@client.test>")).code).toBe(250);
  expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
  expect((await c.cmd("DATA")).code).toBe(354);
  const forged = "Authentication-Results: mx.example.test; dkim=pass (forged by the sender)\r\n";
  const kept = "Authentication-Results: elsewhere.test; spf=pass\r\n";
  expect((await c.cmd(`${forged}${kept}Subject: ${subject}\r\n\r\nhello\r\n.`)).code).toBe(250);
  await c.cmd("QUIT");
}

async function stored(mailbox: string): Promise<string[]> {
  const db = srv.server.db;
  const acct = await findAccount(db, "alice@example.test");
  const box = await findMailbox(db, acct!.id, mailbox);
  const out: string[] = [];
  for (const m of await listMessages(db, box!.id)) out.push(new TextDecoder().decode((await getBody(db, m.bodyHash))!.content));
  return out;
}

test("added fields are on top, the forged one is gone, the other kept, the body untouched", async () => {
  await send("hello");
  const [m] = await stored("INBOX");
  expect(m.startsWith("Return-Path: <x@client.test>\r\nAuthentication-Results: mx.example.test; none\r\nReceived: ")).toBe(true);
  expect(m).not.toContain("forged by the sender");
  expect(m).toContain("Authentication-Results: elsewhere.test; spf=pass\r\n");
  expect(m.endsWith("\r\n\r\nhello\r\n")).toBe(true);
});

test("a quarantine verdict files into Junk with its own and earlier handlers' fields", async () => {
  await send("junk");
  const [m] = await stored("Junk");
  expect(m).toContain("Authentication-Results: mx.example.test; none\r\nX-Spam-Flag: YES\r\n");
});
