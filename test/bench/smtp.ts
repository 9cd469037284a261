// `bun run bench smtp [--messages N] [--concurrency C] [--size BYTES]`: Postfix's smtp-source
// sends N messages over C connections to (a) our server with durable storage and (b) Postfix
// delivering to a Maildir, in the same run; prints msgs/s for both and the ratio ours/postfix.

import { cpus, release, tmpdir, totalmem } from "node:os";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/db/client.ts";
import { findAccount } from "../../src/store/accounts.ts";
import { findMailbox } from "../../src/store/messages.ts";
import { ensurePostfix, startPostfix } from "./postfix.ts";
import { startOurs, type FsyncCount, type WriterStatsLine } from "./ours.ts";
import { fmt, freePort, run, waitForBanner, which } from "./proc.ts";
import { costLine, dirs, pipelineSides } from "./smtp-pipeline.ts";

type Params = { messages: number; concurrency: number; size: number; reconnect: boolean; strace: boolean; timeoutMs: number; repeat: number; pipeline: boolean };

const USAGE = `usage: bun run bench smtp [--messages N] [--concurrency C] [--size BYTES] [--reconnect] [--no-strace] [--repeat R] [--timeout SECONDS]
  --messages N      messages to send to each server (default 2000)
  --concurrency C   parallel SMTP sessions, smtp-source -s (default 10)
  --size BYTES      message payload size, smtp-source -l (default 4096)
  --reconnect       a new connection per message (default: keep sessions open, smtp-source -d)
  --no-strace       do not count our server's fsyncs with strace
  --repeat R        run both sides R times, alternating, and print the median ratio (default 1)
  --timeout SECONDS bound on each side's run (default 300)
  --pipeline        instead of Postfix: ours with every trust handler off against ours with
                    the default MX pipeline + a DNSBL + rspamd (Knot DNS and rspamd on loopback)`;

