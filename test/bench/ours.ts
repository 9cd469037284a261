// Our server for the SMTP bench: a fresh temp data dir with one domain and account made
// through the store, `bun run src/main.ts` on a port-0 MX listener, and (when strace exists)
// a count of the fsyncs it issues, so the bench can report messages per durable commit.

import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { openDb } from "../../src/db/client.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { stopChild, which } from "./proc.ts";

const ROOT = resolve(import.meta.dir, "../..");
export const OUR_DOMAIN = "bench.test";
export const OUR_ACCOUNT = `bench@${OUR_DOMAIN}`;

export type FsyncCount = { total: number; wal: number; db: number };
export type WriterStatsLine = { commits: number; ops: number; maxGroup: number };

export type OurServer = {
  port: number;
  recipient: string;
  /** fsync/fdatasync calls so far (null without strace); only lines already written count. */
  fsyncs(): FsyncCount | null;
  /** SIGTERM (drains, DESIGN §9) and waits; returns the writer stats if the server logged them. */
  stop(): Promise<{ exitCode: number | null; writer: WriterStatsLine | null; output: string }>;
};

export async function startOurs(dir: string, opts: { concurrency: number; strace: boolean; config?: Record<string, unknown> }): Promise<OurServer> {
  const dataDir = join(dir, "data");
  {
    const db = await openDb({ url: `file:${join(dataDir, "hikyaku.db")}` });
    await addDomain(db, OUR_DOMAIN);
    await addAccount(db, OUR_ACCOUNT, "bench-pw");
    await db.close();
  }
  const configFile = join(dir, "hikyaku.config.ts");
  writeFileSync(
    configFile,
    `export default ${JSON.stringify(
      {
        hostname: "mx.bench.test",
        listeners: [{ role: "mx", port: 0, tls: "none" }],
        limits: { maxConnectionsPerIp: Math.max(20, opts.concurrency * 2), maxConnections: Math.max(1000, opts.concurrency * 2) },
        log: { level: "info", format: "json" },
        ...opts.config,
      },
      null,
      2,
    )};\n`,
  );
  const traceFile = join(dir, "fsync.strace");
  const strace = opts.strace ? which("strace") : null;
  // --seccomp-bpf stops the tracee only on the traced calls, so the rest of the run is untouched.
  const prefix = strace ? [strace, "-f", "-qq", "--seccomp-bpf", "-y", "-e", "trace=fsync,fdatasync", "-e", "signal=none", "-o", traceFile] : [];
  const stdoutFile = join(dir, "server.out");
  const stderrFile = join(dir, "server.err");
  const proc = Bun.spawn([...prefix, process.execPath, "run", "src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, HIKYAKU_CONFIG: configFile, HIKYAKU_DATA: dataDir },
    stdout: Bun.file(stdoutFile),
    stderr: Bun.file(stderrFile),
    stdin: "ignore",
  });
  const output = () => `${safeRead(stdoutFile)}${safeRead(stderrFile).slice(-4000)}`;
  const deadline = Date.now() + 30_000;
  let port = 0;
  while (Date.now() < deadline) {
    const out = safeRead(stdoutFile);
    const m = /hikyaku: mx listening on [^\s]+:(\d+)/.exec(out);
    if (m && out.includes("hikyaku: ready")) {
      port = Number(m[1]);
      break;
    }
    if (proc.exitCode !== null) break;
    await Bun.sleep(50);
  }
  // With strace in front, proc is strace; the server is its child, and gets the SIGTERM.
  const serverPid = strace ? childOf(proc.pid) : proc.pid;
  if (!port || serverPid === null) {
    proc.kill(9);
    await proc.exited;
    throw new Error(`our server did not start:\n${output()}`);
  }
  return {
    port,
    recipient: OUR_ACCOUNT,
    fsyncs() {
      if (!strace) return null;
      const lines = safeRead(traceFile).split("\n").filter((l) => /\b(fsync|fdatasync)\(/.test(l));
      return {
        total: lines.length,
        wal: lines.filter((l) => /hikyaku\.db-wal>/.test(l)).length,
        db: lines.filter((l) => /hikyaku\.db>/.test(l)).length,
      };
    },
    async stop() {
      let exitCode: number | null;
      if (serverPid !== proc.pid) {
        process.kill(serverPid, "SIGTERM");
        exitCode = await Promise.race([proc.exited, Bun.sleep(15_000).then(() => null)]);
        if (exitCode === null) {
          process.kill(serverPid, "SIGKILL");
          await proc.exited;
        }
      } else {
        exitCode = await stopChild(proc, 15_000);
      }
      const out = output();
      return { exitCode, writer: parseWriterStats(out), output: out };
    },
  };
}

/**
 * The server does not report writer stats today; if it prints a line such as
 * `hikyaku: writer stats commits=N ops=N maxGroup=N` (or JSON with those keys) when it
 * drains on SIGTERM, the bench picks it up.
 */
function parseWriterStats(out: string): WriterStatsLine | null {
  const m = /writer stats\b[^\n]*?\bcommits\D+(\d+)[^\n]*?\bops\D+(\d+)[^\n]*?\bmaxGroup\D+(\d+)/.exec(out);
  return m ? { commits: Number(m[1]), ops: Number(m[2]), maxGroup: Number(m[3]) } : null;
}

function childOf(pid: number): number | null {
  for (let i = 0; i < 50; i++) {
    try {
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      if (kids.length > 0) return Number(kids[0]);
    } catch {
      return null;
    }
    Bun.sleepSync(10);
  }
  return null;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
