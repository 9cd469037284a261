// `mailbox.changed` (notification) fires for every durable mailbox change, whatever made it:
// an SMTP delivery (exists), an IMAP STORE (flags) and EXPUNGE (expunge).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { RawImap } from "../helpers/imap-client.ts";
import { defineHandler } from "../../src/events/handler.ts";

const seen: { kind: string; uids: readonly number[] }[] = [];
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    auth: { allowPlaintextOnLoopback: true },
    handlers: [defineHandler({ event: "mailbox.changed", name: "record-changes", handle: (c) => void seen.push({ kind: c.kind, uids: c.uids }) })],
  });
});
afterAll(async () => {
  await t.stop();
});

async function waitFor(kind: string): Promise<void> {
  for (let i = 0; i < 100 && !seen.some((c) => c.kind === kind); i++) await new Promise((r) => setTimeout(r, 20));
}

test("delivery, STORE and EXPUNGE each notify", async () => {
  const s = await RawSmtp.connect(t.port("mx"));
  await s.reply();
  await s.cmd("EHLO client.test");
  await s.cmd("MAIL FROM:<x@other.test>");
  await s.cmd("RCPT TO:<alice@example.test>");
  await s.cmd("DATA");
  expect((await s.cmd("Subject: n\r\n\r\nx\r\n.")).code).toBe(250);
  s.close();
  await waitFor("exists");
  expect(seen.find((c) => c.kind === "exists")?.uids).toEqual([1]);

  const c = await RawImap.login(t.port("imap"));
  expect((await c.cmd("SELECT INBOX")).status).toBe("OK");
  expect((await c.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")).status).toBe("OK");
  expect((await c.cmd("EXPUNGE")).status).toBe("OK");
  c.close();
  await waitFor("expunge");
  expect(seen.map((x) => x.kind)).toEqual(["exists", "flags", "expunge"]);
});
