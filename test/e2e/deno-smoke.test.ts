// Deno smoke (DESIGN §6): the CLI and the server run under Deno 2 (`deno task hikyaku`,
// `deno task start`, deno.json) on the node_modules that `bun install` made; one SMTP
// transaction with STARTTLS on the MX port and one with STARTTLS + AUTH on submission; then
// SIGTERM drains and exits 0, and Bun reads back what Deno stored.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RawSmtp } from "../helpers/smtp-client.ts";
import { inboxBodies, requireTools, run } from "../helpers/debian.ts";
import { openDb, type Db } from "../../src/db/client.ts";

const tools = requireTools("Deno smoke tests", ["deno"], "npm install -g deno; bash .ci/run installs it");
const ROOT = resolve(import.meta.dir, "../..");
const START_TIMEOUT_MS = 30_000;

type DenoServer = { child: ChildProcess; ports: Record<string, number>; output: () => string; exited: Promise<number | null> };

let dir = "";
let env: Record<string, string | undefined> = {};
let srv: DenoServer | null = null;

async function deno(args: string[], input?: string) {
  const r = await run(tools.bin("deno"), args, { cwd: ROOT, env, input, timeoutMs: 30_000 });
  if (r.code !== 0 || r.timedOut) throw new Error(`deno ${args.join(" ")}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `deno task start` in its own process group, so a stuck child can be killed with the task. */
async function startDeno(): Promise<DenoServer> {
  const child = spawn(tools.bin("deno"), ["task", "start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const ports: Record<string, number> = {};
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const ready = new Promise<boolean>((resolveReady) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      for (const m of out.matchAll(/^hikyaku: (\w+) listening on [^\s]+:(\d+) /gm)) ports[m[1]] = Number(m[2]);
      if (/^hikyaku: ready$/m.test(out)) resolveReady(true);
    });
    void exited.then(() => resolveReady(false));
    setTimeout(() => resolveReady(false), START_TIMEOUT_MS);
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const s = { child, ports, output: () => out, exited };
  if (!(await ready)) {
    await stopDeno(s, 0);
    throw new Error(`deno task start did not get ready in ${START_TIMEOUT_MS} ms:\n${out}`);
  }
  return s;
}

/** SIGTERM to the task (deno task forwards it); after graceMs, SIGKILL to the whole group. */
async function stopDeno(s: DenoServer, graceMs = 10_000): Promise<number | null> {
  const pid = s.child.pid!;
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGTERM");
  const code = await Promise.race([s.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs))]);
  try {
    process.kill(-pid, "SIGKILL"); // whatever is left of the group (the task's deno run child)
  } catch {
    // the group is gone: clean exit
  }
  return code === "timeout" ? null : code;
}

beforeAll(async () => {
  if (tools.skip) return;
  dir = mkdtempSync(join(tmpdir(), "hikyaku-deno-"));
  const config = join(dir, "hikyaku.config.ts");
  writeFileSync(
    config,
    `export default {
  hostname: "mx.example.test",
  listeners: [
    { role: "mx", port: 0 },
    { role: "submission", port: 0 },
    { role: "submissions", port: 0 },
    { role: "lmtp", port: 0 },
  ],
  limits: { authFailureDelayMs: 10 },
};
`,
  );
  env = { ...process.env, HIKYAKU_CONFIG: config, HIKYAKU_DATA: join(dir, "data"), NO_COLOR: "1" };
}, START_TIMEOUT_MS);

afterAll(async () => {
  if (srv) await stopDeno(srv, 5000);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 20_000);

describe.skipIf(tools.skip)("Deno", () => {
  test("deno task hikyaku: domain add, user add (password on stdin)", async () => {
    expect((await deno(["task", "hikyaku", "domain", "add", "example.test"])).stdout).toContain("example.test");
    expect((await deno(["task", "hikyaku", "user", "add", "alice@example.test"], "alice-pw\n")).stdout).toContain("alice@example.test");
  }, 60_000);

  test("deno task start prints its listeners and gets ready", async () => {
    srv = await startDeno();
    expect(Object.keys(srv.ports).sort()).toEqual(["lmtp", "mx", "submission", "submissions"]);
    expect(srv.output()).toContain("hikyaku: data ");
  }, START_TIMEOUT_MS + 5000);

  test("MX: EHLO, STARTTLS, EHLO, MAIL, RCPT, DATA → 250", async () => {
    if (!srv) throw new Error("server not started");
    const c = await RawSmtp.connect(srv.ports.mx!);
    try {
      expect((await c.reply()).code).toBe(220);
      expect((await c.cmd("EHLO client.test")).text).toContain("STARTTLS");
      expect((await c.cmd("STARTTLS")).code).toBe(220);
      await c.startTls();
      expect((await c.cmd("EHLO client.test")).code).toBe(250);
      expect((await c.cmd("MAIL FROM:<bob@other.test>")).code).toBe(250);
      expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
      expect((await c.cmd("DATA")).code).toBe(354);
      expect((await c.cmd("Subject: deno-mx\r\n\r\nhello from Deno\r\n.")).code).toBe(250);
      expect((await c.cmd("QUIT")).code).toBe(221);
    } finally {
      c.close();
    }
  }, 20_000);

  test("submission: STARTTLS + AUTH PLAIN, then a message to alice", async () => {
    if (!srv) throw new Error("server not started");
    const c = await RawSmtp.connect(srv.ports.submission!);
    try {
      expect((await c.reply()).code).toBe(220);
      expect((await c.cmd("EHLO client.test")).code).toBe(250);
      expect((await c.cmd("STARTTLS")).code).toBe(220);
      await c.startTls();
      expect((await c.cmd("EHLO client.test")).text).toMatch(/AUTH [^\r]*PLAIN/);
      const plain = Buffer.from("\0alice@example.test\0alice-pw").toString("base64");
      expect((await c.cmd(`AUTH PLAIN ${plain}`)).code).toBe(235);
      expect((await c.cmd("MAIL FROM:<alice@example.test>")).code).toBe(250);
      expect((await c.cmd("RCPT TO:<alice@example.test>")).code).toBe(250);
      expect((await c.cmd("DATA")).code).toBe(354);
      expect((await c.cmd("Subject: deno-587\r\n\r\nsubmitted under Deno\r\n.")).code).toBe(250);
      expect((await c.cmd("QUIT")).code).toBe(221);
    } finally {
      c.close();
    }
  }, 20_000);

  test("SIGTERM drains and exits 0; Bun reads back what Deno stored", async () => {
    if (!srv) throw new Error("server not started");
    const s = srv;
    srv = null;
    const code = await stopDeno(s);
    expect(s.output()).toContain("hikyaku: stopped");
    expect(code).toBe(0);
    let db: Db | null = null;
    try {
      db = await openDb({ url: `file:${join(dir, "data", "hikyaku.db")}` });
      const bodies = await inboxBodies(db, "alice@example.test");
      const mx = bodies.find((b) => b.includes("Subject: deno-mx\r\n"));
      expect(mx).toBeDefined();
      expect(mx).toMatch(/^Return-Path: <bob@other\.test>\r\nReceived: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test \(Hikyaku\) with ESMTPS /);
      const sub = bodies.find((b) => b.includes("Subject: deno-587\r\n"));
      expect(sub).toContain("ESMTPSA");
    } finally {
      await db?.close();
    }
  }, 30_000);
});
