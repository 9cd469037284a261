#!/usr/bin/env bun
// Per-operation cost for the IMAP bench's op types, one client, one op type at a time:
// server CPU per op (utime+stime of the server's processes from /proc, so other load on a
// shared machine does not count) and single-client latency, for our server and Dovecot.
// `bun test/bench/imap-opcost.ts [--messages M] [--iters N] [--no-dovecot] [--only OP,…] [--cpu-prof DIR]`

import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImapClient, applyCounts, type Tagged } from "./imap-client.ts";
import { BENCH_PASSWORD, SUBJECT_WORDS, appendMessage4k, rng, userName } from "./imap-corpus.ts";
import { OPS, cpuMsOf, type Op } from "./imap-load.ts";
import { prefillOurs, startOurImap } from "./imap-ours.ts";
import { descendants, ensureDovecot, prefillMaildirs, startDovecot } from "./dovecot.ts";
import { fmt, freePort } from "./proc.ts";

type Cost = { cpuMs: number; wallMs: number; n: number };

async function measure(port: number, pids: () => number[], iters: number, only: Set<string> | null): Promise<Record<string, Cost>> {
  const c = await ImapClient.connect(port);
  await c.login(userName(0), BENCH_PASSWORD);
  let exists = 0;
  const send = async (cmd: string | Uint8Array): Promise<Tagged> => {
    const t = await c.command(cmd, { timeoutMs: 60_000 });
    exists = applyCounts(t.untagged, exists);
    if (t.status !== "OK") throw new Error(`${typeof cmd === "string" ? cmd : "APPEND"}: ${t.status} ${t.text}`);
    return t;
  };
  await send("SELECT INBOX");
  await send("FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])");
  const r = rng(42);
  let appends = 0;
  const appended: number[] = [];
  const uidOf = (t: Tagged) => Number(/UID (\d+)/.exec(t.untagged.find((u) => / FETCH /.test(u.line))?.line ?? "")?.[1] ?? 0);
  const enc = new TextEncoder();
  const doAppend = async () => {
    const msg = appendMessage4k(userName(0), 0, appends++);
    const head = enc.encode(`APPEND INBOX (\\Seen) {${msg.length}+}\r\n`);
    const cmd = new Uint8Array(head.length + msg.length);
    cmd.set(head);
    cmd.set(msg, head.length);
    const t = await send(cmd);
    appended.push(Number(/\[APPENDUID \d+ (\d+)\]/i.exec(t.text)![1]));
  };
  const out: Record<string, Cost> = {};
  for (const op of OPS as readonly Op[]) {
    if (only && !only.has(op)) continue;
    // Per-op setup outside the measured window.
    const setup = async () => {
      if (op === "STORE +Seen") {
        const t = await send(`FETCH ${1 + Math.floor(r() * exists)} (UID)`);
        const u = uidOf(t);
        // Half the time the message is unseen first, as in the load where bodies get read.
        if (r() < 0.5) await send(`UID STORE ${u} -FLAGS.SILENT (\\Seen)`);
        return u;
      }
      if (op === "EXPUNGE") {
        if (appended.length === 0) await doAppend();
        return appended.shift()!;
      }
      return 0;
    };
    let cpu = 0;
    let wall = 0;
    for (let i = 0; i < iters; i++) {
      const arg = await setup();
      const p = pids();
      const c0 = cpuMsOf(p);
      const t0 = performance.now();
      switch (op) {
        case "SELECT":
          await send("SELECT INBOX");
          break;
        case "FETCH headers": {
          const a = 1 + Math.floor(r() * Math.max(1, exists - 49));
          await send(`FETCH ${a}:${Math.min(exists, a + 49)} (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])`);
          break;
        }
        case "FETCH body":
          await send(`FETCH ${1 + Math.floor(r() * exists)} (UID BODY.PEEK[])`);
          break;
        case "STORE +Seen":
          await send(`UID STORE ${arg} +FLAGS (\\Seen)`);
          break;
        case "SEARCH UNSEEN":
          await send("UID SEARCH UNSEEN");
          break;
        case "SEARCH SUBJECT":
          await send(`UID SEARCH SUBJECT ${SUBJECT_WORDS[Math.floor(r() * SUBJECT_WORDS.length)]}`);
          break;
        case "APPEND":
          await doAppend();
          break;
        case "EXPUNGE":
          await send(`UID STORE ${arg} +FLAGS.SILENT (\\Deleted)`);
          await send("EXPUNGE");
          break;
      }
      wall += performance.now() - t0;
      cpu += cpuMsOf(p) - c0;
    }
    out[op] = { cpuMs: cpu, wallMs: wall, n: iters };
  }
  await send("LOGOUT").catch(() => null);
  c.close();
  return out;
}

