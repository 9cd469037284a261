// The README's handler example, taken from the README itself, runs in a real server
// process started the way users start it (bun run src/main.ts with HIKYAKU_CONFIG).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDb } from "../../src/db/client.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { findTraces } from "../../src/store/traces.ts";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn.ts";

const root = resolve(import.meta.dir, "../..");
let dir: string;
let srv: SpawnedServer;

function readmeExample(): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.includes("defineHandler") && b.includes("spam.example"));
  if (!block) throw new Error("README handler example not found");
  return block.replace(`from "./src/mod.ts"`, `from ${JSON.stringify(join(root, "src/mod.ts"))}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hikyaku-readme-"));
  writeFileSync(join(dir, "readme.config.ts"), readmeExample());
  writeFileSync(
    join(dir, "test.config.ts"),
    `import base from "./readme.config.ts";\nexport default { ...base, hostname: "mx.example.test", listeners: [{ role: "submission", port: 0 }] };\n`,
  );
  const db = await openDb({ url: `file:${join(dir, "data", "hikyaku.db")}` });
  await addDomain(db, "example.test");
  await addAccount(db, "alice@example.test", "alice-pw");
  await db.close();
  srv = await spawnServer({ HIKYAKU_CONFIG: join(dir, "test.config.ts"), HIKYAKU_DATA: join(dir, "data") });
});

afterAll(async () => {
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the README's spam.example handler rejects RCPT with 550 and is traced", async () => {
  const c = await RawSmtp.connect(srv.ports.submission);
  expect((await c.reply()).code).toBe(220);
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  expect((await c.cmd("STARTTLS")).code).toBe(220);
  await c.startTls();
  expect((await c.cmd("EHLO client.test")).code).toBe(250);
  expect((await c.cmd(`AUTH PLAIN ${btoa("\0alice@example.test\0alice-pw")}`)).code).toBe(235);
  const mail = await c.cmd("MAIL FROM:<alice@example.test>");
  expect(mail.code).toBe(250);
  const rejected = await c.cmd("RCPT TO:<victim@spam.example>");
  expect(rejected.text).toBe("550 5.7.1 We do not accept mail for spam.example\r\n");
  // Other remote recipients still pass: the handler only decides for spam.example.
  expect((await c.cmd("RCPT TO:<friend@other.example>")).code).toBe(250);
  const txId = /queued as (\w+)/;
  expect((await c.cmd("DATA")).code).toBe(354);
  const done = await c.cmd("Subject: x\r\n\r\nbody\r\n.");
  expect(done.code).toBe(250);
  await c.cmd("QUIT");
  const id = txId.exec(done.text)![1];
  await srv.stop();
  const db = await openDb({ url: `file:${join(dir, "data", "hikyaku.db")}` });
  const traces = await findTraces(db, id);
  await db.close();
  expect(traces.some((t) => t.handler === "no-spam-example" && t.verdict === "reject" && t.code === 550)).toBe(true);
});
