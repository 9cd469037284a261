// Listeners: one node:net (or node:tls for implicit TLS) server per configured port, with
// connection caps in total and per client IP (421 4.7.0), handing sockets to a protocol driver.

import * as net from "node:net";
import * as tls from "node:tls";
import type { CertStore } from "./certs.ts";
import { createTlsServerOptions, followCertReloads } from "./tls.ts";
import type { Logger } from "../log/logger.ts";

export type ConnectionLimits = { readonly maxConnections: number; readonly maxConnectionsPerIp: number };

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

/** The client IP whose connection slot a socket holds, until its "close" gives it back. */
const SLOT_IP = Symbol("hikyaku.slotIp");
type Slotted = net.Socket & { [SLOT_IP]?: string | undefined };

export async function startListener(opts: {
  host: string;
  port: number;
  implicitTls: boolean;
  certs: CertStore | null;
  counter: ConnectionCounter;
  /** Written when a limit refuses the connection, e.g. "421 4.7.0 …\r\n". */
  refuse: (why: "total" | "ip") => string;
  /**
   * Runs one connection to its end. The driver ends its socket itself, also on failure; a
   * synchronous throw (the driver could not be built) destroys the socket here.
   */
  onConnection: (socket: net.Socket | tls.TLSSocket, implicitTls: boolean) => Promise<void>;
  log: Logger;
}): Promise<StartedListener> {
  const sockets = new Set<net.Socket>();
  // Listener-level functions (the socket is `this` or an argument): nothing is allocated per
  // connection for the slot release or the failure path, as idle IMAP connections add up.
  function release(this: Slotted): void {
    const ip = this[SLOT_IP];
    if (ip === undefined) return;
    this[SLOT_IP] = undefined;
    sockets.delete(this);
    opts.counter.release(ip);
  }
  const failed = (err: unknown) => opts.log.error("connection handler failed", { error: err });
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
    (socket as Slotted)[SLOT_IP] = ip;
    // "close" is emitted once; `on` spares the once-wrapper `once` would allocate.
    socket.on("close", release);
    let running: Promise<void>;
    try {
      running = opts.onConnection(socket, opts.implicitTls);
    } catch (err) {
      failed(err);
      socket.destroy();
      return;
    }
    running.then(undefined, failed);
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
