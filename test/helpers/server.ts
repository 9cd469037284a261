// Test harness: starts a real in-process server on 127.0.0.1 ephemeral ports with a temp
// data dir, the domain example.test and the accounts alice@ and bob@ (password "<name>-pw").

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "../../src/server.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import type { ListenerRole } from "../../src/events/catalog.ts";
import { addDomain } from "../../src/store/domains.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { silentLogger, type Logger } from "../../src/log/logger.ts";

/**
 * The built-in trust handlers whose verdict depends on DNS answers (SPF, DKIM/DMARC): a test
 * about something else that checks a non-trusted client switches them off, since the test
 * DNS is a dead port unless the test brings its own server.
 */
export const NO_DNS_CHECKS = { spf: false, messageAuth: false, dmarcPolicy: false } as const;

export type TestServer = {
  server: Server;
  dir: string;
  port(role: ListenerRole): number;
  stop(): Promise<void>;
};

export async function startTestServer(overrides: ConfigInput = {}, opts: { log?: Logger; keepDir?: string } = {}): Promise<TestServer> {
  const dir = opts.keepDir ?? mkdtempSync(join(tmpdir(), "hikyaku-test-"));
  const config = parseConfig({
    hostname: "mx.example.test",
    dataDir: dir,
    listeners: [
      { role: "mx", port: 0 },
      { role: "submission", port: 0 },
      { role: "submissions", port: 0 },
      { role: "lmtp", port: 0 },
      { role: "imap", port: 0 },
      { role: "imaps", port: 0 },
      { role: "pop3", port: 0 },
      { role: "pop3s", port: 0 },
    ],
    ...overrides,
    limits: { authFailureDelayMs: 10, ...overrides.limits },
    // Never send to (or ask) the real internet from a test: the outbound worker runs only
    // where a test asks for it (delivery: { enabled: true, … }), and DNS goes to a dead port
    // unless the test names its own DNS server.
    delivery: { ...overrides.delivery, enabled: overrides.delivery?.enabled ?? false },
    dns: { servers: ["127.0.0.1:9"], timeoutMs: 200, tries: 1, ...overrides.dns },
  });
  const server = await createServer(config, { log: opts.log ?? silentLogger });
  if (!opts.keepDir) {
    await addDomain(server.db, "example.test");
    await addAccount(server.db, "alice@example.test", "alice-pw");
    await addAccount(server.db, "bob@example.test", "bob-pw");
  }
  return {
    server,
    dir,
    port(role) {
      const l = server.listeners.find((x) => x.role === role);
      if (!l) throw new Error(`no ${role} listener`);
      return l.port;
    },
    async stop() {
      await server.stop();
      if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
