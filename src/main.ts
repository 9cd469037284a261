#!/usr/bin/env bun
// `bun run start`: load the config, start every listener, print where things are, and
// drain on SIGTERM/SIGINT (DESIGN §9).

import { loadConfig, databaseUrl } from "./config/load.ts";
import { createServer } from "./server.ts";

const { config, file } = await loadConfig(process.env);
const server = await createServer(config);
const out = (s: string) => process.stdout.write(s + "\n");
out(`hikyaku: config ${file ?? "(none, built-in defaults)"}`);
out(`hikyaku: data ${config.dataDir} (database ${databaseUrl(config)})`);
// POP3 calls its upgrade STLS (RFC 2595); the others STARTTLS.
const upgrade = (role: string) => (role === "pop3" ? "STLS" : "STARTTLS");
for (const l of server.listeners) out(`hikyaku: ${l.role} listening on ${l.host}:${l.port} (${l.tls === "none" ? "no TLS" : l.tls === "implicit" ? "implicit TLS" : upgrade(l.role)})`);
out("hikyaku: ready");

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  out(`hikyaku: ${signal}, draining`);
  await server.stop();
  const w = server.db.writer.stats();
  // Group-commit figure for operators and the bench: operations per durable commit.
  out(`hikyaku: writer stats commits=${w.commits} ops=${w.ops} maxGroup=${w.maxGroup} syncs=${w.syncs}`);
  out("hikyaku: stopped");
  process.exit(0);
};
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
