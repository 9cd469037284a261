// Crash durability (DESIGN §4): under concurrent SMTP load the server subprocess is killed
// with SIGKILL at random moments and restarted on the same data dir; afterwards every
// message that got a 250 to end-of-data must be in the INBOX exactly once, and the db whole.

import { afterAll, expect, test } from "bun:test";
import * as net from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDb } from "../../src/db/client.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount, findAccount } from "../../src/store/accounts.ts";
import { findMailbox, getBody, listMessages } from "../../src/store/messages.ts";

const ROOT = resolve(import.meta.dir, "../..");
const ROUNDS = 4;
const WORKERS = 8;
/** Per worker per round: a hard bound on the load loop besides the kill. */
const MAX_PER_WORKER = 400;
/** A round kills after at least this many 250s in it (or after KILL_WAIT_MAX_MS) … */
const MIN_ACKS_BEFORE_KILL = 40;
const KILL_WAIT_MAX_MS = 8000;
/** … plus a random extra delay, so the kill lands at an arbitrary point of a transaction. */
const KILL_JITTER_MS = 400;
const REPLY_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 15_000;

// Seeded so a failure can be replayed: HIKYAKU_DURABILITY_SEED=<printed seed>.
const seed = Number(process.env.HIKYAKU_DURABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
let rngState = seed >>> 0 || 1;
function rand(): number {
  // mulberry32
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A deliberately tiny SMTP client: one command at a time (no pipelining), raw replies. */
class TinySmtp {
  #sock: net.Socket;
  #buf = "";
  #closed = false;
  #wake: (() => void) | null = null;

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      this.#buf += d;
      this.#poke();
    });
    sock.on("close", () => {
      this.#closed = true;
      this.#poke();
    });
    sock.on("error", () => {});
  }

  #poke(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  static connect(port: number): Promise<TinySmtp> {
    return new Promise((res, rej) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => res(new TinySmtp(s)));
      s.once("error", rej);
    });
  }

  /** The code of the next complete reply (multi-line aware); throws on close or timeout. */
  async reply(): Promise<number> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3})(?: [^\n]*)?\r\n/.exec(this.#buf);
      if (m) {
        this.#buf = this.#buf.slice(m[0].length);
        return Number(m[1]);
      }
      if (this.#closed) throw new Error("connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("reply timeout");
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  send(s: string): void {
    this.#sock.write(s);
  }

  async cmd(line: string): Promise<number> {
    this.send(line + "\r\n");
    return this.reply();
  }

  close(): void {
    this.#sock.destroy();
  }
}

type Server = { proc: ReturnType<typeof Bun.spawn>; port: number; log: () => string };

async function startServer(configFile: string, dataDir: string): Promise<Server> {
  const proc = Bun.spawn([process.execPath, "run", "src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, HIKYAKU_CONFIG: configFile, HIKYAKU_DATA: dataDir },
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  void (async () => {
    const r = (proc.stderr as ReadableStream<Uint8Array>).getReader();
    const d = new TextDecoder();
    for (;;) {
      const c = await r.read().catch(() => ({ done: true as const, value: undefined }));
      if (c.done) return;
      err = (err + d.decode(c.value)).slice(-8000);
    }
  })();
  const log = () => `stdout:\n${out}\nstderr:\n${err}`;
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!out.includes("hikyaku: ready")) {
    const left = deadline - Date.now();
    const r = left > 0 ? await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]) : null;
    if (!r || r.done) {
      proc.kill(9);
      throw new Error(`server did not become ready\n${log()}`);
    }
    out += dec.decode(r.value);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  void (async () => {
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (r.done) return;
      out = (out + dec.decode(r.value)).slice(-8000);
    }
  })();
  const m = /hikyaku: mx listening on [^\s]+:(\d+)/.exec(out);
  if (!m) throw new Error(`no mx listener line\n${log()}`);
  return { proc, port: Number(m[1]), log };
}

type TokenState = "inflight" | "acked" | "rejected";

