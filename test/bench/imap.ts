// `bun run bench imap [flags]`: (1) throughput — C clients run a mail client's command mix
// against (a) our server with durable storage and (b) Dovecot on Maildirs holding the same
// messages, in the same run: ops/s per operation and in total, and the ratio ours/dovecot;
// (2) idle memory — K connections SELECT and IDLE; server RSS before/after, KiB per connection.

import { cpus, release, tmpdir, totalmem } from "node:os";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { dovecotComplaints, ensureDovecot, prefillMaildirs, startDovecot } from "./dovecot.ts";
import { OPS, OP_COMMANDS, CYCLE, percentile, runLoad, type LoadResult, type Op } from "./imap-load.ts";
import { idleDovecot, idleOurs } from "./imap-idle-report.ts";
import { prefillOurs, startOurImap } from "./imap-ours.ts";
import { newestProfile, summarizeProfile } from "./imap-prof.ts";
import { fmt, freePort, run } from "./proc.ts";

export type Params = {
  clients: number;
  users: number;
  messages: number;
  durationMs: number;
  maxOps: number;
  commandTimeoutMs: number;
  load: boolean;
  idle: number;
  idleDovecot: number;
  idleAuth: "login" | "scram";
  idleMailbox: string;
  idleParallel: number;
  idleTimeoutMs: number;
  dovecot: boolean;
  cpuProf: string | null;
};

const USAGE = `usage: bun run bench imap [flags]
  --clients C         concurrent clients in the throughput run (default 20)
  --users U           accounts, each INBOX pre-filled (default: C); client i uses user i mod U
  --messages M        messages per INBOX before the run (default 1000, ~19 KiB average)
  --duration S        seconds of load per server (default 30)
  --ops N             stop each server's load after N ops in total (default 1000000)
  --cmd-timeout S     bound on one command (default 60)
  --no-load           skip the throughput run
  --idle K            idle connections for the memory figure (default 10000; 0 skips it)
  --idle-dovecot K    idle connections against Dovecot (default: min(K, 2000): one process each)
  --idle-auth A       scram (default) or login (our LOGIN runs scrypt, ~70 ms of CPU each)
  --idle-mailbox NAME mailbox the idle connections SELECT (default INBOX)
  --idle-parallel P   connections being set up at once (default 100)
  --idle-timeout S    bound on opening the idle connections, per server (default 600)
  --no-dovecot        our server only
  --cpu-prof DIR      profile our server during the throughput run (bun --cpu-prof into DIR, kept)
                      and print the functions with the most self time`;

