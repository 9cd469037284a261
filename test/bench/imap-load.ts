// The IMAP throughput load: C clients, each logged in (cleartext LOGIN on loopback) to its own
// user's INBOX, run a fixed cycle of a mail client's commands with seeded choices, so both
// servers see the same command stream. Bounded by a duration and a total op count.

import { readFileSync } from "node:fs";
import { ImapClient, ImapError, applyCounts, type Tagged } from "./imap-client.ts";
import { BENCH_PASSWORD, SUBJECT_WORDS, appendMessage4k, rng, userName } from "./imap-corpus.ts";

export const OPS = ["SELECT", "FETCH headers", "FETCH body", "STORE +Seen", "SEARCH UNSEEN", "SEARCH SUBJECT", "APPEND", "EXPUNGE"] as const;
export type Op = (typeof OPS)[number];

/** What each op sends (for the report). */
export const OP_COMMANDS: Record<Op, string> = {
  SELECT: "SELECT INBOX",
  "FETCH headers": "FETCH a:a+49 (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])",
  "FETCH body": "FETCH n (UID BODY.PEEK[])",
  "STORE +Seen": "UID STORE u +FLAGS (\\Seen)",
  "SEARCH UNSEEN": "UID SEARCH UNSEEN",
  "SEARCH SUBJECT": "UID SEARCH SUBJECT word",
  APPEND: "APPEND INBOX (\\Seen) {4096+} (LITERAL+)",
  EXPUNGE: "UID STORE u +FLAGS.SILENT (\\Deleted), then EXPUNGE (of a message this client appended)",
};

/** One client's cycle: reading dominates, every read body is then marked \Seen. */
export const CYCLE: readonly Op[] = [
  "SELECT", "FETCH headers", "FETCH body", "STORE +Seen", "FETCH body", "STORE +Seen", "SEARCH UNSEEN",
  "FETCH headers", "FETCH body", "STORE +Seen", "SEARCH SUBJECT", "APPEND", "EXPUNGE",
];

export type LoadParams = {
  port: number;
  clients: number;
  users: number;
  durationMs: number;
  maxOps: number;
  commandTimeoutMs: number;
  /** PIDs of the server's processes: their CPU time over the timed run is reported. */
  serverPids?: () => number[];
};

export type OpStats = { count: number; errors: number; latencies: number[]; firstError: string | null };

export type LoadResult = {
  elapsedMs: number;
  warmupMs: number;
  ops: Record<Op, OpStats>;
  total: number;
  errors: number;
  /** Clients that could not connect, log in or warm up, or that died during the run. */
  failedClients: string[];
  /** LOGINs answered NO during setup (then retried): concurrent password checks can time out. */
  loginRetries: string[];
  /** CPU time (user + system) of the server's processes during the timed run, ms; null if unknown. */
  serverCpuMs: number | null;
};

/** utime + stime of the processes, in ms (/proc/PID/stat, 100 ticks per second). */
export function cpuMsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks * 10;
}

const enc = new TextEncoder();

