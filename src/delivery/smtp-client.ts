// Outbound SMTP client: a small promise API over nodemailer's SMTPConnection (DESIGN §10).
// We open the TCP connection ourselves (one chosen address, source address, connect timeout)
// and hand it over; nodemailer does greeting, EHLO, STARTTLS, PIPELINING and DATA framing.
// What nodemailer cannot do — per-recipient NOTIFY/ORCPT (RFC 3461 §4), SMTPUTF8 for a
// message whose headers need it (RFC 6531 §3.4), our own SIZE/BODY/REQUIRETLS — is done by
// rewriting the MAIL and RCPT command lines it sends (PatchedConnection below).

import * as net from "node:net";
import * as tls from "node:tls";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import { parseReply, type SmtpReply } from "./smtp-reply.ts";

export type TlsPolicy =
  /** RFC 7435 opportunistic security: STARTTLS when offered, no certificate check, cleartext otherwise. */
  | { readonly mode: "opportunistic" }
  /** STARTTLS must succeed (MTA-STS enforce, REQUIRETLS, smarthost); never a cleartext transaction. */
  | { readonly mode: "required"; readonly verify: boolean }
  /** TLS from the first byte (RFC 8314 §3, port 465 smarthosts). */
  | { readonly mode: "implicit"; readonly verify: boolean }
  /** Cleartext only: the retry after an opportunistic handshake failed (RFC 7435 §4). */
  | { readonly mode: "none" };

export type SmtpTimeouts = { readonly connectMs: number; readonly greetingMs: number; readonly commandMs: number; readonly dataDoneMs: number };

export type ConnectOptions = {
  /** IP address to connect to. */
  readonly address: string;
  readonly port: number;
  /** The server's host name: TLS SNI and certificate name check (RFC 6125, RFC 8461 §4.2). */
  readonly host: string;
  /** EHLO name (RFC 5321 §4.1.1.1: our FQDN). */
  readonly heloName: string;
  readonly localAddress?: string;
  readonly tls: TlsPolicy;
  /** Extra trusted CA certificates (PEM), added to the system roots. */
  readonly ca?: string;
  readonly timeouts: SmtpTimeouts;
  readonly auth?: { readonly user: string; readonly pass: string };
};

export type SmtpStage = "connect" | "greeting" | "ehlo" | "starttls" | "auth" | "mail" | "rcpt" | "data" | "dot";

/** Why a connection or transaction ended without a full set of replies. */
export class SmtpClientError extends Error {
  constructor(
    readonly kind: "connect" | "timeout" | "tls" | "reply" | "dropped",
    readonly stage: SmtpStage,
    message: string,
    readonly reply: SmtpReply | null = null,
  ) {
    super(message);
  }
}

export type Transaction = {
  readonly mailFrom: string;
  /** MAIL FROM parameters, already formatted ("BODY=8BITMIME", "SIZE=123", "RET=HDRS"). */
  readonly mailParams: readonly string[];
  readonly recipients: readonly { readonly address: string; readonly params: readonly string[] }[];
  /** The message in wire form (toWireLines: CRLF only); dot-stuffing happens here. */
  readonly data: Uint8Array;
};

export type TransactionResult =
  /** MAIL FROM refused: applies to every recipient. */
  | { readonly kind: "mail"; readonly reply: SmtpReply }
  /** Per recipient: null = accepted. `data` is the DATA or end-of-data reply; null when no RCPT was accepted. */
  | { readonly kind: "done"; readonly rejected: ReadonlyMap<string, SmtpReply>; readonly data: SmtpReply | null }
  /** The connection broke (or timed out) before the final reply: the outcome is unknown. */
  | { readonly kind: "dropped"; readonly error: SmtpClientError };

export type SmtpSession = {
  readonly host: string;
  readonly address: string;
  /** EHLO keywords, upper-case ("PIPELINING", "SIZE", "SMTPUTF8" …). */
  readonly extensions: ReadonlySet<string>;
  /** RFC 1870 SIZE limit, 0 when none was announced. */
  readonly maxSize: number;
  /** TLS is on (and, when the policy asked for it, the certificate was verified). */
  readonly secure: boolean;
  /** True until the connection broke or was closed. */
  usable(): boolean;
  send(tx: Transaction): Promise<TransactionResult>;
  /** RSET (RFC 5321 §4.1.1.5) before reusing the connection for another transaction. */
  reset(): Promise<boolean>;
  /** QUIT and close. */
  close(): void;
};

