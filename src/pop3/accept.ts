// Accepts one POP3 connection on a `pop3` (110, STLS) or `pop3s` (995, implicit TLS,
// RFC 8314) listener and runs it to its end.

import type * as net from "node:net";
import type * as tls from "node:tls";
import { randomBytes } from "node:crypto";
import type { Config } from "../config/schema.ts";
import type { ListenerRole, SessionInfo } from "../events/catalog.ts";
import { isLoopback } from "../net/listener.ts";
import { tlsInfo } from "../net/tls.ts";
import type { CertStore } from "../net/certs.ts";
import { Pop3Connection, type Pop3ConnectionDeps } from "./connection.ts";

export type Pop3AcceptDeps = Omit<Pop3ConnectionDeps, "certs" | "idleTimeoutMs"> & { readonly config: Config; readonly certs: CertStore };

export function acceptPop3(socket: net.Socket | tls.TLSSocket, role: ListenerRole, implicitTls: boolean, startTls: boolean, deps: Pop3AcceptDeps): Pop3Connection {
  const { config } = deps;
  const remoteAddress = (socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
  const session: SessionInfo = {
    id: randomBytes(6).toString("hex"),
    protocol: "pop3",
    role,
    remoteAddress,
    remotePort: socket.remotePort ?? 0,
    localAddress: (socket.localAddress ?? "").replace(/^::ffff:/, ""),
    localPort: socket.localPort ?? 0,
    tls: implicitTls ? tlsInfo(socket as tls.TLSSocket) : null,
    helo: null,
    authUser: null,
  };
  return new Pop3Connection(
    socket,
    session,
    {
      hostname: config.hostname,
      startTlsAvailable: startTls,
      plaintextAuthAllowed: config.auth.allowPlaintextOnLoopback && isLoopback(remoteAddress),
      maxErrors: config.limits.maxErrors,
      maxAuthFailures: config.limits.maxAuthFailures,
      authFailureDelayMs: config.limits.authFailureDelayMs,
      expire: config.pop3.expire,
    },
    { ...deps, certs: startTls ? deps.certs : null, idleTimeoutMs: config.pop3.idleTimeoutMs },
  );
}
