// `bun run bench outbound [--messages N] [--size BYTES] [--repeat R]`: N queued messages are
// delivered to Postfix's smtp-sink (a) by our queue worker and (b) by Postfix relaying to the
// same sink, in the same run; prints msgs/s for both and the ratio ours/postfix.
//
// Both clocks start with a full queue and stop when the queue is empty (every message
// acknowledged by the sink):
//   ours:    the server starts with N messages queued but held; the bench releases them all in
//            one UPDATE and polls the queue table until every recipient is delivered.
//   postfix: smtp-source injects N messages while `defer_transports = smtp` parks them; the
//            bench lifts that and reloads, then starts the clock, runs `postqueue -f` and polls the
//            spool until it is empty.

import { cpus, release, tmpdir, totalmem } from "node:os";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { openDb, type Db } from "../../src/db/client.ts";
import { bodyOp, hashBody } from "../../src/store/messages.ts";
import { enqueueOp } from "../../src/store/queue.ts";
import { parseMime } from "../../src/protocol/mime/parse.ts";
import { ensurePostfix } from "./postfix.ts";
import { startRelayPostfix } from "./outbound-postfix.ts";
import { startSink, type Sink } from "./sink.ts";
import { fmt, freePort, run, stopChild, waitForBanner, which } from "./proc.ts";

const ROOT = resolve(import.meta.dir, "../..");
type Params = { messages: number; size: number; repeat: number; timeoutMs: number };

const USAGE = `usage: bun run bench outbound [--messages N] [--size BYTES] [--repeat R] [--timeout SECONDS]
  --messages N      messages queued for each side (default 2000)
  --size BYTES      body size of each message (default 4096)
  --repeat R        run both sides R times, alternating, and print the median ratio (default 1)
  --timeout SECONDS bound on each side's run (default 300)`;

