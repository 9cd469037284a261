// `hikyaku mailbox list`: an account's mailboxes with counts, as a table and as JSON.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { cliEnv, type CliEnv } from "./run-cli.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { deliverOp, hashBody } from "../../src/store/messages.ts";
import { parseMime } from "../../src/protocol/mime/parse.ts";

let cli: CliEnv;
beforeAll(async () => {
  cli = cliEnv();
  expect((await cli.run(["domain", "add", "example.test"])).code).toBe(0);
  expect((await cli.run(["user", "add", "alice@example.test"], { stdin: "pw-1234\n" })).code).toBe(0);
  const db = await cli.openDb();
  const alice = await findAccount(db, "alice@example.test");
  for (const subject of ["one", "two"]) {
    const raw = new TextEncoder().encode(`Subject: ${subject}\r\n\r\nbody\r\n`);
    await db.writer.write(deliverOp({ bodyHash: hashBody(raw), raw, mimeJson: JSON.stringify(parseMime(raw)), targets: [{ accountId: alice!.id, mailbox: "INBOX" }], internalDate: Date.now(), queueId: "Q" + subject }));
  }
  await db.close();
});
afterAll(() => cli.cleanup());

test("lists the default mailboxes with counts", async () => {
  const r = await cli.run(["mailbox", "list", "alice@example.test"]);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split("\n");
  expect(lines[0]).toMatch(/^MAILBOX\s+SPECIAL-USE\s+MESSAGES\s+UNSEEN/);
  expect(lines.find((l) => l.startsWith("INBOX"))).toMatch(/^INBOX\s+-\s+2\s+2\s/);
  expect(lines.some((l) => /^Junk\s+\\Junk\s+0\s+0\s/.test(l))).toBe(true);
});

test("--json gives the same data to scripts; an unknown user exits 1", async () => {
  const r = await cli.run(["mailbox", "list", "alice@example.test", "--json"]);
  const boxes = JSON.parse(r.stdout) as { name: string; messages: number; specialUse: string | null }[];
  expect(boxes.map((b) => b.name).sort()).toEqual(["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]);
  expect(boxes.find((b) => b.name === "INBOX")!.messages).toBe(2);
  const missing = await cli.run(["mailbox", "list", "nobody@example.test"]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("no such user");
});
