// The idle-memory half of `bun run bench imap`: K connections authenticate, SELECT and IDLE;
// our server's RSS after a forced GC at each step, live JS objects by class, and Dovecot's
// summed PSS over its processes (one per connection) for the same kind of connection.

import { closeIdle, openIdle, type IdleStage } from "./imap-idle.ts";
import { procMem, treeMem, type TreeMem } from "./imap-mem.ts";
import { startOurImap, type OurImap } from "./imap-ours.ts";
import type { GcReport } from "./imap-serve.ts";
import { dovecotComplaints, startDovecot } from "./dovecot.ts";
import type { Params } from "./imap.ts";
import { fmt, freePort } from "./proc.ts";

const out = (s: string) => process.stdout.write(s + "\n");
const kib = (n: number) => `${fmt(n, 1)} KiB`;
const mib = (k: number) => `${fmt(k / 1024, 1)} MiB`;

type Snap = { stage: string; open: number; rssKiB: number; anonKiB: number; gc: GcReport };

async function snap(s: OurImap, stage: string, open: number): Promise<Snap> {
  const gc = await s.gc();
  const m = procMem(s.pid);
  return { stage, open, rssKiB: m.rssKiB, anonKiB: m.anonKiB, gc };
}

export async function idleOurs(p: Params, dir: string, maxConn: number): Promise<void> {
  // A fresh process on the same data: only the idle connections count against the baseline.
  const s = await startOurImap(dir, { maxConnections: maxConn, logLevel: "warn" });
  const deadline = Date.now() + p.idleTimeoutMs;
  try {
    // Warm-up: a few connections through every step (code paths compiled, pools and caches sized).
    const warm = await openIdle({ port: s.port, count: Math.min(200, p.idle), users: p.users, auth: p.idleAuth, mailbox: p.idleMailbox, parallel: p.idleParallel, deadline, staged: false });
    await closeIdle(warm.clients);
    await Bun.sleep(1000);
    const base = await snap(s, "baseline", 0);
    const snaps: Snap[] = [base];
    const t0 = performance.now();
    const res = await openIdle({
      port: s.port, count: p.idle, users: p.users, auth: p.idleAuth, mailbox: p.idleMailbox, parallel: p.idleParallel, deadline, staged: true,
      onStage: async (stage: IdleStage, open: number) => {
        snaps.push(await snap(s, stage, open));
      },
    });
    const openMs = performance.now() - t0;
    const last = snaps.at(-1)!;
    const n = Math.max(1, last.open);
    out(
      `ours:    ${fmt(last.open)} idle connections open (${res.failed} failed${res.firstError ? `, first: ${res.firstError}` : ""}) in ${fmt(openMs / 1000, 1)} s; ` +
        `RSS ${mib(base.rssKiB)} → ${mib(last.rssKiB)} = ${kib((last.rssKiB - base.rssKiB) / n)} per idle connection ` +
        `(anonymous ${kib((last.anonKiB - base.anonKiB) / n)}, JS heap ${kib((last.gc.heapSize - base.gc.heapSize) / 1024 / n)})`,
    );
    out(`ours:    target < 16 KiB per idle connection: ${(last.rssKiB - base.rssKiB) / n < 16 ? "met" : "NOT met"}`);
    out("ours:    by step (each connection through one step before any takes the next; deltas per connection open at that step):");
    for (let i = 1; i < snaps.length; i++) {
      const a = snaps[i - 1];
      const b = snaps[i];
      const k = Math.max(1, b.open);
      out(
        `  ${b.stage.padEnd(14)} ${fmt(b.open).padStart(6)} open  RSS ${mib(b.rssKiB).padStart(10)}  +${kib((b.rssKiB - a.rssKiB) / k).padStart(10)}  ` +
          `JS heap live +${kib((b.gc.heapSize - a.gc.heapSize) / 1024 / k).padStart(9)}, held +${kib((b.gc.heapCapacity - a.gc.heapCapacity) / 1024 / k).padStart(9)}  ` +
          `JS objects +${fmt((b.gc.objectCount - a.gc.objectCount) / k, 1).padStart(5)}  external +${kib((b.gc.memory.external - a.gc.memory.external) / 1024 / k)}`,
      );
    }
    await s.shrink();
    const shrunk = procMem(s.pid);
    out(
      `ours:    after Bun.shrink() (free JS heap and allocator pages returned): RSS ${mib(shrunk.rssKiB)} = ${kib((shrunk.rssKiB - base.rssKiB) / n)} per idle connection ` +
        `over the same baseline (what the connections keep; the rest was free memory the process held)`,
    );
    // Live JS objects by class: a heap snapshot with the connections idling and another once they
    // are closed (both after the RSS figures above, so the snapshots' own garbage cannot skew them).
    const withConns = (await s.gc(true)).classes ?? {};
    await closeIdle(res.clients);
    await Bun.sleep(2000);
    await s.gc();
    const after = procMem(s.pid);
    const closed = await s.gc(true);
    const names = new Set([...Object.keys(withConns), ...Object.keys(closed.classes ?? {})]);
    const per = [...names]
      .map((c) => {
        const a = withConns[c] ?? { count: 0, bytes: 0 };
        const b = closed.classes?.[c] ?? { count: 0, bytes: 0 };
        return { c, count: (a.count - b.count) / n, bytes: (a.bytes - b.bytes) / n };
      })
      .filter((x) => x.bytes >= 8)
      .sort((x, y) => y.bytes - x.bytes);
    const sum = per.reduce((a, x) => a + x.bytes, 0);
    out(`ours:    live JS objects per idle connection (heap snapshots, idling minus closed): ${kib(sum / 1024)} in ${fmt(per.reduce((a, x) => a + x.count, 0), 1)} objects; largest classes:`);
    for (let i = 0; i < Math.min(per.length, 24); i += 4) {
      out(`  ${per.slice(i, i + 4).map((x) => `${x.c} ${fmt(x.count, 1)}× ${fmt(x.bytes)} B`.padEnd(38)).join("")}`);
    }
    out(`ours:    after closing them all: RSS ${mib(after.rssKiB)} (baseline ${mib(base.rssKiB)}), JS heap ${mib(closed.heapSize / 1024)} (baseline ${mib(base.gc.heapSize / 1024)})`);
  } finally {
    const st = await s.stop();
    if (st.exitCode !== 0) out(`ours: did not exit cleanly on SIGTERM (${st.exitCode}); last output:\n${st.output.slice(-1500)}`);
  }
}

