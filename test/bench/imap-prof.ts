// Summary of a V8-format .cpuprofile (what `bun run --cpu-prof` writes): self time per
// function, largest first, so the bench can say where our server spends its CPU under load.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number };
type Profile = { nodes: Node[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] };

const ROOT = resolve(import.meta.dir, "../..");

/** The newest .cpuprofile in `dir`, or null. */
export function newestProfile(dir: string): string | null {
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(dir, f));
    files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    return files[0] ?? null;
  } catch {
    return null;
  }
}

/** "share% self ms  function (file:line)" lines for the `top` functions by self time. */
export function summarizeProfile(file: string, top = 15): string[] {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<Node, number>();
  if (p.samples && p.timeDeltas && p.samples.length === p.timeDeltas.length) {
    // Each sample's time is the delta to the next one.
    for (let i = 0; i < p.samples.length; i++) {
      const n = byId.get(p.samples[i]);
      const dt = p.timeDeltas[i + 1] ?? 0;
      if (n) self.set(n, (self.get(n) ?? 0) + dt);
    }
  } else {
    const hits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
    for (const n of p.nodes) self.set(n, ((n.hitCount ?? 0) * (p.endTime - p.startTime)) / Math.max(1, hits));
  }
  const agg = new Map<string, number>();
  let total = 0;
  for (const [n, us] of self) {
    const f = n.callFrame;
    const where = f.url ? `${relative(ROOT, decodeURIComponent(f.url.replace(/^file:\/\//, "")))}:${f.lineNumber + 1}` : "native";
    const key = `${f.functionName || "(anonymous)"} (${where})`;
    agg.set(key, (agg.get(key) ?? 0) + us);
    total += us;
  }
  return [...agg]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}
