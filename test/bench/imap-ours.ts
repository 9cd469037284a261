// Our server for the IMAP bench: a fresh temp data dir, U accounts made through the store,
// each INBOX pre-filled with the corpus by appendMessage (durable, as APPEND would), then
// test/bench/imap-serve.ts (createServer, as `bun run start`) on a port-0 cleartext `imap`
// listener with LOGIN allowed on loopback.

import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { openDb } from "../../src/db/client.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { appendMessage } from "../../src/store/imap-append.ts";
import { BENCH_DOMAIN, BENCH_PASSWORD, corpusMessage, userName } from "./imap-corpus.ts";
import type { GcReport } from "./imap-serve.ts";

const ROOT = resolve(import.meta.dir, "../..");

export type OurImap = {
  port: number;
  pid: number;
  /** Forces a full GC in the server (three rounds), then returns its heap figures. */
  gc(classes?: boolean): Promise<GcReport>;
  /** Bun.shrink() in the server: free heap and allocator pages go back to the OS. */
  shrink(): Promise<void>;
  /** Writes a V8-format heap snapshot of the server to `path` after a full GC. */
  snapshot(path: string): Promise<void>;
  stop(): Promise<{ exitCode: number | null; output: string }>;
};

/** Accounts and messages through the store; returns the bytes stored. */
export async function prefillOurs(dataDir: string, users: number, messages: number): Promise<number> {
  const db = await openDb({ url: `file:${join(dataDir, "hikyaku.db")}` });
  let bytes = 0;
  try {
    await addDomain(db, BENCH_DOMAIN);
    // scrypt per account: a few at a time.
    const ids: number[] = [];
    for (let u = 0; u < users; u += 8) {
      const batch = await Promise.all(Array.from({ length: Math.min(8, users - u) }, (_, k) => addAccount(db, userName(u + k), BENCH_PASSWORD)));
      ids.push(...batch.map((a) => a.id));
    }
    // Many appends in flight so the writer groups them; UIDs per mailbox follow call order
    // within a user because each user's messages go in one after the other.
    await Promise.all(
      ids.map(async (id, u) => {
        for (let i = 0; i < messages; i += 25) {
          const batch: Promise<unknown>[] = [];
          for (let k = i; k < Math.min(messages, i + 25); k++) {
            const m = corpusMessage(userName(u), u, k);
            bytes += m.raw.length;
            batch.push(appendMessage(db, id, "INBOX", m.raw, m.seen ? ["\\Seen"] : [], m.date));
          }
          await Promise.all(batch);
        }
      }),
    );
  } finally {
    await db.close();
  }
  return bytes;
}

export async function startOurImap(dir: string, opts: { maxConnections: number; logLevel?: "info" | "warn"; cpuProfDir?: string }): Promise<OurImap> {
  const dataDir = join(dir, "data");
  const configFile = join(dir, "hikyaku.config.ts");
  writeFileSync(
    configFile,
    `export default ${JSON.stringify(
      {
        hostname: "imap.bench.test",
        listeners: [{ role: "imap", port: 0, tls: "none" }],
        auth: { allowPlaintextOnLoopback: true },
        imap: { maxConnections: opts.maxConnections, maxConnectionsPerIp: opts.maxConnections },
        log: { level: opts.logLevel ?? "info", format: "json" },
      },
      null,
      2,
    )};\n`,
  );
  const stderrFile = join(dir, "server.err");
  const prof = opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const proc = Bun.spawn([process.execPath, "run", ...prof, "test/bench/imap-serve.ts"], {
    cwd: ROOT,
    env: { ...process.env, HIKYAKU_CONFIG: configFile, HIKYAKU_DATA: dataDir },
    stdout: "pipe",
    stderr: Bun.file(stderrFile),
    stdin: "pipe",
  });
  // stdout lines, read continuously; waiters pick the first line matching their prefix.
  let stdout = "";
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  const lines: string[] = [];
  void (async () => {
    const dec = new TextDecoder();
    let buf = "";
    const reader = proc.stdout.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const s = dec.decode(value);
      stdout += s;
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = waiters.findIndex((x) => line.startsWith(x.prefix));
        if (w >= 0) waiters.splice(w, 1)[0].resolve(line);
        else lines.push(line);
      }
    }
  })();
  const output = () => `${stdout.slice(-4000)}${safeRead(stderrFile).slice(-4000)}`;
  const deadline = Date.now() + 30_000;
  let port = 0;
  while (Date.now() < deadline && proc.exitCode === null) {
    const m = /hikyaku: imap listening on [^\s]+:(\d+)/.exec(stdout);
    if (m && stdout.includes("hikyaku: ready")) {
      port = Number(m[1]);
      break;
    }
    await Bun.sleep(50);
  }
  if (!port) {
    proc.kill(9);
    await proc.exited;
    throw new Error(`our server did not start:\n${output()}`);
  }
  return {
    port,
    pid: proc.pid,
    async gc(classes = false) {
      const got = new Promise<string>((resolve) => waiters.push({ prefix: "gc ", resolve }));
      proc.stdin.write(classes ? "gc classes\n" : "gc\n");
      proc.stdin.flush();
      const line = await Promise.race([got, Bun.sleep(120_000).then(() => null)]);
      if (line === null) throw new Error("our server did not answer the gc request");
      return JSON.parse(line.slice(3)) as GcReport;
    },
    async snapshot(path: string) {
      const got = new Promise<string>((resolve) => waiters.push({ prefix: "snapped", resolve }));
      proc.stdin.write(`snap ${path}\n`);
      proc.stdin.flush();
      await Promise.race([got, Bun.sleep(120_000)]);
    },
    async shrink() {
      const got = new Promise<string>((resolve) => waiters.push({ prefix: "shrunk", resolve }));
      proc.stdin.write("shrink\n");
      proc.stdin.flush();
      await Promise.race([got, Bun.sleep(60_000)]);
    },
    async stop() {
      proc.kill("SIGTERM");
      const exitCode = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => null)]);
      if (exitCode === null) {
        proc.kill(9);
        await proc.exited;
      }
      return { exitCode, output: output() };
    },
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
