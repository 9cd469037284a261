// Stopping the server (SIGTERM) drains: a transaction inside DATA finishes and is stored,
// idle sessions get 421 4.3.2, and the writer is drained before stop() resolves.

import { expect, test } from "bun:test";
import { startTestServer } from "../helpers/server.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { openDb } from "../../src/db/client.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox, listMessages } from "../../src/store/messages.ts";
import { join } from "node:path";
import { rmSync } from "node:fs";

test("stop() lets DATA finish, then closes every session with 421 4.3.2", async () => {
  const t = await startTestServer();
  const idle = await RawSmtp.connect(t.port("mx"));
  await idle.reply();
  expect((await idle.cmd("EHLO idle.test")).code).toBe(250);

  const busy = await RawSmtp.connect(t.port("mx"));
  await busy.reply();
  await busy.cmd("EHLO busy.test");
  await busy.cmd("MAIL FROM:<x@other.test>");
  await busy.cmd("RCPT TO:<alice@example.test>");
  expect((await busy.cmd("DATA")).code).toBe(354);
  busy.send("Subject: in flight\r\n\r\nfirst half\r\n");

  // The harness removes its temp dir in stop(); keep it to inspect the database afterwards.
  const stopping = t.server.stop({ drainMs: 5000 });
  expect((await idle.reply()).text).toBe("421 4.3.2 mx.example.test Service shutting down\r\n");
  expect(await idle.waitClosed()).toBe(true);

  busy.send("second half\r\n.\r\n");
  expect((await busy.reply()).code).toBe(250);
  expect((await busy.reply()).lines[0]).toStartWith("421 4.3.2 ");
  expect(await busy.waitClosed()).toBe(true);
  await stopping;

  const db = await openDb({ url: `file:${join(t.dir, "hikyaku.db")}` });
  const alice = await findAccount(db, "alice@example.test");
  const msgs = await listMessages(db, (await findMailbox(db, alice!.id, "INBOX"))!.id);
  expect(msgs.length).toBe(1);
  await db.close();
  rmSync(t.dir, { recursive: true, force: true });
});