function message(token: string): string {
  const filler = Array.from({ length: 12 }, (_, i) => `line ${i} of ${token} lorem ipsum dolor sit amet consectetur`).join("\r\n");
  return (
    `From: <load@client.test>\r\nTo: <alice@example.test>\r\nSubject: durability ${token}\r\n` +
    `Message-ID: <${token}@client.test>\r\nDate: ${new Date().toUTCString().replace("GMT", "+0000")}\r\n\r\n` +
    `${filler}\r\n`
  );
}

/** One connection's load loop for one round; ends when the server goes away or the cap is hit. */
async function worker(port: number, round: number, id: number, tokens: Map<string, TokenState>, alive: () => boolean): Promise<void> {
  let seq = 0;
  let reconnects = 0;
  while (alive() && seq < MAX_PER_WORKER && reconnects < 5) {
    let c: TinySmtp;
    try {
      c = await TinySmtp.connect(port);
    } catch {
      reconnects++;
      continue;
    }
    try {
      if ((await c.reply()) !== 220) throw new Error("no banner");
      if ((await c.cmd("EHLO load.client.test")) !== 250) throw new Error("EHLO refused");
      while (alive() && seq < MAX_PER_WORKER) {
        const token = `r${round}w${id}s${seq++}x${Math.floor(rand() * 1e9).toString(36)}`;
        if ((await c.cmd("MAIL FROM:<load@client.test>")) !== 250) throw new Error("MAIL refused");
        if ((await c.cmd("RCPT TO:<alice@example.test>")) !== 250) throw new Error("RCPT refused");
        if ((await c.cmd("DATA")) !== 354) throw new Error("DATA refused");
        // From here on the server may have the whole message: its fate is unknown until a reply.
        tokens.set(token, "inflight");
        c.send(message(token) + ".\r\n");
        const code = await c.reply();
        tokens.set(token, code === 250 ? "acked" : "rejected");
      }
      await c.cmd("QUIT").catch(() => 0);
    } catch {
      reconnects++;
    } finally {
      c.close();
    }
  }
}

