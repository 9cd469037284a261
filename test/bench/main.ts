#!/usr/bin/env bun
// `bun run bench <name> [flags]`: benchmark scripts (DESIGN §7: scripts, never timed tests),
// each printing its figures next to a reference measured in the same run.

const BENCHES: Record<string, { about: string; run: (args: string[]) => Promise<number> }> = {
  smtp: {
    about: "inbound SMTP throughput with durable storage, against Postfix delivering to a Maildir",
    run: async (args) => (await import("./smtp.ts")).main(args),
  },
};

const [benchName, ...rest] = process.argv.slice(2);
const bench = benchName ? BENCHES[benchName] : undefined;
if (!bench) {
  process.stderr.write(`usage: bun run bench <name> [flags]\n`);
  for (const [n, b] of Object.entries(BENCHES)) process.stderr.write(`  ${n.padEnd(8)} ${b.about}\n`);
  process.exit(benchName ? 2 : 0);
}
process.exit(await bench.run(rest));

export {};
