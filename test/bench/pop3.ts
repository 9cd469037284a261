// `bun run bench pop3 [--users U] [--messages M] [--size BYTES] [--rounds R]`: U concurrent
// POP3 sessions (one per user) each RETR every one of M messages, against (a) our server and
// (b) Dovecot's POP3 on a Maildir holding the same users and messages, in the same run;
// prints MB/s and msgs/s for both and the ratio ours/dovecot.

import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import * as net from "node:net";
import { openDb } from "../../src/db/client.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { deliverOp, hashBody } from "../../src/store/messages.ts";
import { newQueueId } from "../../src/store/ids.ts";
import { parseMime } from "../../src/protocol/mime/parse.ts";
import { fmt, freePort, run, stopChild, which } from "./proc.ts";

const ROOT = resolve(import.meta.dir, "../..");
const DOMAIN = "bench.test";
/** Dovecot's mail processes run as nobody/nogroup; the Maildirs belong to them. */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

type Params = { users: number; messages: number; size: number; rounds: number; timeoutMs: number };

const USAGE = `usage: bun run bench pop3 [--users U] [--messages M] [--size BYTES] [--rounds R] [--timeout SECONDS]
  --users U        concurrent POP3 sessions, one user each (default 10)
  --messages M     messages per user, each RETR'd once per round (default 500)
  --size BYTES     approximate message size (default 32768)
  --rounds R       timed rounds after one untimed warm-up round (default 3)
  --timeout S      bound on each round (default 300)`;

