// Accepts IMAP connections on an `imap` (143, STARTTLS) or `imaps` (993, implicit TLS,
// RFC 8314) listener: one acceptor per listener builds each connection and runs it to its end.

import type * as net from "node:net";
import type * as tls from "node:tls";
import { randomBytes } from "node:crypto";
import { tlsInfo } from "../net/tls.ts";
import { isLoopback } from "../net/listener.ts";
import type { CertStore } from "../net/certs.ts";
import { ImapConnection, type ImapConnectionDeps, type ImapConnectionOptions } from "./connection.ts";
import type { ImapDeps } from "./session.ts";

export type ImapAcceptDeps = ImapDeps & { readonly certs: CertStore };

export type ImapAcceptor = (socket: net.Socket | tls.TLSSocket, implicitTls: boolean) => ImapConnection;

/**
 * The options and deps depend only on the listener and on whether the client is on loopback,
 * so both variants are built here once and shared: a copy per connection is memory every
 * idle connection keeps for hours.
 */
export function imapAcceptor(startTls: boolean, deps: ImapAcceptDeps, onClosed?: (conn: ImapConnection) => void): ImapAcceptor {
  const { config } = deps;
  const remoteOpts: ImapConnectionOptions = {
    startTlsAvailable: startTls,
    plaintextLoginAllowed: false,
    preAuthTimeoutMs: config.imap.preAuthTimeoutMs,
    idleTimeoutMs: config.imap.idleTimeoutMs,
    keepaliveMs: config.imap.keepaliveMs,
    maxAuthFailures: config.limits.maxAuthFailures,
    authFailureDelayMs: config.limits.authFailureDelayMs,
    onClosed,
  };
  const loopbackOpts: ImapConnectionOptions = { ...remoteOpts, plaintextLoginAllowed: config.auth.allowPlaintextOnLoopback };
  const connDeps: ImapConnectionDeps = { ...deps, certs: startTls ? deps.certs : null };
  return (socket, implicitTls) => {
    const remote = (socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
    const info = implicitTls ? tlsInfo(socket as tls.TLSSocket) : null;
    return new ImapConnection(socket, randomBytes(6).toString("hex"), remote, info, isLoopback(remote) ? loopbackOpts : remoteOpts, connDeps);
  };
}