test(
  "every 250-acknowledged message survives kill -9 exactly once; the db stays whole",
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hikyaku-dur-data-"));
    const cfgDir = mkdtempSync(join(tmpdir(), "hikyaku-dur-cfg-"));
    dirs.push(dataDir, cfgDir);
    const dbUrl = `file:${join(dataDir, "hikyaku.db")}`;
    {
      const db = await openDb({ url: dbUrl });
      await addDomain(db, "example.test");
      await addAccount(db, "alice@example.test", "alice-pw");
      await db.close();
    }
    const configFile = join(cfgDir, "hikyaku.config.ts");
    writeFileSync(
      configFile,
      `export default ${JSON.stringify({
        hostname: "mx.example.test",
        listeners: [{ role: "mx", port: 0, tls: "none" }],
        limits: { maxConnectionsPerIp: 100 },
        log: { level: "warn", format: "json" },
      })};\n`,
    );

    const tokens = new Map<string, TokenState>();
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startServer(configFile, dataDir);
      let up = true;
      const alive = () => up;
      const count = (state: TokenState) => [...tokens.values()].filter((s) => s === state).length;
      const acksBefore = count("acked");
      const inflightBefore = count("inflight");
      const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(server.port, round, w, tokens, alive)));
      const waitUntil = Date.now() + KILL_WAIT_MAX_MS;
      while (Date.now() < waitUntil && count("acked") - acksBefore < MIN_ACKS_BEFORE_KILL) {
        await Bun.sleep(10);
      }
      await Bun.sleep(Math.floor(rand() * KILL_JITTER_MS));
      server.proc.kill(9);
      const code = await server.proc.exited;
      up = false;
      await load;
      // Still "inflight" = end-of-data sent, reply cut off by the kill.
      console.log(
        `durability round ${round}: SIGKILL (${server.proc.signalCode ?? code}); ${count("acked") - acksBefore} acknowledged, ` +
          `${count("inflight") - inflightBefore} awaiting a reply at the kill`,
      );
      expect(server.proc.signalCode).toBe("SIGKILL");
      expect(count("acked") - acksBefore).toBeGreaterThan(0);
    }

    // The last round ended with kill -9 too: opening the db is the crash recovery under test.
    const db = await openDb({ url: dbUrl });
    try {
      const integrity = await db.client.execute("PRAGMA integrity_check");
      expect(integrity.rows.map((r) => String(r[0]))).toEqual(["ok"]);
      const fk = await db.client.execute("PRAGMA foreign_key_check");
      expect(fk.rows.length).toBe(0);
      const orphanEntries = await db.client.execute(
        "SELECT COUNT(*) AS n FROM mailbox_messages m LEFT JOIN bodies b ON b.hash = m.body_hash WHERE b.hash IS NULL",
      );
      expect(Number(orphanEntries.rows[0].n)).toBe(0);
      const orphanRcpts = await db.client.execute(
        "SELECT COUNT(*) AS n FROM queue_recipients r LEFT JOIN queue_messages q ON q.id = r.queue_id WHERE q.id IS NULL",
      );
      expect(Number(orphanRcpts.rows[0].n)).toBe(0);
      const orphanQueue = await db.client.execute(
        "SELECT COUNT(*) AS n FROM queue_messages q LEFT JOIN bodies b ON b.hash = q.body_hash WHERE b.hash IS NULL",
      );
      expect(Number(orphanQueue.rows[0].n)).toBe(0);

      const alice = await findAccount(db, "alice@example.test");
      const inbox = await findMailbox(db, alice!.id, "INBOX");
      expect(inbox).not.toBeNull();
      const msgs = await listMessages(db, inbox!.id);

      // UIDs: unique, below uid_next, and increasing in insertion (commit) order.
      const byId = [...msgs].sort((a, b) => a.id - b.id);
      for (let i = 1; i < byId.length; i++) expect(byId[i].uid).toBeGreaterThan(byId[i - 1].uid);
      expect(new Set(msgs.map((m) => m.uid)).size).toBe(msgs.length);
      if (msgs.length > 0) expect(inbox!.uidNext).toBeGreaterThan(Math.max(...msgs.map((m) => m.uid)));

      const seen = new Map<string, number>();
      for (const m of msgs) {
        const body = await getBody(db, m.bodyHash);
        expect(body).not.toBeNull();
        expect(body!.size).toBe(m.size);
        const text = new TextDecoder().decode(body!.content);
        const token = /^Subject: durability (\S+)\r$/m.exec(text)?.[1];
        expect(token).toBeDefined();
        // A stored body is the whole message, never a torn prefix.
        expect(text.endsWith(`line 11 of ${token} lorem ipsum dolor sit amet consectetur\r\n`)).toBe(true);
        seen.set(token!, (seen.get(token!) ?? 0) + 1);
      }

      const acked = [...tokens].filter(([, s]) => s === "acked").map(([t]) => t);
      const inflight = [...tokens].filter(([, s]) => s === "inflight").map(([t]) => t);
      const rejected = [...tokens].filter(([, s]) => s === "rejected").length;
      const missing = acked.filter((t) => !seen.has(t));
      const duplicated = [...seen].filter(([, n]) => n > 1).map(([t]) => t);
      const unknown = [...seen.keys()].filter((t) => !tokens.has(t));
      const inflightStored = inflight.filter((t) => seen.has(t)).length;
      console.log(
        `durability (seed ${seed}): ${ROUNDS} kills; acknowledged ${acked.length}, stored ${msgs.length}, ` +
          `in-flight at kill ${inflight.length} (of which stored ${inflightStored}), rejected ${rejected}`,
      );
      expect(missing).toEqual([]);
      expect(duplicated).toEqual([]);
      // Nothing is stored that never reached end-of-data.
      expect(unknown).toEqual([]);
      expect(rejected).toBe(0);
      expect(msgs.length).toBe(acked.length + inflightStored);
    } finally {
      await db.close();
    }
  },
  60_000,
);