export async function runLoad(p: LoadParams): Promise<LoadResult> {
  const ops = Object.fromEntries(OPS.map((o) => [o, { count: 0, errors: 0, latencies: [], firstError: null } as OpStats])) as Record<Op, OpStats>;
  const failedClients: string[] = [];
  let done = 0;
  let stopAt = Infinity;
  let startedAt = 0;
  let release!: () => void;
  const go = new Promise<void>((r) => (release = r));
  const ready: Promise<ImapClient | null>[] = [];
  const loginRetries: string[] = [];
  const w0 = performance.now();
  // Logins a few at a time: they are setup, not load, and each costs our server a scrypt hash.
  let inLogin = 0;
  const loginQueue: (() => void)[] = [];
  const loginSlot = async () => {
    while (inLogin >= 4) await new Promise<void>((r) => loginQueue.push(r));
    inLogin++;
  };
  const loginDone = () => {
    inLogin--;
    loginQueue.shift()?.();
  };

  for (let i = 0; i < p.clients; i++) {
    const user = userName(i % p.users);
    ready.push(
      (async () => {
        try {
          const c = await ImapClient.connect(p.port, { timeoutMs: p.commandTimeoutMs });
          await loginSlot();
          try {
            for (let attempt = 1; ; attempt++) {
              try {
                await c.login(user, BENCH_PASSWORD);
                break;
              } catch (e) {
                if (attempt >= 3 || c.closed) throw e;
                loginRetries.push(`client ${i}: ${(e as Error).message}`);
              }
            }
          } finally {
            loginDone();
          }
          // Warm-up, untimed and the same for both servers: Dovecot builds its index and caches
          // the header fields here; ours warms SQLite's page cache.
          await c.ok("SELECT INBOX", { timeoutMs: p.commandTimeoutMs });
          await c.ok("FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])", { timeoutMs: p.commandTimeoutMs });
          return c;
        } catch (e) {
          failedClients.push(`client ${i} (${user}) before the run: ${(e as Error).message}`);
          return null;
        }
      })(),
    );
  }
  const clients = await Promise.all(ready);
  const warmupMs = performance.now() - w0;

  const loops = clients.map(async (c, i) => {
    if (!c) return;
    await go;
    const user = userName(i % p.users);
    const r = rng(1000 + i);
    let exists = 0;
    let lastUid = 0;
    let appended: number[] = [];
    let appends = 0;
    const literalPlus = c.capabilities.has("LITERAL+");
    const send = async (cmd: string | Uint8Array, onContinue?: (t: string) => string | Uint8Array): Promise<Tagged> => {
      const t = await c.command(cmd, { timeoutMs: p.commandTimeoutMs, onContinue });
      exists = applyCounts(t.untagged, exists);
      return t;
    };
    for (let step = 0; ; step++) {
      if (done >= p.maxOps || performance.now() >= stopAt || c.closed) break;
      const op = CYCLE[step % CYCLE.length];
      const s = ops[op];
      const t0 = performance.now();
      let res: Tagged | null = null;
      try {
        switch (op) {
          case "SELECT":
            res = await send("SELECT INBOX");
            break;
          case "FETCH headers": {
            const a = 1 + Math.floor(r() * Math.max(1, exists - 49));
            res = await send(`FETCH ${a}:${Math.min(exists, a + 49)} (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])`);
            break;
          }
          case "FETCH body": {
            const n = 1 + Math.floor(r() * exists);
            res = await send(`FETCH ${n} (UID BODY.PEEK[])`);
            const f = res.untagged.find((u) => /^\* \d+ FETCH /.test(u.line) && u.literals.length > 0);
            const m = f ? /UID (\d+)/.exec(f.line) : null;
            if (res.status === "OK" && (!m || f!.literals[0].length === 0)) throw new ImapError(`FETCH ${n} returned no body`);
            lastUid = m ? Number(m[1]) : 0;
            break;
          }
          case "STORE +Seen":
            res = await send(`UID STORE ${lastUid || "*"} +FLAGS (\\Seen)`);
            break;
          case "SEARCH UNSEEN":
            res = await send("UID SEARCH UNSEEN");
            break;
          case "SEARCH SUBJECT":
            res = await send(`UID SEARCH SUBJECT ${SUBJECT_WORDS[Math.floor(r() * SUBJECT_WORDS.length)]}`);
            break;
          case "APPEND": {
            const msg = appendMessage4k(user, i, appends++);
            if (literalPlus) {
              const head = enc.encode(`APPEND INBOX (\\Seen) {${msg.length}+}\r\n`);
              const cmd = new Uint8Array(head.length + msg.length);
              cmd.set(head);
              cmd.set(msg, head.length);
              res = await send(cmd);
            } else {
              const tail = new Uint8Array(msg.length + 2);
              tail.set(msg);
              tail.set([13, 10], msg.length);
              res = await send(`APPEND INBOX (\\Seen) {${msg.length}}`, () => tail);
            }
            const m = /\[APPENDUID \d+ (\d+)\]/i.exec(res.text);
            if (m) appended.push(Number(m[1]));
            else if (res.status === "OK") throw new ImapError("APPEND without APPENDUID");
            break;
          }
          case "EXPUNGE": {
            const uid = appended.shift();
            if (uid === undefined) throw new ImapError("nothing appended to expunge");
            res = await send(`UID STORE ${uid} +FLAGS.SILENT (\\Deleted)`);
            if (res.status === "OK") res = await send("EXPUNGE");
            break;
          }
        }
        if (res && res.status !== "OK") throw new ImapError(`${res.status} ${res.text}`);
        s.count++;
        s.latencies.push(performance.now() - t0);
      } catch (e) {
        s.errors++;
        s.firstError ??= (e as Error).message;
        if (c.closed) {
          failedClients.push(`client ${i} (${user}) died during the run: ${(e as Error).message}`);
          break;
        }
      }
      done++;
      if (appended.length > 16) appended = appended.slice(-16);
    }
  });

  const pids = p.serverPids?.() ?? null;
  const cpu0 = pids ? cpuMsOf(pids) : 0;
  startedAt = performance.now();
  stopAt = startedAt + p.durationMs;
  release();
  await Promise.all(loops);
  const elapsedMs = performance.now() - startedAt;
  const serverCpuMs = pids ? cpuMsOf(p.serverPids!()) - cpu0 : null;
  for (const c of clients) {
    if (!c || c.closed) continue;
    await Promise.race([c.command("LOGOUT", { timeoutMs: 5000 }).catch(() => null), Bun.sleep(5000)]);
    c.close();
  }
  let total = 0;
  let errors = 0;
  for (const o of OPS) {
    total += ops[o].count;
    errors += ops[o].errors;
  }
  return { elapsedMs, warmupMs, ops, total, errors, failedClients, loginRetries, serverCpuMs };
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