function parse(args: string[]): Params | string {
  const p: Params = { users: 10, messages: 500, size: 32768, rounds: 3, timeoutMs: 300_000 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const num = (min: number, max: number) => {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${a} needs an integer in ${min}..${max}`);
      return v;
    };
    try {
      if (a === "--users" || a === "-u") p.users = num(1, 200);
      else if (a === "--messages" || a === "-m") p.messages = num(1, 100_000);
      else if (a === "--size" || a === "-s") p.size = num(200, 50 * 1024 * 1024);
      else if (a === "--rounds" || a === "-r") p.rounds = num(1, 20);
      else if (a === "--timeout") p.timeoutMs = num(1, 3600) * 1000;
      else if (a === "--help" || a === "-h") return USAGE;
      else return `unknown flag ${a}\n${USAGE}`;
    } catch (e) {
      return `${(e as Error).message}\n${USAGE}`;
    }
  }
  return p;
}

/** Deterministic text for message `i` of user `u`: CRLF lines, a few starting with ".". */
function message(u: number, i: number, size: number): string {
  const head = `From: sender@example.net\r\nTo: user${u}@${DOMAIN}\r\nSubject: bench ${u}/${i}\r\nMessage-ID: <${u}.${i}@example.net>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n`;
  const lines: string[] = [];
  let n = head.length;
  let x = (u * 100_003 + i * 7919) >>> 0;
  for (let l = 0; n < size; l++) {
    let s = "";
    for (let k = 0; k < 70; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      s += String.fromCharCode(97 + ((x >>> 16) % 26));
    }
    if (l % 50 === 7) s = "." + s.slice(1);
    lines.push(s + "\r\n");
    n += s.length + 2;
  }
  return head + lines.join("");
}

function userName(u: number): string {
  return `user${u}@${DOMAIN}`;
}

// ---- the client: one session per user, RETR 1..M one at a time, timed after login ----

type RoundResult = { ms: number; bytes: number; messages: number };

class BenchSession {
  #sock: net.Socket;
  #chunks: Buffer[] = [];
  #len = 0;
  #wake: (() => void) | null = null;
  #closed = false;
  constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.on("data", (d: Buffer) => {
      this.#chunks.push(d);
      this.#len += d.length;
      this.#wake?.();
    });
    sock.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    sock.on("error", () => {});
  }

  static connect(port: number): Promise<BenchSession> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => resolve(new BenchSession(s)));
      s.once("error", reject);
    });
  }

  async #until(done: (buf: Buffer) => number): Promise<Buffer> {
    for (;;) {
      const buf = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#len);
      this.#chunks = [buf];
      const end = done(buf);
      if (end >= 0) {
        const rest = buf.subarray(end);
        this.#chunks = rest.length ? [rest] : [];
        this.#len = rest.length;
        return buf.subarray(0, end);
      }
      if (this.#closed) throw new Error(`connection closed: ${buf.subarray(0, 200).toString("latin1")}`);
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = null;
    }
  }

  async line(): Promise<string> {
    const b = await this.#until((buf) => {
      const i = buf.indexOf("\r\n");
      return i < 0 ? -1 : i + 2;
    });
    return b.toString("latin1");
  }

  async cmd(c: string): Promise<string> {
    this.#sock.write(c + "\r\n");
    const l = await this.line();
    if (!l.startsWith("+OK")) throw new Error(`${c}: ${l}`);
    return l;
  }

  /** RETR n: the octets of the multi-line response (status line to final "."). */
  async retr(n: number): Promise<number> {
    this.#sock.write(`RETR ${n}\r\n`);
    const b = await this.#until((buf) => {
      if (buf.length >= 5 && buf[0] === 45) {
        const i = buf.indexOf("\r\n");
        return i < 0 ? -1 : i + 2;
      }
      // Only the tail can hold the terminator: search the last few KiB at most.
      const i = buf.indexOf("\r\n.\r\n", Math.max(0, buf.length - 65536));
      return i < 0 ? -1 : i + 5;
    });
    if (b[0] !== 43) throw new Error(`RETR ${n}: ${b.subarray(0, 100).toString("latin1")}`);
    return b.length;
  }

  close(): void {
    this.#sock.destroy();
  }
}

/**
 * One round: every session connects, logs in and STATs first (password hashing differs:
 * ours scrypt, the Dovecot side plain), then the clock runs over the RETRs only.
 */
async function round(port: number, p: Params): Promise<RoundResult> {
  let bytes = 0;
  let messages = 0;
  const sessions = await Promise.all(
    Array.from({ length: p.users }, async (_, u) => {
      const s = await BenchSession.connect(port);
      await s.line();
      await s.cmd(`USER ${userName(u)}`);
      await s.cmd(`PASS pw-${u}`);
      const n = Number((await s.cmd("STAT")).split(" ")[1]);
      if (n !== p.messages) throw new Error(`${userName(u)}: ${n} messages, expected ${p.messages}`);
      return s;
    }),
  );
  const t0 = performance.now();
  try {
    await Promise.all(
      sessions.map(async (s) => {
        for (let i = 1; i <= p.messages; i++) {
          const n = await s.retr(i);
          bytes += n;
          messages++;
        }
      }),
    );
    const ms = performance.now() - t0;
    await Promise.all(sessions.map((s) => s.cmd("QUIT")));
    return { ms, bytes, messages };
  } finally {
    for (const s of sessions) s.close();
  }
}

// ---- our server ----

async function startOurs(dir: string, p: Params): Promise<{ port: number; stop: () => Promise<number | null> }> {
  const dataDir = join(dir, "data");
  const db = await openDb({ url: `file:${join(dataDir, "hikyaku.db")}` });
  await addDomain(db, DOMAIN);
  for (let u = 0; u < p.users; u++) {
    await addAccount(db, userName(u), `pw-${u}`);
    const acct = (await findAccount(db, userName(u)))!;
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < p.messages; i++) {
      const raw = new TextEncoder().encode(message(u, i, p.size));
      ops.push(db.writer.write(deliverOp({ bodyHash: hashBody(raw), raw, mimeJson: JSON.stringify(parseMime(raw)), internalDate: Date.now(), queueId: newQueueId(), targets: [{ accountId: acct.id, mailbox: "INBOX" }] })));
      if (ops.length >= 200) await Promise.all(ops.splice(0));
    }
    await Promise.all(ops);
  }
  await db.close();
  const cfg = join(dir, "hikyaku.config.ts");
  writeFileSync(
    cfg,
    `export default ${JSON.stringify({
      hostname: "pop3.bench.test",
      listeners: [{ role: "pop3", port: 0, tls: "none" }],
      auth: { allowPlaintextOnLoopback: true },
      pop3: { maxConnectionsPerIp: Math.max(20, p.users * 2) },
      log: { level: "warn", format: "json" },
    })};\n`,
  );
  const out = join(dir, "server.out");
  // HIKYAKU_BENCH_PROF=DIR: a CPU profile of our server (markdown) is written there on exit.
  const prof = process.env.HIKYAKU_BENCH_PROF ? ["--cpu-prof-md", `--cpu-prof-dir=${process.env.HIKYAKU_BENCH_PROF}`] : [];
  const proc = Bun.spawn([process.execPath, "run", ...prof, "src/main.ts"], { cwd: ROOT, env: { ...process.env, HIKYAKU_CONFIG: cfg, HIKYAKU_DATA: dataDir }, stdout: Bun.file(out), stderr: Bun.file(join(dir, "server.err")), stdin: "ignore" });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const text = await Bun.file(out).text().catch(() => "");
    const m = /hikyaku: pop3 listening on [^\s]+:(\d+)/.exec(text);
    if (m && text.includes("hikyaku: ready")) return { port: Number(m[1]), stop: () => stopChild(proc, 15_000) };
    if (proc.exitCode !== null) break;
    await Bun.sleep(50);
  }
  proc.kill(9);
  throw new Error(`our server did not start: ${await Bun.file(join(dir, "server.err")).text().catch(() => "")}`);
}

// ---- Dovecot ----

async function ensureDovecot(): Promise<string> {
  const bin = which("dovecot");
  if (bin && (await Bun.file("/usr/lib/dovecot/pop3").exists())) return bin;
  const install = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-pop3d";
  if (process.getuid?.() !== 0 || !which("apt-get")) throw new Error(`Dovecot POP3 is not installed; as root run:\n  ${install}`);
  process.stdout.write("bench: installing dovecot-pop3d (Debian package)…\n");
  const r = await run(["sh", "-c", install], { timeoutMs: 10 * 60_000 });
  const again = which("dovecot");
  if (r.code !== 0 || !again) throw new Error(`installing dovecot-pop3d failed:\n${r.stderr.slice(-2000)}`);
  return again;
}

function dovecotConf(dir: string, port: number): string {
  return `# Generated by test/bench/pop3.ts: loopback only, POP3 only, no TLS (like our side).
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = ${MAIL_UID}
first_valid_gid = ${MAIL_GID}
mail_location = maildir:${dir}/mail/%u/Maildir
pop3_uidl_format = %08Xu%08Xv
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${dir}/mail/%u
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener pop3s {
    port = 0
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

async function startDovecot(dir: string, p: Params): Promise<{ port: number; version: string; stop: () => Promise<void> }> {
  const bin = await ensureDovecot();
  for (const d of ["run", "state", "mail"]) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(dir, 0o755);
  const users: string[] = [];
  for (let u = 0; u < p.users; u++) {
    users.push(`${userName(u)}:{PLAIN}pw-${u}`);
    const md = join(dir, "mail", userName(u), "Maildir");
    for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(md, sub), { recursive: true });
    for (let i = 0; i < p.messages; i++) {
      const text = message(u, i, p.size);
      // S= and W= (size and CRLF size) in the name: Dovecot need not read a file to size it.
      const vsize = text.length;
      const lf = text.replace(/\r\n/g, "\n");
      writeFileSync(join(md, "cur", `${1_700_000_000 + i}.M${i}P${u}.bench,S=${lf.length},W=${vsize}:2,`), lf);
    }
    await run(["chown", "-R", `${MAIL_UID}:${MAIL_GID}`, join(dir, "mail", userName(u))]);
  }
  chownSync(join(dir, "mail"), MAIL_UID, MAIL_GID);
  writeFileSync(join(dir, "users"), users.join("\n") + "\n", { mode: 0o644 });
  const port = await freePort();
  const conf = join(dir, "dovecot.conf");
  writeFileSync(conf, dovecotConf(dir, port), { mode: 0o644 });
  const version = (await run([bin, "--version"])).stdout.trim();
  const proc = Bun.spawn([bin, "-F", "-c", conf], { stdout: "ignore", stderr: Bun.file(join(dir, "dovecot.err")), stdin: "ignore" });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.once("data", (d) => {
          s.destroy();
          r(d.toString().startsWith("+OK"));
        });
      });
      s.on("error", () => r(false));
    });
    if (ok) return { port, version, stop: async () => void (await stopChild(proc, 10_000)) };
    if (proc.exitCode !== null) break;
    await Bun.sleep(100);
  }
  proc.kill(9);
  const log = (await Bun.file(join(dir, "dovecot.err")).text().catch(() => "")) + (await Bun.file(join(dir, "dovecot.log")).text().catch(() => ""));
  throw new Error(`dovecot did not start:\n${log.slice(-3000)}`);
}

