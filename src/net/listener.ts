// Listeners: one node:net (or node:tls for implicit TLS) server per configured port, with
// connection caps in total and per client IP (421 4.7.0), handing sockets to a protocol driver.

import * as net from "node:net";
import * as tls from "node:tls";
import type { CertStore } from "./certs.ts";
import { createTlsServerOptions, followCertReloads } from "./tls.ts";
import type { Logger } from "../log/logger.ts";

export type ConnectionLimits = { readonly maxConnections: number; readonly maxConnectionsPerIp: number };

export type AcceptedSocket = { socket: net.Socket | tls.TLSSocket; implicitTls: boolean };

export type StartedListener = {
  readonly host: string;
  readonly port: number;
  /** Stops accepting; sockets still open after `graceMs` are destroyed. */
  close(graceMs?: number): Promise<void>;
};

/** Counts live connections across all listeners of one protocol family. */
export class ConnectionCounter {
  #total = 0;
  readonly #perIp = new Map<string, number>();
  constructor(private readonly limits: ConnectionLimits) {}

  /** Takes a slot, or returns why not. */
  acquire(ip: string): "ok" | "total" | "ip" {
    if (this.#total >= this.limits.maxConnections) return "total";
    const n = this.#perIp.get(ip) ?? 0;
    if (n >= this.limits.maxConnectionsPerIp) return "ip";
    this.#total++;
    this.#perIp.set(ip, n + 1);
    return "ok";
  }

  release(ip: string): void {
    this.#total--;
    const n = (this.#perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, n);
  }

  get total(): number {
    return this.#total;
  }
}

export async function startListener(opts: {
  host: string;
  port: number;
  implicitTls: boolean;
  certs: CertStore | null;
  counter: ConnectionCounter;
  /** Written when a limit refuses the connection, e.g. "421 4.7.0 …\r\n". */
  refuse: (why: "total" | "ip") => string;
  onConnection: (s: AcceptedSocket) => Promise<void>;
  log: Logger;
}): Promise<StartedListener> {
  const sockets = new Set<net.Socket>();
  const handle = (socket: net.Socket | tls.TLSSocket) => {
    const ip = socket.remoteAddress ?? "unknown";
    const slot = opts.counter.acquire(ip);
    if (slot !== "ok") {
      socket.on("error", () => {});
      socket.end(opts.refuse(slot));
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      sockets.delete(socket);
      opts.counter.release(ip);
    };
    socket.once("close", release);
    opts.onConnection({ socket, implicitTls: opts.implicitTls }).catch((err) => {
      opts.log.error("connection handler failed", { error: err });
      socket.destroy();
    });
  };
  let server: net.Server;
  if (opts.implicitTls) {
    if (!opts.certs) throw new Error("implicit TLS listener without certificates");
    const s = tls.createServer(createTlsServerOptions(opts.certs), handle);
    followCertReloads(s, opts.certs);
    // A failed handshake (plaintext to 465, scanners) is routine: log at debug only.
    s.on("tlsClientError", (err) => opts.log.debug("TLS handshake failed", { error: err }));
    server = s;
  } else {
    server = net.createServer(handle);
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        // server.close() resolves once every connection is gone; the timer guarantees that.
        server.close(() => resolve());
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, graceMs).unref?.();
      }),
  };
}

export function isLoopback(ip: string): boolean {
  return ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");
}
