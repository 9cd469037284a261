// Accepts one IMAP connection on an `imap` (143, STARTTLS) or `imaps` (993, implicit TLS,
// RFC 8314) listener and runs it to its end.

import type * as net from "node:net";
import type * as tls from "node:tls";
import { randomBytes } from "node:crypto";
import { tlsInfo } from "../net/tls.ts";
import { isLoopback } from "../net/listener.ts";
import type { CertStore } from "../net/certs.ts";
import { ImapConnection } from "./connection.ts";
import type { ImapDeps } from "./session.ts";

export type ImapAcceptDeps = ImapDeps & { readonly certs: CertStore };

export function acceptImap(socket: net.Socket | tls.TLSSocket, implicitTls: boolean, startTls: boolean, deps: ImapAcceptDeps): ImapConnection {
  const remote = (socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
  const info = implicitTls ? tlsInfo(socket as tls.TLSSocket) : null;
  const { config } = deps;
  return new ImapConnection(
    socket,
    randomBytes(6).toString("hex"),
    remote,
    info,
    {
      startTlsAvailable: startTls,
      plaintextLoginAllowed: config.auth.allowPlaintextOnLoopback && isLoopback(remote),
      preAuthTimeoutMs: config.imap.preAuthTimeoutMs,
      idleTimeoutMs: config.imap.idleTimeoutMs,
      keepaliveMs: config.imap.keepaliveMs,
      maxAuthFailures: config.limits.maxAuthFailures,
      authFailureDelayMs: config.limits.authFailureDelayMs,
    },
    { ...deps, certs: startTls ? deps.certs : null },
  );
}