export async function idleDovecot(p: Params, dir: string, version: string, maxConn: number): Promise<void> {
  const port = await freePort();
  const d = await startDovecot(dir, port, { version, maxConnections: maxConn });
  const deadline = Date.now() + p.idleTimeoutMs;
  const settle = async (): Promise<TreeMem> => {
    await Bun.sleep(2000);
    return treeMem(d.pids());
  };
  try {
    const warm = await openIdle({ port, count: Math.min(200, p.idleDovecot), users: p.users, auth: p.idleAuth, mailbox: p.idleMailbox, parallel: p.idleParallel, deadline, staged: false });
    await closeIdle(warm.clients);
    const base = await settle();
    const t0 = performance.now();
    const res = await openIdle({ port, count: p.idleDovecot, users: p.users, auth: p.idleAuth, mailbox: p.idleMailbox, parallel: p.idleParallel, deadline, staged: false });
    const openMs = performance.now() - t0;
    const after = await settle();
    const n = Math.max(1, res.clients.length);
    out(
      `dovecot: ${fmt(res.clients.length)} idle connections open (${res.failed} failed${res.firstError ? `, first: ${res.firstError}` : ""}) in ${fmt(openMs / 1000, 1)} s; ` +
        `${after.processes} processes (was ${base.processes}); ΣPSS ${mib(base.pssKiB)} → ${mib(after.pssKiB)} = ${kib((after.pssKiB - base.pssKiB) / n)} per idle connection ` +
        `(ΣRSS, counting shared pages once per process: ${kib((after.rssKiB - base.rssKiB) / n)})`,
    );
    await closeIdle(res.clients);
  } finally {
    const code = await d.stop();
    const errs = dovecotComplaints(d.log());
    if (errs.length > 0) out(`dovecot log: ${errs.length} warning/error lines, e.g. ${[...new Set(errs.map((l) => l.replace(/^.*?: /, "")))].slice(0, 3).join(" | ")}`);
    if (code !== 0) out(`dovecot: master exited with ${code}`);
  }
}
