// A real clamd (Debian clamav-daemon) on 127.0.0.1 for the ClamAV tests, with a clamd.conf
// and a signature database written here (no official databases, no freshclam):
//   hikyaku.hdb  md5:size:name of the EICAR test file (clamav "Creating signatures", .hdb);
//   hikyaku.ndb  a body signature for the token HIKYAKU-TEST-VIRUS (.ndb, target 0 = any file).
// Also the small process helpers (free port, spawn with a log file, stop by PID) the rspamd
// and spamd helpers share.

import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTools } from "./debian.ts";
import type { AnyHandler, HandlerContext } from "../../src/events/handler.ts";
import type { Verdict } from "../../src/events/verdict.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { silentLogger } from "../../src/log/logger.ts";

export const clamdTool = requireTools("clamav (clamd)", ["clamd"], "apt-get install clamav-daemon, or bash .ci/run");

/** The EICAR test file (https://www.eicar.org/download-anti-malware-testfile/), built from parts so this source is not itself "infected". */
export const EICAR = ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS", "-TEST-FILE!$H+H*"].join("");
export const VIRUS_TOKEN = "HIKYAKU-TEST-VIRUS";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export type Daemon = { pid: number; dir: string; log(): string; stop(): Promise<void> };

/**
 * Spawns `cmd` with stdout/stderr into `<dir>/daemon.log`, then polls `ready()` (bounded by
 * `timeoutMs`). stop() sends SIGTERM to that PID, SIGKILL after 10 s, and removes `dir`.
 */
export async function spawnDaemon(cmd: string[], dir: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<Daemon> {
  const logPath = join(dir, "daemon.log");
  const fd = openSync(logPath, "a");
  const proc = Bun.spawn(cmd, { cwd: dir, stdout: fd, stderr: fd, stdin: "ignore" });
  const log = () => {
    try {
      return readFileSync(logPath, "utf8");
    } catch {
      return "";
    }
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      process.kill(proc.pid, "SIGTERM");
      const t = setTimeout(() => proc.exitCode === null && process.kill(proc.pid, "SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      const text = log();
      await stop();
      throw new Error(`${cmd[0]} exited during start-up:\n${text.slice(-3000)}`);
    }
    if (await ready().catch(() => false)) return { pid: proc.pid, dir, log, stop };
    if (Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`${cmd[0]} not ready after ${timeoutMs} ms:\n${text.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A temp dir the daemon's unprivileged user can read (spamd drops to nobody). */
export function daemonDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Sends `zPING\0`; clamd answers "PONG". */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => s.write("zPING\0"));
    let got = "";
    s.setEncoding("latin1");
    s.on("data", (d: string) => {
      got += d;
      if (got.includes("\0")) {
        s.destroy();
        resolve(got.startsWith("PONG"));
      }
    });
    s.on("error", () => resolve(false));
    s.on("close", () => resolve(got.startsWith("PONG")));
  });
}

export type Clamd = Daemon & { port: number };

export async function startClamd(opts: { streamMaxLength?: string } = {}): Promise<Clamd> {
  const dir = daemonDir("hikyaku-clamd-");
  const db = join(dir, "db");
  mkdirSync(db);
  const md5 = createHash("md5").update(EICAR).digest("hex");
  writeFileSync(join(db, "hikyaku.hdb"), `${md5}:${EICAR.length}:Eicar-Test-Signature\n`);
  writeFileSync(join(db, "hikyaku.ndb"), `Hikyaku.Test.Token:0:*:${Buffer.from(VIRUS_TOKEN).toString("hex")}\n`);
  const port = await freePort();
  writeFileSync(
    join(dir, "clamd.conf"),
    [
      `TCPSocket ${port}`,
      "TCPAddr 127.0.0.1",
      `DatabaseDirectory ${db}`,
      "Foreground yes",
      `PidFile ${join(dir, "clamd.pid")}`,
      `StreamMaxLength ${opts.streamMaxLength ?? "1M"}`,
      "MaxThreads 2",
      "User root",
      "",
    ].join("\n"),
  );
  const d = await spawnDaemon([clamdTool.bin("clamd"), "-c", join(dir, "clamd.conf")], dir, () => ping(port));
  return { ...d, port };
}

// ── Shared by the scanner unit tests: one smtp.data payload and a handler context ──


/** A config whose trusted networks are empty (scanners skip trusted clients by default). */
export function scannerConfig(trustedNetworks: string[] = []): Config {
  return parseConfig({ hostname: "mx.example.test", trust: { trustedNetworks } });
}

export function testMessage(body: string, extraHeaders = ""): Uint8Array {
  return new TextEncoder().encode(`Received: from client.test\r\n${extraHeaders}From: <x@client.test>\r\nTo: <alice@example.test>\r\nSubject: test\r\nMessage-ID: <t@client.test>\r\n\r\n${body}\r\n`);
}

/** Runs one smtp.data handler the way the bus does (without its deadline). */
export async function runData(
  handlers: AnyHandler[],
  message: Uint8Array,
  opts: { remoteAddress?: string; authUser?: string; config?: Config } = {},
): Promise<{ verdict: Verdict; results: Map<string, unknown> }> {
  const h = handlers.find((x) => x.event === "smtp.data");
  if (!h || h.event !== "smtp.data") throw new Error("no smtp.data handler");
  const config = opts.config ?? scannerConfig();
  const results = new Map<string, unknown>();
  const ctx = { config, log: silentLogger, signal: new AbortController().signal, results, now: () => Date.now() } as unknown as HandlerContext;
  const payload = {
    session: {
      id: "s1", protocol: "smtp" as const, role: "mx" as const, remoteAddress: opts.remoteAddress ?? "192.0.2.25", remotePort: 40000,
      localAddress: "127.0.0.1", localPort: 25, tls: null, helo: "client.test", authUser: opts.authUser ?? null,
    },
    envelope: {
      transactionId: "tx-1", mailFrom: "x@client.test", mailParams: {},
      recipients: [
        { address: "alice@example.test", orcpt: null, notify: null, resolution: { kind: "unknown" as const } },
        { address: "bob@example.test", orcpt: null, notify: null, resolution: { kind: "unknown" as const } },
      ],
    },
    message,
  };
  return { verdict: (await h.handle(payload, ctx)) as Verdict, results };
}
