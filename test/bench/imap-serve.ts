#!/usr/bin/env bun
// Our server as the IMAP bench runs it: what `bun run start` does (loadConfig → createServer,
// the same start-up lines and SIGTERM drain), plus a stdin line `gc` that forces a full GC
// and answers with the JS heap figures (`gc classes`: and live objects by class), so RSS can be read after a GC settle.

import { heapStats } from "bun:jsc";
import { loadConfig, databaseUrl } from "../../src/config/load.ts";
import { createServer } from "../../src/server.ts";

const { config, file } = await loadConfig(process.env);
const server = await createServer(config);
const out = (s: string) => process.stdout.write(s + "\n");
out(`hikyaku: config ${file ?? "(none)"}`);
out(`hikyaku: data ${config.dataDir} (database ${databaseUrl(config)})`);
for (const l of server.listeners) out(`hikyaku: ${l.role} listening on ${l.host}:${l.port} (${l.tls})`);
out("hikyaku: ready");

export type GcReport = {
  /** Live JS heap after the GC, and what the JS heap holds from the OS. */
  heapSize: number;
  heapCapacity: number;
  objectCount: number;
  memory: NodeJS.MemoryUsage;
  types: Record<string, number>;
  /** Live objects by class from a heap snapshot (with `gc classes`): count and bytes. */
  classes?: Record<string, { count: number; bytes: number }>;
};

/** JSC heap snapshot nodes are [id, size, classNameIndex, flags]; summed per class name. */
function classesFromSnapshot(): Record<string, { count: number; bytes: number }> {
  const snap = Bun.generateHeapSnapshot() as unknown as { nodes: number[]; nodeClassNames: string[] };
  const out: Record<string, { count: number; bytes: number }> = {};
  for (let i = 0; i < snap.nodes.length; i += 4) {
    const name = snap.nodeClassNames[snap.nodes[i + 2]] ?? "?";
    const e = (out[name] ??= { count: 0, bytes: 0 });
    e.count++;
    e.bytes += snap.nodes[i + 1];
  }
  return out;
}

async function gcReport(withClasses: boolean): Promise<GcReport> {
  // Full collections with pauses between, so finalizers run and freed pages go back to the OS.
  for (let i = 0; i < 3; i++) {
    Bun.gc(true);
    await Bun.sleep(500);
  }
  const h = heapStats();
  return {
    heapSize: h.heapSize,
    heapCapacity: h.heapCapacity,
    objectCount: h.objectCount,
    memory: process.memoryUsage(),
    types: h.objectTypeCounts,
    ...(withClasses ? { classes: classesFromSnapshot() } : {}),
  };
}

(async () => {
  const dec = new TextDecoder();
  let buf = "";
  const reader = Bun.stdin.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value);
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const cmd = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (cmd === "shrink") {
        // Bun.shrink(): JSC shrinks its footprint and the allocators give free pages back.
        Bun.gc(true);
        Bun.shrink();
        await Bun.sleep(500);
        out("shrunk");
      } else if (cmd.startsWith("snap ")) {
        // A V8-format heap snapshot (closures and objects by name) for offline diffing.
        for (let i = 0; i < 3; i++) {
          Bun.gc(true);
          await Bun.sleep(200);
        }
        await Bun.write(cmd.slice(5), Bun.generateHeapSnapshot("v8"));
        out("snapped");
      } else if (cmd === "gc" || cmd === "gc classes") out(`gc ${JSON.stringify(await gcReport(cmd === "gc classes"))}`);
    }
  }
})();

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop({ drainMs: 5000 });
  const w = server.db.writer.stats();
  out(`hikyaku: writer stats commits=${w.commits} ops=${w.ops} maxGroup=${w.maxGroup} syncs=${w.syncs}`);
  out("hikyaku: stopped");
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