type Internals = {
  _socket: net.Socket | false | null;
  _ehloLines?: string[];
  _envelope?: { rejectedErrors?: { recipient?: string; response?: string }[] } | false;
};

const proto = SMTPConnection.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;

/** nodemailer's connection with our own MAIL/RCPT lines and the RFC 5321 §4.5.3.2.6 DATA timeout. */
class PatchedConnection extends SMTPConnection {
  mailLine: string | null = null;
  rcptLines = new Map<string, string>();
  dataDoneMs = 600_000;
  commandMs = 300_000;

  _sendCommand(str: string, logStr?: string): unknown {
    if (this.mailLine !== null && str.startsWith("MAIL FROM:<")) str = this.mailLine;
    else if (str.startsWith("RCPT TO:<")) {
      const address = str.slice(9, str.indexOf(">", 9));
      str = this.rcptLines.get(address) ?? str;
    }
    return proto._sendCommand.call(this, str, logStr);
  }

  _createSendStream(callback: unknown): unknown {
    const stream = proto._createSendStream.call(this, callback) as NodeJS.ReadableStream;
    // RFC 5321 §4.5.3.2.6: wait 10 minutes for the reply to the final dot.
    stream.once("end", () => {
      const s = (this as unknown as Internals)._socket;
      if (s) s.setTimeout(this.dataDoneMs);
    });
    return stream;
  }
}

function mapError(err: unknown, fallback: SmtpStage): SmtpClientError {
  if (err instanceof SmtpClientError) return err;
  const e = err as { code?: string; command?: string; response?: string; message?: string };
  const reply = parseReply(e.response);
  const stage: SmtpStage =
    e.command === "EHLO" || e.command === "HELO" ? "ehlo"
    : e.command === "STARTTLS" ? "starttls"
    : e.command === "MAIL FROM" ? "mail"
    : e.command === "RCPT TO" ? "rcpt"
    : e.command === "DATA" ? "data"
    : e.command?.startsWith("AUTH") ? "auth"
    : fallback;
  const msg = e.message ?? String(err);
  if (e.code === "ETIMEDOUT") return new SmtpClientError("timeout", stage, msg, reply);
  if (e.code === "ETLS") return new SmtpClientError("tls", stage === "ehlo" ? "starttls" : stage, msg, reply);
  if (reply && e.code !== "ECONNECTION" && e.code !== "ESOCKET") return new SmtpClientError("reply", stage, msg, reply);
  return new SmtpClientError("dropped", stage, msg, reply);
}

function openTcp(o: ConnectOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: o.address, port: o.port, localAddress: o.localAddress });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new SmtpClientError("connect", "connect", `connect to ${o.address}:${o.port} timed out`));
    }, o.timeouts.connectMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      resolve(sock);
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(new SmtpClientError("connect", "connect", `connect to ${o.address}:${o.port}: ${err.message}`));
    });
  });
}

function tlsOptions(o: ConnectOptions, verify: boolean): tls.ConnectionOptions {
  return {
    servername: net.isIP(o.host) ? undefined : o.host,
    rejectUnauthorized: verify,
    // DESIGN §5: TLS 1.2 is the minimum.
    minVersion: "TLSv1.2",
    ...(verify && o.ca ? { ca: [...tls.rootCertificates, o.ca] } : {}),
  };
}

