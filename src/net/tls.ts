// Server-side TLS: STARTTLS upgrade of a plain node:net socket, options for implicit-TLS
// listeners (RFC 8314), and the TLS description written into Received headers.
import type * as net from "node:net";
import * as tls from "node:tls";
import type { CertStore } from "./certs.ts";

export const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

export class TlsError extends Error {
  constructor(
    readonly code: "TLS_HANDSHAKE_TIMEOUT" | "TLS_HANDSHAKE_FAILED" | "TLS_SOCKET_CLOSED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TlsError";
  }
}

/**
 * STARTTLS (RFC 3207 §4, RFC 2595 §3.1, RFC 9051 §6.2.1): turns an accepted plain socket into
 * a server-side TLSSocket and resolves once the handshake is complete.
 *
 * STARTTLS command injection (DESIGN §5, RFC 3207 §4.2, CVE-2011-0411): bytes the client sent
 * after the STARTTLS command but before the handshake must never reach the application. The
 * caller discards its own line buffer and stops reading *before* calling this; here the plain
 * socket is paused and stripped of every "data"/"readable" listener so nothing more is
 * delivered in cleartext. From now on only the TLS layer reads from it: pipelined plaintext
 * is fed to the TLS engine, where it fails the handshake instead of becoming a command.
 * After it resolves the session state must be reset (RFC 3207 §4.2: forget EHLO, AUTH, …).
 *
 * The caller must attach its own "error" listener to the returned socket; this function
 * removes its listeners once settled.
 */
export function upgradeToTls(
  socket: net.Socket,
  certs: CertStore,
  options: { handshakeTimeoutMs?: number } = {},
): Promise<tls.TLSSocket> {
  const timeoutMs = options.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      reject(new TlsError("TLS_SOCKET_CLOSED", "socket closed before STARTTLS"));
      return;
    }
    socket.pause();
    socket.removeAllListeners("data");
    socket.removeAllListeners("readable");

    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: certs.defaultContext,
      SNICallback: certs.sniCallback,
      requestCert: false,
      rejectUnauthorized: false,
    });

    const cleanup = () => {
      clearTimeout(timer);
      secure.off("secure", onSecure);
      secure.off("error", onError);
      secure.off("close", onClose);
    };
    const fail = (err: TlsError) => {
      cleanup();
      // Keep a listener so a late error on the dying socket cannot crash the process.
      secure.on("error", () => {});
      secure.destroy();
      socket.destroy();
      reject(err);
    };
    const onSecure = () => {
      cleanup();
      resolve(secure);
    };
    const onError = (cause: unknown) =>
      fail(new TlsError("TLS_HANDSHAKE_FAILED", `TLS handshake failed: ${String((cause as Error)?.message ?? cause)}`, { cause }));
    const onClose = () => fail(new TlsError("TLS_SOCKET_CLOSED", "connection closed during TLS handshake"));
    const timer = setTimeout(
      () => fail(new TlsError("TLS_HANDSHAKE_TIMEOUT", `TLS handshake took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );

    secure.once("secure", onSecure);
    secure.on("error", onError);
    secure.once("close", onClose);
  });
}

/**
 * Options for an implicit-TLS listener (RFC 8314 §3.3: submissions 465, imaps 993, pop3s 995):
 * `tls.createServer(createTlsServerOptions(certs), onSecureConnection)`. Clients that send SNI
 * get the current certificate from the store on every handshake; for clients without SNI call
 * followCertReloads(server, certs) so the server's default context follows reloads too.
 */
export function createTlsServerOptions(
  certs: CertStore,
  options: { handshakeTimeoutMs?: number } = {},
): tls.TlsOptions {
  return {
    ...certs.defaultOptions,
    SNICallback: certs.sniCallback,
    handshakeTimeout: options.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
    requestCert: false,
    rejectUnauthorized: false,
  };
}

/** Keeps a tls.Server's default certificate in step with the store; returns an unsubscribe. */
export function followCertReloads(server: tls.Server, certs: CertStore): () => void {
  return certs.onReload(() => server.setSecureContext(certs.defaultOptions));
}

export type TlsDescription = {
  version: string;
  /** OpenSSL-style name, e.g. "TLS_AES_256_GCM_SHA384" or "ECDHE-ECDSA-AES128-GCM-SHA256". */
  cipher: string;
  /** IANA registry name when the runtime reports it (RFC 8314 §4.3 "tls" clause). */
  standardName?: string;
  bits?: number;
};

/** What a finished handshake negotiated, for logs and the Received header. */
export function describeTls(sock: tls.TLSSocket): TlsDescription {
  const c = sock.getCipher() as { name?: string; standardName?: string } | undefined;
  const cipher = c?.name ?? "unknown";
  const out: TlsDescription = { version: sock.getProtocol() ?? "unknown", cipher };
  if (c?.standardName) out.standardName = c.standardName;
  const bits = cipherBits(c?.standardName ?? cipher);
  if (bits !== undefined) out.bits = bits;
  return out;
}

/** Symmetric key size from the suite name (node:tls does not report it). */
function cipherBits(name: string): number | undefined {
  if (/AES_?256|CHACHA20/i.test(name)) return 256;
  if (/AES_?128/i.test(name)) return 128;
  return undefined;
}

/**
 * The comment most MTAs put in Received (RFC 5321 §4.4 allows a comment after "with"), e.g.
 * "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)".
 */
export function formatTlsComment(d: TlsDescription): string {
  const bits = d.bits === undefined ? "" : ` (${d.bits}/${d.bits} bits)`;
  return `using ${d.version} with cipher ${d.cipher}${bits}`;
}

/** The session's TLS facts as events carry them (IANA cipher name where known). */
export function tlsInfo(sock: tls.TLSSocket): { version: string; cipher: string; bits?: number } {
  const d = describeTls(sock);
  return { version: d.version, cipher: d.standardName ?? d.cipher, ...(d.bits ? { bits: d.bits } : {}) };
}

/**
 * STARTTLS / STLS for a line-based driver (RFC 3207 §4, RFC 2595 §4, DESIGN §5): whatever the
 * client pipelined is discarded, only the driver's own listeners are removed (the listener's
 * connection-slot release stays), then the handshake; the new socket is attached and the
 * buffer discarded once more. Null when the handshake failed (the plain socket is destroyed).
 */
export async function switchToTls(
  plain: net.Socket,
  certs: CertStore,
  driver: { discard(): void; detach(): void; attach(secure: tls.TLSSocket): void },
): Promise<tls.TLSSocket | null> {
  driver.discard();
  driver.detach();
  plain.on("error", () => {});
  try {
    const secure = await upgradeToTls(plain, certs);
    driver.discard();
    driver.attach(secure);
    return secure;
  } catch {
    plain.destroy();
    return null;
  }
}