function parse(args: string[]): Params | string {
  const p: Params = { messages: 2000, size: 4096, repeat: 1, timeoutMs: 300_000 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const num = (min: number, max: number) => {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${a} needs an integer in ${min}..${max}`);
      return v;
    };
    try {
      if (a === "--messages" || a === "-m") p.messages = num(1, 200_000);
      else if (a === "--size" || a === "-s") p.size = num(1, 10 * 1024 * 1024);
      else if (a === "--repeat") p.repeat = num(1, 20);
      else if (a === "--timeout") p.timeoutMs = num(1, 3600) * 1000;
      else if (a === "--help" || a === "-h") return USAGE;
      else return `unknown flag ${a}\n${USAGE}`;
    } catch (e) {
      return `${(e as Error).message}\n${USAGE}`;
    }
  }
  return p;
}

const SENDER = "sender@bench.test";
// An address literal (RFC 5321 §4.1.3): no DNS on either side, the host is the sink.
const RCPT = "sink@[127.0.0.1]";

function message(i: number, size: number): Uint8Array {
  const line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n";
  const body = line.repeat(Math.ceil(size / line.length)).slice(0, size);
  return new TextEncoder().encode(
    `From: <${SENDER}>\r\nTo: <${RCPT}>\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}@bench.test>\r\n` +
      `Date: ${new Date().toUTCString()}\r\n\r\n${body}\r\n`,
  );
}

async function seed(db: Db, p: Params): Promise<void> {
  const CHUNK = 200;
  for (let start = 0; start < p.messages; start += CHUNK) {
    const ops: unknown[] = [];
    for (let i = start; i < Math.min(p.messages, start + CHUNK); i++) {
      const raw = message(i, p.size);
      const bodyHash = hashBody(raw);
      ops.push(...bodyOp({ bodyHash, raw, mimeJson: JSON.stringify(parseMime(raw)) }));
      ops.push(
        ...enqueueOp({
          id: `bench${String(i).padStart(7, "0")}`,
          bodyHash,
          mailFrom: SENDER,
          envid: null,
          ret: null,
          requiretls: false,
          smtputf8: false,
          bodyType: null,
          authUser: null,
          clientIp: null,
          recipients: [{ address: RCPT }],
        }),
      );
    }
    await db.writer.write(ops as never);
  }
  await db.client.execute("UPDATE queue_messages SET held = 1");
}

async function delivered(db: Db): Promise<number> {
  const r = await db.client.execute("SELECT COUNT(*) AS n FROM queue_recipients WHERE state = 'delivered'");
  return Number(r.rows[0].n);
}

async function runOurs(p: Params, dir: string, sink: Sink): Promise<{ ms: number; failed: number }> {
  const dataDir = join(dir, "data");
  mkdirSync(dataDir, { recursive: true });
  const dbUrl = `file:${join(dataDir, "hikyaku.db")}`;
  {
    const db = await openDb({ url: dbUrl });
    await seed(db, p);
    await db.close();
  }
  const configFile = join(dir, "hikyaku.config.ts");
  writeFileSync(
    configFile,
    `export default ${JSON.stringify({
      hostname: "ours.bench.test",
      listeners: [{ role: "mx", port: 0, tls: "none" }],
      // pollMs: how soon the worker notices the released queue (Postfix is told by postqueue -f).
      delivery: { port: sink.port, pollMs: 50 },
      log: { level: "warn", format: "json" },
    })};\n`,
  );
  const proc = Bun.spawn([process.execPath, "run", "src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, HIKYAKU_CONFIG: configFile, HIKYAKU_DATA: dataDir },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  let out = "";
  (async () => {
    const reader = proc.stdout.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
  })();
  const db = await openDb({ url: dbUrl });
  try {
    const ready = Date.now() + 30_000;
    while (!out.includes("hikyaku: ready") && Date.now() < ready && proc.exitCode === null) await Bun.sleep(20);
    if (!out.includes("hikyaku: ready")) throw new Error(`our server did not start:\n${out}\n${await new Response(proc.stderr).text()}`);
    const before = sink.received();
    const t0 = performance.now();
    await db.client.execute("UPDATE queue_messages SET held = 0");
    const deadline = Date.now() + p.timeoutMs;
    let n = 0;
    while ((n = await delivered(db)) < p.messages && Date.now() < deadline) await Bun.sleep(10);
    const ms = performance.now() - t0;
    if (n < p.messages) throw new Error(`ours delivered ${n}/${p.messages} within ${p.timeoutMs / 1000} s`);
    const got = sink.received() - before;
    if (got < p.messages) throw new Error(`the sink counted ${got} messages from ours, expected ${p.messages}`);
    const f = await db.client.execute("SELECT COUNT(*) AS n FROM queue_recipients WHERE state = 'failed'");
    return { ms, failed: Number(f.rows[0].n) };
  } finally {
    await db.close();
    await stopChild(proc, 15_000);
  }
}

async function runPostfix(p: Params, dir: string, sink: Sink): Promise<{ ms: number }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const pf = await startRelayPostfix(dir, port, sink.port);
  try {
    await waitForBanner(port);
    const src = await run(
      ["smtp-source", "-d", "-s", "10", "-m", String(p.messages), "-l", String(p.size), "-f", SENDER, "-t", "sink@sink.bench.test", `127.0.0.1:${port}`],
      { timeoutMs: p.timeoutMs },
    );
    if (src.code !== 0) throw new Error(`smtp-source into Postfix failed: ${src.stderr}`);
    // Wait until every message sits in the deferred queue (parked by defer_transports).
    const parked = Date.now() + p.timeoutMs;
    while (Date.now() < parked) {
      const r = await run(["sh", "-c", `find ${dir}/spool/deferred -type f | wc -l`]);
      if (Number(r.stdout.trim()) >= p.messages && pf.queued() === p.messages) break;
      await Bun.sleep(50);
    }
    await pf.unpark();
    // Parked messages wait for their retry time (minutes): nothing moves until the flush.
    await Bun.sleep(1000);
    if (pf.queued() < p.messages) throw new Error(`Postfix started delivering before the flush (${pf.queued()} left)`);
    const before = sink.received();
    const t0 = performance.now();
    await pf.flush();
    const deadline = Date.now() + p.timeoutMs;
    while (pf.queued() > 0 && Date.now() < deadline) await Bun.sleep(10);
    const ms = performance.now() - t0;
    if (pf.queued() > 0) throw new Error(`Postfix still has ${pf.queued()} queued after ${p.timeoutMs / 1000} s:\n${(await pf.log()).slice(-3000)}`);
    const got = sink.received() - before;
    if (got < p.messages) throw new Error(`the sink counted ${got} messages from Postfix, expected ${p.messages}:\n${(await pf.log()).slice(-2000)}`);
    return { ms };
  } finally {
    await pf.stop();
  }
}

export async function main(args: string[]): Promise<number> {
  const p = parse(args);
  if (typeof p === "string") {
    process.stdout.write(p + "\n");
    return p === USAGE ? 0 : 2;
  }
  await ensurePostfix();
  const out = (s: string) => process.stdout.write(s + "\n");
  const cpu = cpus();
  const postconf = await run(["postconf", "-d", "-h", "mail_version"]);
  out(`machine: ${cpu.length} cores (${cpu[0]?.model ?? "unknown cpu"}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, Linux ${release()}`);
  out(`software: Bun ${Bun.version}, Postfix ${postconf.stdout.trim() || "?"}, smtp-sink ${which("smtp-sink")}`);
  out(`parameters: ${p.messages} queued messages of ~${p.size} bytes, one recipient each, to one smtp-sink on loopback; default concurrency on both sides`);
  const root = mkdtempSync(join(tmpdir(), "hikyaku-bench-outbound-"));
  chmodSync(root, 0o755);
  const sink = await startSink(await freePort());
  try {
    await waitForBanner(sink.port);
    const ratios: number[] = [];
    for (let i = 0; i < p.repeat; i++) {
      const tag = p.repeat > 1 ? ` [${i + 1}/${p.repeat}]` : "";
      const o = await runOurs(p, join(root, `ours-${i}`), sink);
      out(`ours${tag}:    ${p.messages} delivered to the sink in ${fmt(o.ms / 1000, 2)} s = ${fmt((p.messages * 1000) / o.ms)} msgs/s${o.failed ? ` (${o.failed} failed!)` : ""}`);
      const f = await runPostfix(p, join(root, `postfix-${i}`), sink);
      out(`postfix${tag}: ${p.messages} delivered to the sink in ${fmt(f.ms / 1000, 2)} s = ${fmt((p.messages * 1000) / f.ms)} msgs/s`);
      ratios.push(f.ms / o.ms);
      out(`ratio ours/postfix${tag}: ${fmt(f.ms / o.ms, 2)}x`);
    }
    if (p.repeat > 1) {
      const s = [...ratios].sort((a, b) => a - b);
      out(`ratio ours/postfix, median of ${p.repeat}: ${fmt(s[Math.floor(s.length / 2)], 2)}x (min ${fmt(s[0], 2)}, max ${fmt(s.at(-1)!, 2)})`);
    }
    return 0;
  } finally {
    await sink.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