async function connectOnce(o: ConnectOptions): Promise<SmtpSession> {
  const socket = await openTcp(o);
  const p = o.tls;
  const verify = (p.mode === "required" || p.mode === "implicit") && p.verify;
  const conn = new PatchedConnection({
    connection: socket,
    host: o.address,
    port: o.port,
    servername: net.isIP(o.host) ? undefined : o.host,
    name: o.heloName,
    secure: p.mode === "implicit",
    requireTLS: p.mode === "required",
    opportunisticTLS: p.mode === "opportunistic",
    ignoreTLS: p.mode === "none",
    tls: tlsOptions(o, verify),
    greetingTimeout: o.timeouts.greetingMs,
    // Covers the greeting and the STARTTLS handshake (nodemailer phases); TCP was ours.
    connectionTimeout: o.timeouts.greetingMs + o.timeouts.commandMs,
    socketTimeout: o.timeouts.commandMs,
    socketCloseTimeout: 1000,
    logger: false,
  });
  conn.dataDoneMs = o.timeouts.dataDoneMs;
  conn.commandMs = o.timeouts.commandMs;
  let broken: SmtpClientError | null = null;
  let pendingError: ((e: SmtpClientError) => void) | null = null;
  // An EventEmitter 'error' without a listener would throw: every error lands here.
  conn.on("error", (err) => {
    // A failed handshake (bad certificate, no common version) surfaces as a socket error.
    broken = conn.upgrading ? new SmtpClientError("tls", "starttls", err.message) : mapError(err, "greeting");
    pendingError?.(broken);
  });
  conn.on("end", () => {
    broken ??= new SmtpClientError("dropped", "connect", "connection closed");
    pendingError?.(broken);
  });
  await new Promise<void>((resolve, reject) => {
    pendingError = reject;
    conn.connect((err) => (err ? reject(mapError(err, "greeting")) : resolve()));
  }).finally(() => (pendingError = null));
  if (conn.secure === false && p.mode !== "opportunistic" && p.mode !== "none") {
    conn.close();
    throw new SmtpClientError("tls", "starttls", "TLS required but not negotiated");
  }
  if (o.auth) {
    await new Promise<void>((resolve, reject) => {
      conn.login({ user: o.auth!.user, pass: o.auth!.pass }, (err) => (err ? reject(mapError(err, "auth")) : resolve()));
    }).catch((e) => {
      conn.close();
      throw e;
    });
  }
  const ehlo = (conn as unknown as Internals)._ehloLines ?? [];
  const extensions = new Set(ehlo.map((l) => l.split(/[\s=]/)[0].toUpperCase()));
  const sizeLine = ehlo.find((l) => /^SIZE\b/i.test(l));
  const maxSize = sizeLine ? Number(sizeLine.split(/\s+/)[1]) || 0 : 0;

  return {
    host: o.host,
    address: o.address,
    extensions,
    maxSize,
    secure: conn.secure,
    usable: () => broken === null && !conn.destroyed,
    send(tx) {
      conn.mailLine = `MAIL FROM:<${tx.mailFrom}>${tx.mailParams.map((x) => " " + x).join("")}`;
      conn.rcptLines = new Map(tx.recipients.map((r) => [r.address, `RCPT TO:<${r.address}>${r.params.map((x) => " " + x).join("")}`]));
      return new Promise<TransactionResult>((resolve) => {
        conn.send({ from: tx.mailFrom, to: tx.recipients.map((r) => r.address) }, Buffer.from(tx.data.buffer, tx.data.byteOffset, tx.data.byteLength), (err, info) => {
          const s = (conn as unknown as Internals)._socket;
          if (s && !s.destroyed) s.setTimeout(conn.commandMs);
          const rejected = new Map<string, SmtpReply>();
          const env = (conn as unknown as Internals)._envelope;
          const errs = (env && env.rejectedErrors) || [];
          for (const r of errs) {
            const reply = parseReply(r.response);
            if (r.recipient && reply) rejected.set(r.recipient, reply);
          }
          if (!err) return resolve({ kind: "done", rejected, data: parseReply(info.response) ?? { code: 250, enhanced: null, text: "250" } });
          const e = mapError(err, "data");
          if (e.kind !== "reply") return resolve({ kind: "dropped", error: e });
          if (e.stage === "mail" && e.reply) return resolve({ kind: "mail", reply: e.reply });
          // No recipient accepted: DATA never carried the message.
          if (e.stage === "rcpt") return resolve({ kind: "done", rejected, data: null });
          return resolve({ kind: "done", rejected, data: e.reply });
        });
      });
    },
    reset() {
      if (broken || conn.destroyed) return Promise.resolve(false);
      return new Promise((resolve) => conn.reset((err) => resolve(!err)));
    },
    close() {
      if (!conn.destroyed && broken === null) {
        conn.quit();
        // QUIT's reply closes the connection; a server that never answers is cut.
        setTimeout(() => conn.close(), 1000).unref?.();
      } else conn.close();
    },
  };
}

/**
 * Connects, greets, EHLOs and (per policy) secures one connection. An opportunistic session
 * whose TLS handshake fails is retried once in cleartext (RFC 7435 §4: opportunistic
 * security never makes delivery worse than cleartext would be).
 */
export async function connectSmtp(o: ConnectOptions): Promise<SmtpSession> {
  try {
    return await connectOnce(o);
  } catch (err) {
    if (o.tls.mode === "opportunistic" && err instanceof SmtpClientError && err.kind === "tls") {
      return await connectOnce({ ...o, tls: { mode: "none" } });
    }
    throw err;
  }
}