function parse(args: string[]): Params | string {
  const p: Params = { messages: 2000, concurrency: 10, size: 4096, reconnect: false, strace: true, timeoutMs: 300_000, repeat: 1, pipeline: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const num = (min: number, max: number) => {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${a} needs an integer in ${min}..${max}`);
      return v;
    };
    try {
      if (a === "--messages" || a === "-m") p.messages = num(1, 1_000_000);
      else if (a === "--concurrency" || a === "-c") p.concurrency = num(1, 500);
      else if (a === "--size" || a === "-s") p.size = num(1, 20 * 1024 * 1024);
      else if (a === "--repeat") p.repeat = num(1, 20);
      else if (a === "--timeout") p.timeoutMs = num(1, 3600) * 1000;
      else if (a === "--reconnect") p.reconnect = true;
      else if (a === "--no-strace") p.strace = false;
      else if (a === "--pipeline") p.pipeline = true;
      else if (a === "--help" || a === "-h") return USAGE;
      else return `unknown flag ${a}\n${USAGE}`;
    } catch (e) {
      return `${(e as Error).message}\n${USAGE}`;
    }
  }
  return p;
}

function smtpSource(p: Params, rcpt: string, port: number): string[] {
  return [
    "smtp-source",
    ...(p.reconnect ? [] : ["-d"]),
    "-s", String(p.concurrency),
    "-m", String(p.messages),
    "-l", String(p.size),
    "-M", "client.bench.test",
    "-f", "sender@client.bench.test",
    "-t", rcpt,
    `127.0.0.1:${port}`,
  ];
}

function rate(n: number, ms: number): string {
  return `${fmt((n * 1000) / ms)} msgs/s`;
}

export async function main(args: string[]): Promise<number> {
  const p = parse(args);
  if (typeof p === "string") {
    process.stdout.write(p + "\n");
    return p === USAGE ? 0 : 2;
  }
  await ensurePostfix();
  const postconf = await run(["postconf", "-d", "-h", "mail_version"]);
  const cpu = cpus();
  const out = (s: string) => process.stdout.write(s + "\n");
  out(`machine: ${cpu.length} cores (${cpu[0]?.model ?? "unknown cpu"}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, Linux ${release()}, temp dirs in ${tmpdir()}`);
  out(`software: Bun ${Bun.version}, Postfix ${postconf.stdout.trim() || "?"}, smtp-source ${which("smtp-source")}`);
  out(
    `parameters: ${p.messages} messages of ${p.size} bytes payload, ${p.concurrency} concurrent sessions ` +
      `(${p.reconnect ? "a new connection per message" : "sessions kept open (smtp-source -d)"}), no pipelining, loopback`,
  );

  if (p.pipeline) return pipelineMain(p, out);
  const root = mkdtempSync(join(tmpdir(), "hikyaku-bench-smtp-"));
  // Postfix's daemons (user postfix, and virtual(8) as nobody) must traverse into it.
  chmodSync(root, 0o755);
  try {
    const ratios: number[] = [];
    for (let i = 0; i < p.repeat; i++) {
      const tag = p.repeat > 1 ? ` [${i + 1}/${p.repeat}]` : "";
      const o = await runOurs(p, join(root, `ours-${i}`));
      out(`ours${tag}:    ${p.messages} accepted (each 250 durable) in ${fmt(o.ms / 1000, 2)} s = ${rate(p.messages, o.ms)}; ${o.stored} in the INBOX`);
      if (o.stored !== p.messages) out(`ours:    WARNING: expected ${p.messages} stored messages, found ${o.stored}`);
      if (o.exitNote) out(o.exitNote);
      const f = await runPostfix(p, join(root, `postfix-${i}`));
      out(
        `postfix${tag}: ${p.messages} delivered to the Maildir in ${fmt(f.ms / 1000, 2)} s = ${rate(p.messages, f.ms)} ` +
          `(all 250s, i.e. queued, after ${fmt(f.acceptMs / 1000, 2)} s = ${rate(p.messages, f.acceptMs)})`,
      );
      ratios.push(f.ms / o.ms);
      out(`ratio ours/postfix${tag}: ${fmt(f.ms / o.ms, 2)}x (msgs/s, ours to the 250 vs Postfix to the Maildir)`);
      if (o.writer) {
        const w = o.writer;
        out(`ours writer${tag}: ${w.commits} commits, ${w.ops} ops, ${fmt(w.ops / Math.max(1, w.commits), 2)} ops per commit, largest group ${w.maxGroup}`);
      } else if (i === 0) {
        out("ours writer: stats not reported by the server (see parseWriterStats in test/bench/ours.ts)");
      }
      if (o.fsyncs) {
        const { total, wal, db } = o.fsyncs;
        // A commit is one WAL sync; a checkpoint adds one WAL sync and one db sync.
        out(
          `ours fsyncs during the load${tag} (strace): ${total} (WAL ${wal}, db ${db}) → ${fmt(p.messages / Math.max(1, total), 2)} messages per fsync, ` +
            `≈ ${fmt(p.messages / Math.max(1, wal - db), 2)} messages per commit`,
        );
      } else if (p.strace && i === 0) {
        out("ours fsyncs: strace not installed (apt-get install strace), not counted");
      }
    }
    if (p.repeat > 1) {
      const sorted = [...ratios].sort((a, b) => a - b);
      out(`ratio ours/postfix, median of ${p.repeat}: ${fmt(sorted[Math.floor(sorted.length / 2)], 2)}x (min ${fmt(sorted[0], 2)}, max ${fmt(sorted.at(-1)!, 2)})`);
    }
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

type OursRun = { ms: number; stored: number; writer: WriterStatsLine | null; fsyncs: FsyncCount | null; exitNote: string | null };

/** The clock runs from smtp-source's start to its exit (the last 250); each 250 is durable (DESIGN §4). */
async function pipelineMain(p: Params, out: (s: string) => void): Promise<number> {
  const sides = await pipelineSides();
  out(`pipeline: ${sides.describe}; sender sender@client.bench.test passes SPF and DMARC (p=reject), 127.0.0.1 has a matching PTR and is not listed`);
  const root = mkdtempSync(join(tmpdir(), "hikyaku-bench-pipeline-"));
  try {
    for (let i = 0; i < p.repeat; i++) {
      const tag = p.repeat > 1 ? ` [${i + 1}/${p.repeat}]` : "";
      const d = dirs(root, i);
      const bare = await runOurs(p, d.bare, sides.bare);
      out(`ours, no trust handlers${tag}: ${rate(p.messages, bare.ms)} (${bare.stored} stored)`);
      const full = await runOurs(p, d.full, sides.full);
      out(`ours, MX pipeline + DNSBL + rspamd${tag}: ${rate(p.messages, full.ms)} (${full.stored} stored)`);
      out(costLine(p.messages, bare.ms, full.ms) + tag);
      for (const line of await handlerTimes(join(d.full, "data", "hikyaku.db"))) out(`  ${line}`);
      if (bare.stored !== p.messages || full.stored !== p.messages) out("WARNING: not every message was stored");
    }
    return 0;
  } finally {
    await sides.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function runOurs(p: Params, dir: string, config?: Record<string, unknown>): Promise<OursRun> {
  const ours = await startOurs(dir, { concurrency: p.concurrency, strace: p.strace && !config, config });
  let ms = 0;
  let fsyncs: FsyncCount | null = null;
  let stopped: Awaited<ReturnType<typeof ours.stop>>;
  try {
    await waitForBanner(ours.port);
    const before = ours.fsyncs();
    const t0 = performance.now();
    const r = await run(smtpSource(p, ours.recipient, ours.port), { timeoutMs: p.timeoutMs });
    ms = performance.now() - t0;
    const after = ours.fsyncs();
    if (before && after) fsyncs = { total: after.total - before.total, wal: after.wal - before.wal, db: after.db - before.db };
    if (r.code !== 0) throw new Error(`smtp-source against ours failed (${r.code}): ${r.stderr.slice(-2000)}`);
  } finally {
    stopped = await ours.stop();
  }
  const exitNote = stopped.exitCode === 0 ? null : `ours: did not exit cleanly on SIGTERM (${stopped.exitCode}); last output:\n${stopped.output.slice(-1500)}`;
  const stored = await countStored(join(dir, "data", "hikyaku.db"), ours.recipient);
  return { ms, stored, writer: stopped.writer, fsyncs, exitNote };
}

/** The clock runs from smtp-source's start until every message is a file in the Maildir's new/. */
async function runPostfix(p: Params, dir: string): Promise<{ ms: number; acceptMs: number }> {
  const port = await freePort();
  const pf = await startPostfix(dir, port);
  try {
    await waitForBanner(port);
    let acceptMs = 0;
    const t0 = performance.now();
    const src = run(smtpSource(p, pf.recipient, port), { timeoutMs: p.timeoutMs }).then((r) => {
      acceptMs = performance.now() - t0;
      return r;
    });
    const deadline = Date.now() + p.timeoutMs;
    while (pf.delivered() < p.messages && Date.now() < deadline) await Bun.sleep(5);
    const ms = performance.now() - t0;
    const r = await src;
    if (r.code !== 0) throw new Error(`smtp-source against Postfix failed (${r.code}): ${r.stderr.slice(-2000)}`);
    const delivered = pf.delivered();
    if (delivered < p.messages) throw new Error(`Postfix delivered ${delivered}/${p.messages} within ${p.timeoutMs / 1000} s:\n${(await pf.log()).slice(-3000)}`);
    return { ms, acceptMs };
  } finally {
    await pf.stop();
  }
}

/** Mean and 95th-percentile run time per handler, from the stored trace of the run. */
async function handlerTimes(path: string): Promise<string[]> {
  const db = await openDb({ url: `file:${path}` });
  try {
    const r = await db.client.execute("SELECT event, handler, duration_ms AS d FROM traces WHERE handler NOT LIKE '<%' ORDER BY event, handler, duration_ms");
    const by = new Map<string, number[]>();
    for (const row of r.rows) {
      const k = `${row.event} ${row.handler}`;
      by.set(k, [...(by.get(k) ?? []), Number(row.d)]);
    }
    return [...by].map(([k, ds]) => `${k.padEnd(36)} mean ${fmt(ds.reduce((a, b) => a + b, 0) / ds.length, 2)} ms, p95 ${fmt(ds[Math.floor(ds.length * 0.95)] ?? 0, 2)} ms (${ds.length} runs)`);
  } finally {
    await db.close();
  }
}

async function countStored(path: string, address: string): Promise<number> {
  const db = await openDb({ url: `file:${path}` });
  try {
    const acct = await findAccount(db, address);
    const inbox = acct ? await findMailbox(db, acct.id, "INBOX") : null;
    if (!inbox) return 0;
    const r = await db.client.execute({ sql: "SELECT COUNT(*) AS n FROM mailbox_messages WHERE mailbox_id = ?", args: [inbox.id] });
    return Number(r.rows[0].n);
  } finally {
    await db.close();
  }
}