async function main(args: string[]): Promise<number> {
  let messages = 1000;
  let iters = 100;
  let dovecot = true;
  let only: Set<string> | null = null;
  let cpuProf: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--messages") messages = Number(args[++i]);
    else if (a === "--iters") iters = Number(args[++i]);
    else if (a === "--no-dovecot") dovecot = false;
    else if (a === "--only") only = new Set(args[++i].split(","));
    else if (a === "--cpu-prof") cpuProf = args[++i];
    else {
      process.stderr.write(`unknown flag ${a}\n`);
      return 2;
    }
  }
  const root = mkdtempSync(join(tmpdir(), "hikyaku-opcost-"));
  chmodSync(root, 0o755);
  try {
    mkdirSync(join(root, "ours"));
    await prefillOurs(join(root, "ours", "data"), 1, messages);
    const s = await startOurImap(join(root, "ours"), { maxConnections: 100, logLevel: "warn", cpuProfDir: cpuProf });
    let ours: Record<string, Cost>;
    try {
      ours = await measure(s.port, () => [s.pid], iters, only);
    } finally {
      await s.stop();
    }
    let dc: Record<string, Cost> | null = null;
    if (dovecot) {
      const version = await ensureDovecot();
      mkdirSync(join(root, "dovecot"));
      await prefillMaildirs(join(root, "dovecot"), 1, messages);
      const port = await freePort();
      const d = await startDovecot(join(root, "dovecot"), port, { version, maxConnections: 100 });
      try {
        dc = await measure(port, () => descendants(d.pid), iters, only);
      } finally {
        await d.stop();
      }
    }
    const line = (op: string, a: Cost, b: Cost | undefined) =>
      `${op.padEnd(15)} ${fmt(a.cpuMs / a.n, 2).padStart(9)} ${fmt(a.wallMs / a.n, 2).padStart(9)}` +
      (b ? ` ${fmt(b.cpuMs / b.n, 2).padStart(11)} ${fmt(b.wallMs / b.n, 2).padStart(11)} ${fmt(a.cpuMs / Math.max(b.cpuMs, 1), 1).padStart(7)}x` : "");
    process.stdout.write(`${messages} messages, ${iters} iterations per op, one client; CPU from /proc (10 ms ticks)\n`);
    process.stdout.write(`${"op".padEnd(15)} ${"cpu ms/op".padStart(9)} ${"wall ms".padStart(9)}${dc ? ` ${"dc cpu ms".padStart(11)} ${"dc wall ms".padStart(11)} ${"cpu ratio".padStart(8)}` : ""}\n`);
    let ta = 0;
    let tb = 0;
    for (const op of Object.keys(ours)) {
      process.stdout.write(line(op, ours[op], dc?.[op]) + "\n");
      ta += ours[op].cpuMs / ours[op].n;
      tb += dc ? dc[op].cpuMs / dc[op].n : 0;
    }
    process.stdout.write(`sum of per-op CPU: ours ${fmt(ta, 2)} ms${dc ? `, dovecot ${fmt(tb, 2)} ms` : ""}\n`);
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

process.exit(await main(process.argv.slice(2)));
