#!/usr/bin/env bun
// `bun run bench <name> [flags]`: benchmark scripts (DESIGN §7: scripts, never timed tests),
// each printing its figures next to a reference measured in the same run.

const BENCHES: Record<string, { about: string; run: (args: string[]) => Promise<number> }> = {
  smtp: {
    about: "inbound SMTP throughput with durable storage, against Postfix delivering to a Maildir",
    run: async (args) => (await import("./smtp.ts")).main(args),
  },
  imap: { about: "IMAP command-mix throughput against Dovecot on Maildirs, and memory per idle connection", run: async (args) => (await import("./imap.ts")).main(args) },
  outbound: { about: "queue-to-wire delivery rate to smtp-sink, against Postfix relaying to the same sink", run: async (args) => (await import("./outbound.ts")).main(args) },
  pop3: { about: "POP3 RETR throughput over concurrent sessions, against Dovecot's POP3 on a Maildir", run: async (args) => (await import("./pop3.ts")).main(args) },
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
