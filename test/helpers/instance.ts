// A named Hikyaku instance for multi-server tests: its own hostname, loopback address, local
// domains and accounts, data dir and (optionally) a certificate, on ports fixed at creation so
// that stop() + start() brings back the same server at the same address (a peer going down).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "../../src/server.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { ConfigInput, ListenerRole } from "../../src/config/schema.ts";
import { addAccount } from "../../src/store/accounts.ts";
import { addDomain } from "../../src/store/domains.ts";
import { silentLogger } from "../../src/log/logger.ts";

export type InstanceOptions = {
  hostname: string;
  /** Loopback address every listener binds (127.0.0.0/8 only). */
  host: string;
  domains: string[];
  /** [address, password] pairs. */
  accounts: [string, string][];
  /** Fixed ports per role; roles not given get a free port picked once, at creation. */
  ports?: Partial<Record<ListenerRole, number>>;
  roles?: ListenerRole[];
  /** Per-role TLS mode override (e.g. { mx: "none" }). */
  listenerTls?: Partial<Record<ListenerRole, "none" | "starttls" | "implicit">>;
  /** Server certificate (PEM), written into the data dir and named in config.tls. */
  cert?: { certPem: string; keyPem: string };
  config?: ConfigInput;
};

export type Instance = {
  readonly server: Server;
  readonly dir: string;
  readonly host: string;
  port(role: ListenerRole): number;
  readonly running: boolean;
  /** (Re)starts on the same ports and data; `listenerTls` may change between starts. */
  start(opts?: { listenerTls?: InstanceOptions["listenerTls"] }): Promise<void>;
  /** Stops the server; the data dir stays for a later start(). */
  stop(): Promise<void>;
  /** Stops and removes the data dir. */
  destroy(): Promise<void>;
};

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function createInstance(o: InstanceOptions): Promise<Instance> {
  if (!LOOPBACK.test(o.host)) throw new Error(`test instances listen on loopback only, not ${o.host}`);
  const dir = mkdtempSync(join(tmpdir(), `hikyaku-${o.hostname}-`));
  const roles = o.roles ?? ["mx", "submission", "submissions"];
  const ports = new Map<ListenerRole, number>();
  for (const r of roles) ports.set(r, o.ports?.[r] ?? (await freePort(o.host)));
  let tlsFiles: { cert: string; key: string } | undefined;
  if (o.cert) {
    tlsFiles = { cert: join(dir, "test-cert.pem"), key: join(dir, "test-key.pem") };
    writeFileSync(tlsFiles.cert, o.cert.certPem);
    writeFileSync(tlsFiles.key, o.cert.keyPem, { mode: 0o600 });
  }
  let server: Server | null = null;
  let seeded = false;

  const inst: Instance = {
    get server() {
      if (!server) throw new Error(`${o.hostname} is not running`);
      return server;
    },
    dir,
    host: o.host,
    port(role) {
      const p = ports.get(role);
      if (p === undefined) throw new Error(`${o.hostname} has no ${role} listener`);
      return p;
    },
    get running() {
      return server !== null;
    },
    async start(s = {}) {
      if (server) return;
      const tlsModes = { ...o.listenerTls, ...s.listenerTls };
      const config = parseConfig({
        hostname: o.hostname,
        dataDir: dir,
        ...o.config,
        listeners: roles.map((role) => ({ role, host: o.host, port: ports.get(role)!, ...(tlsModes[role] ? { tls: tlsModes[role] } : {}) })),
        ...(tlsFiles ? { tls: tlsFiles } : {}),
        limits: { authFailureDelayMs: 10, ...o.config?.limits },
        delivery: { ...o.config?.delivery, enabled: o.config?.delivery?.enabled ?? false },
      });
      server = await createServer(config, { log: silentLogger });
      if (!seeded) {
        for (const d of o.domains) await addDomain(server.db, d);
        for (const [a, p] of o.accounts) await addAccount(server.db, a, p);
        seeded = true;
      }
    },
    async stop() {
      const s = server;
      server = null;
      await s?.stop();
    },
    async destroy() {
      await inst.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await inst.start();
  return inst;
}