// ---- main ----

function rates(r: RoundResult): string {
  return `${fmt(r.bytes / 1e6 / (r.ms / 1000), 1)} MB/s, ${fmt(r.messages / (r.ms / 1000))} msgs/s (${r.messages} RETR, ${fmt(r.bytes / 1e6, 1)} MB in ${fmt(r.ms / 1000, 2)} s)`;
}

async function measure(port: number, p: Params): Promise<RoundResult> {
  await round(port, p); // warm-up: page cache, Dovecot's index, our size cache
  const results: RoundResult[] = [];
  for (let i = 0; i < p.rounds; i++) results.push(await Promise.race([round(port, p), Bun.sleep(p.timeoutMs).then(() => Promise.reject(new Error("round timed out")))]));
  // The median round by time.
  return results.sort((a, b) => a.ms - b.ms)[Math.floor(results.length / 2)];
}

export async function main(args: string[]): Promise<number> {
  const p = parse(args);
  if (typeof p === "string") {
    process.stdout.write(p + "\n");
    return p === USAGE ? 0 : 2;
  }
  const out = (s: string) => process.stdout.write(s + "\n");
  const cpu = cpus();
  const root = mkdtempSync(join(tmpdir(), "hikyaku-bench-pop3-"));
  // Dovecot's auth and mail processes (users dovecot, nobody) must traverse into it.
  chmodSync(root, 0o755);
  try {
    await ensureDovecot();
    out(`machine: ${cpu.length} cores (${cpu[0]?.model ?? "unknown cpu"}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, Linux ${release()}`);
    out(`parameters: ${p.users} concurrent sessions (one user each) × ${p.messages} messages of ~${p.size} bytes, RETR one at a time (clock from the first RETR to the last), no TLS, loopback; median of ${p.rounds} rounds after a warm-up`);
    const ours = await startOurs(join(root, "ours"), p);
    let o: RoundResult;
    try {
      o = await measure(ours.port, p);
    } finally {
      await ours.stop();
    }
    out(`ours:    ${rates(o)}`);
    const dv = await startDovecot(join(root, "dovecot"), p);
    let d: RoundResult;
    try {
      d = await measure(dv.port, p);
    } finally {
      await dv.stop();
    }
    out(`dovecot: ${rates(d)} [Dovecot ${dv.version}, Maildir]`);
    if (o.bytes !== d.bytes) out(`note: octets differ (ours ${o.bytes}, dovecot ${d.bytes}): status-line text differs`);
    out(`ratio ours/dovecot: ${fmt(d.ms / o.ms, 2)}x (RETR throughput, same messages, same client)`);
    return 0;
  } finally {
    if (process.env.HIKYAKU_BENCH_KEEP) out(`bench: kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}