function parse(args: string[]): Params | string {
  const p: Params = {
    clients: 20, users: 0, messages: 1000, durationMs: 30_000, maxOps: 1_000_000, commandTimeoutMs: 60_000, load: true,
    idle: 10_000, idleDovecot: -1, idleAuth: "scram", idleMailbox: "INBOX", idleParallel: 100, idleTimeoutMs: 600_000, dovecot: true, cpuProf: null,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const num = (min: number, max: number) => {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${a} needs an integer in ${min}..${max}`);
      return v;
    };
    try {
      if (a === "--clients" || a === "-c") p.clients = num(1, 2000);
      else if (a === "--users") p.users = num(1, 10_000);
      else if (a === "--messages" || a === "-m") p.messages = num(1, 100_000);
      else if (a === "--duration" || a === "-d") p.durationMs = num(1, 3600) * 1000;
      else if (a === "--ops") p.maxOps = num(1, 100_000_000);
      else if (a === "--cmd-timeout") p.commandTimeoutMs = num(1, 3600) * 1000;
      else if (a === "--no-load") p.load = false;
      else if (a === "--idle") p.idle = num(0, 60_000);
      else if (a === "--idle-dovecot") p.idleDovecot = num(0, 60_000);
      else if (a === "--idle-auth") {
        const v = args[++i];
        if (v !== "login" && v !== "scram") throw new Error("--idle-auth is login or scram");
        p.idleAuth = v;
      } else if (a === "--idle-mailbox") p.idleMailbox = args[++i] ?? "INBOX";
      else if (a === "--idle-parallel") p.idleParallel = num(1, 5000);
      else if (a === "--idle-timeout") p.idleTimeoutMs = num(1, 3600) * 1000;
      else if (a === "--no-dovecot") p.dovecot = false;
      else if (a === "--cpu-prof") {
        const d = args[++i];
        if (!d) throw new Error("--cpu-prof needs a directory");
        p.cpuProf = resolve(d);
      }
      else if (a === "--help" || a === "-h") return USAGE;
      else return `unknown flag ${a}\n${USAGE}`;
    } catch (e) {
      return `${(e as Error).message}\n${USAGE}`;
    }
  }
  if (p.users === 0) p.users = p.clients;
  if (p.idleDovecot < 0) p.idleDovecot = Math.min(p.idle, 2000);
  if (!p.dovecot) p.idleDovecot = 0;
  return p;
}

const out = (s: string) => process.stdout.write(s + "\n");
const mib = (k: number) => `${fmt(k / 1024, 1)} MiB`;

/** Room for K client sockets here and K server sockets in the children (they inherit it). */
async function raiseFdLimit(idle: number): Promise<string> {
  const want = Math.max(65_536, idle * 2 + 10_000);
  const r = await run(["prlimit", `--pid=${process.pid}`, `--nofile=${want}:${want}`]);
  const now = await run(["prlimit", `--pid=${process.pid}`, "--nofile", "--noheadings", "--output=SOFT"]);
  return r.code === 0 ? `${now.stdout.trim()}` : `unchanged (${r.stderr.trim() || "prlimit failed"}): ${now.stdout.trim()}`;
}

export async function main(args: string[]): Promise<number> {
  const p = parse(args);
  if (typeof p === "string") {
    out(p);
    return p === USAGE ? 0 : 2;
  }
  const dovecotVersion = p.dovecot ? await ensureDovecot() : null;
  const fdLimit = await raiseFdLimit(Math.max(p.idle, p.idleDovecot));
  const cpu = cpus();
  out(`machine: ${cpu.length} cores (${cpu[0]?.model ?? "unknown cpu"}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, Linux ${release()}, temp dirs in ${tmpdir()}, open files ${fdLimit}`);
  out(`software: Bun ${Bun.version}${dovecotVersion ? `, Dovecot ${dovecotVersion}` : ""}; client: test/bench/imap-client.ts (one command in flight per connection)`);

  const root = mkdtempSync(join(tmpdir(), "hikyaku-bench-imap-"));
  chmodSync(root, 0o755);
  try {
    const oursDir = join(root, "ours");
    const dcDir = join(root, "dovecot");
    mkdirSync(oursDir);
    mkdirSync(dcDir);
    let t = performance.now();
    const oursBytes = await prefillOurs(join(oursDir, "data"), p.users, p.messages);
    out(`prefill ours:    ${p.users} users × ${p.messages} messages (${mib(oursBytes / 1024)}) through the store (appendMessage, durable) in ${fmt((performance.now() - t) / 1000, 1)} s`);
    if (p.dovecot) {
      t = performance.now();
      const b = await prefillMaildirs(dcDir, p.users, p.messages);
      out(`prefill dovecot: the same messages as Maildir files (LF line ends, flags in the name, mtime = INTERNALDATE; ${mib(b / 1024)} as CRLF) in ${fmt((performance.now() - t) / 1000, 1)} s`);
    }
    const maxConn = Math.max(p.clients, p.idle) + 200;
    const dcMaxConn = Math.max(p.clients, p.idleDovecot) + 200;

    if (p.load) {
      out(
        `throughput parameters: ${p.clients} clients over ${p.users} users, cleartext LOGIN on loopback, ${fmt(p.durationMs / 1000)} s or ${fmt(p.maxOps)} ops per server; ` +
          `warm-up (untimed): SELECT INBOX + FETCH 1:* header fields per client`,
      );
      out(`  each client's cycle: ${CYCLE.join(", ")}`);
      for (const o of OPS) out(`    ${o.padEnd(15)} ${OP_COMMANDS[o]}`);
      const ours = await loadOurs(p, oursDir, maxConn);
      const dc = p.dovecot ? await loadDovecot(p, dcDir, dovecotVersion!, dcMaxConn) : null;
      printLoad(ours, dc);
    }

    if (p.idle > 0) {
      out(
        `idle parameters: ${fmt(p.idle)} connections (${p.idleAuth === "scram" ? "AUTHENTICATE SCRAM-SHA-256" : "LOGIN"}, SELECT ${p.idleMailbox}, IDLE), ` +
          `${p.idleParallel} set up at once, within ${fmt(p.idleTimeoutMs / 1000)} s; memory after a forced full GC (ours) or a 2 s settle (Dovecot)`,
      );
      await idleOurs(p, oursDir, maxConn);
      if (p.idleDovecot > 0) await idleDovecot(p, dcDir, dovecotVersion!, dcMaxConn);
    }
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// ---- throughput ----

async function loadOurs(p: Params, dir: string, maxConn: number): Promise<LoadResult> {
  if (p.cpuProf) mkdirSync(p.cpuProf, { recursive: true });
  const s = await startOurImap(dir, { maxConnections: maxConn, cpuProfDir: p.cpuProf ?? undefined });
  let r: LoadResult;
  try {
    r = await runLoad({ port: s.port, clients: p.clients, users: p.users, durationMs: p.durationMs, maxOps: p.maxOps, commandTimeoutMs: p.commandTimeoutMs, serverPids: () => [s.pid] });
  } finally {
    const st = await s.stop();
    const w = /writer stats commits=(\d+) ops=(\d+) maxGroup=(\d+) syncs=(\d+)/.exec(st.output);
    if (w) out(`ours writer (whole server life, prefill excluded): ${w[1]} commits, ${w[2]} ops, ${fmt(Number(w[2]) / Math.max(1, Number(w[1])), 2)} ops per commit, largest group ${w[3]}, ${w[4]} WAL fsyncs`);
    if (st.exitCode !== 0) out(`ours: did not exit cleanly on SIGTERM (${st.exitCode}); last output:\n${st.output.slice(-1500)}`);
  }
  if (p.cpuProf) {
    const f = newestProfile(p.cpuProf);
    if (!f) out(`ours CPU profile: none written to ${p.cpuProf}`);
    else {
      out(`ours CPU profile (whole server life incl. warm-up): ${f}; most self time:`);
      for (const l of summarizeProfile(f, 15)) out(`  ${l}`);
    }
  }
  return r;
}

async function loadDovecot(p: Params, dir: string, version: string, maxConn: number): Promise<LoadResult> {
  const port = await freePort();
  const d = await startDovecot(dir, port, { version, maxConnections: maxConn });
  try {
    return await runLoad({ port, clients: p.clients, users: p.users, durationMs: p.durationMs, maxOps: p.maxOps, commandTimeoutMs: p.commandTimeoutMs, serverPids: () => d.pids() });
  } finally {
    const code = await d.stop();
    const errs = dovecotComplaints(d.log());
    if (errs.length > 0) out(`dovecot log: ${errs.length} warning/error lines, e.g. ${[...new Set(errs.map((l) => l.replace(/^.*?: /, "")))].slice(0, 3).join(" | ")}`);
    if (code !== 0) out(`dovecot: master exited with ${code}`);
  }
}

function printLoad(ours: LoadResult, dc: LoadResult | null): void {
  const rate = (r: LoadResult, n: number) => (n * 1000) / r.elapsedMs;
  const lat = (s: { latencies: number[] }) => {
    const l = [...s.latencies].sort((a, b) => a - b);
    const mean = l.reduce((a, b) => a + b, 0) / Math.max(1, l.length);
    return { mean, p50: percentile(l, 0.5), p99: percentile(l, 0.99) };
  };
  const ms = (v: number) => (Number.isNaN(v) ? "-" : v < 10 ? fmt(v, 2) : fmt(v, 1));
  // Server CPU per op: less sensitive than ops/s to whatever else runs on a shared machine.
  const cpu = (r: LoadResult) =>
    r.serverCpuMs === null ? "" : `; server CPU ${fmt(r.serverCpuMs / 1000, 1)} s = ${fmt(r.serverCpuMs / Math.max(1, r.total), 2)} ms/op (${fmt((100 * r.serverCpuMs) / r.elapsedMs)} % of one core)`;
  out(`ours:    ${fmt(ours.total)} ops in ${fmt(ours.elapsedMs / 1000, 2)} s = ${fmt(rate(ours, ours.total))} ops/s (warm-up ${fmt(ours.warmupMs / 1000, 1)} s), ${ours.errors} errors${cpu(ours)}`);
  if (dc) out(`dovecot: ${fmt(dc.total)} ops in ${fmt(dc.elapsedMs / 1000, 2)} s = ${fmt(rate(dc, dc.total))} ops/s (warm-up ${fmt(dc.warmupMs / 1000, 1)} s), ${dc.errors} errors${cpu(dc)}`);
  out(
    `${"op".padEnd(15)} ${"ours ops/s".padStart(11)} ${dc ? "dovecot ops/s".padStart(14) : ""} ${dc ? "ratio".padStart(7) : ""}   ` +
      `${"ours ms mean/p50/p99".padStart(22)}${dc ? `   ${"dovecot ms mean/p50/p99".padStart(24)}` : ""}`,
  );
  for (const o of OPS as readonly Op[]) {
    const a = ours.ops[o];
    const b = dc?.ops[o];
    const la = lat(a);
    const lb = b ? lat(b) : null;
    const ra = rate(ours, a.count);
    const rb = dc && b ? rate(dc, b.count) : 0;
    out(
      `${o.padEnd(15)} ${fmt(ra).padStart(11)} ${dc ? fmt(rb).padStart(14) : ""} ${dc ? `${fmt(ra / rb, 2)}x`.padStart(7) : ""}   ` +
        `${`${ms(la.mean)}/${ms(la.p50)}/${ms(la.p99)}`.padStart(22)}${lb ? `   ${`${ms(lb.mean)}/${ms(lb.p50)}/${ms(lb.p99)}`.padStart(24)}` : ""}`,
    );
  }
  if (dc) {
    const r = rate(ours, ours.total) / rate(dc, dc.total);
    out(`${"total".padEnd(15)} ${fmt(rate(ours, ours.total)).padStart(11)} ${fmt(rate(dc, dc.total)).padStart(14)} ${`${fmt(r, 2)}x`.padStart(7)}`);
    out(`ratio ours/dovecot: ${fmt(r, 2)}x (ops/s of the whole mix; per op, ops/s follow the cycle's proportions, so compare latencies)`);
  }
  for (const [name, r] of [["ours", ours], ["dovecot", dc]] as const) {
    if (!r) continue;
    for (const o of OPS) if (r.ops[o].firstError) out(`${name} ${o}: ${r.ops[o].errors} errors, first: ${r.ops[o].firstError}`);
    for (const f of r.failedClients.slice(0, 5)) out(`${name}: ${f}`);
    if (r.loginRetries.length > 0) out(`${name}: ${r.loginRetries.length} LOGINs refused during setup and retried, first: ${r.loginRetries[0]}`);
  }
  out("durability: ours answers every APPEND/STORE/EXPUNGE only after its commit's WAL fdatasync (the barrier in src/db/wal-sync.ts); Dovecot fsyncs a saved message (mail_fsync=optimized) but not its index updates");
}
