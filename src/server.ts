// Wires config → db → bus → listeners (DESIGN §2). createServer() is the public entry;
// `bun run start` (src/main.ts) and the tests both go through it.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type * as tls from "node:tls";
import type { Config } from "./config/schema.ts";
import { databaseUrl } from "./config/load.ts";
import { openDb, type Db } from "./db/client.ts";
import { Bus } from "./events/bus.ts";
import type { AnyHandler } from "./events/handler.ts";
import type { ListenerRole, SessionInfo } from "./events/catalog.ts";
import { createResolver } from "./dns/resolver.ts";
import { defineHandler } from "./events/handler.ts";
import { createLogger, type Logger } from "./log/logger.ts";
import { ensureSelfSigned, loadCertificates, type CertStore } from "./net/certs.ts";
import { ConnectionCounter, isLoopback, startListener, type StartedListener } from "./net/listener.ts";
import { SmtpConnection } from "./net/smtp-connection.ts";
import { tlsInfo } from "./net/tls.ts";
import { newQueueId } from "./store/ids.ts";
import { TraceSink } from "./store/trace-sink.ts";
import { defaultHandlers } from "../handlers/mod.ts";
import { MailboxHub, type MailboxChange } from "./store/hub.ts";
import { imapAcceptor } from "./imap/accept.ts";
import type { ImapConnection } from "./imap/connection.ts";
import { acceptPop3 } from "./pop3/accept.ts";
import type { Pop3Connection } from "./pop3/connection.ts";
import { createPop3Shared } from "./pop3/shared.ts";
import { createDeliveryWorker, type DeliveryWorker } from "./delivery/worker.ts";

export type RunningListener = { role: ListenerRole; host: string; port: number; tls: "none" | "starttls" | "implicit" };

export type Server = {
  readonly db: Db;
  readonly bus: Bus;
  readonly config: Config;
  readonly listeners: RunningListener[];
  stop(opts?: { drainMs?: number }): Promise<void>;
  /** Writes buffered trace entries now (they are otherwise coalesced for a few ms). */
  flushTraces(): Promise<void>;
};

export function pipeline(config: Config): AnyHandler[] {
  const h = config.handlers;
  const defaults = defaultHandlers(config);
  return typeof h === "function" ? h(defaults) : [...defaults, ...h];
}

function defaultTlsMode(role: ListenerRole): "starttls" | "implicit" {
  // RFC 8314 §3.3: 465, 993 and 995 are implicit TLS; the others upgrade with STARTTLS/STLS.
  return role === "submissions" || role === "imaps" || role === "pop3s" ? "implicit" : "starttls";
}

function isImap(role: ListenerRole): boolean {
  return role === "imap" || role === "imaps";
}

function isPop3(role: ListenerRole): boolean {
  return role === "pop3" || role === "pop3s";
}

async function certificates(config: Config, log: Logger): Promise<CertStore> {
  if (config.tls.cert && config.tls.key) {
    return loadCertificates({ default: { cert: config.tls.cert, key: config.tls.key }, sni: config.tls.sni });
  }
  const self = await ensureSelfSigned(join(config.dataDir, "tls"), config.hostname);
  if (self.created) log.info("generated a self-signed ECDSA P-256 certificate", { cert: self.certPath });
  return loadCertificates({ default: { cert: self.certPath, key: self.keyPath }, sni: config.tls.sni });
}

export async function createServer(config: Config, opts: { log?: Logger } = {}): Promise<Server> {
  const log = opts.log ?? createLogger({ level: config.log.level, format: config.log.format ?? (process.stderr.isTTY ? "text" : "json") });
  mkdirSync(config.dataDir, { recursive: true });
  const db = await openDb({ url: databaseUrl(config), authToken: config.database.authToken });
  const certs = await certificates(config, log);
  certs.watch({ onError: (err) => log.warn("certificate reload failed", { error: err }) });
  const now = () => Date.now();
  // Every durable mailbox change also becomes the `mailbox.changed` notification (DESIGN §3).
  let notifyChanged: (c: MailboxChange) => void = () => {};
  const hub = new MailboxHub({ onError: (err) => log.error("mailbox listener failed", { error: err }), onPublish: (c) => notifyChanged(c) });
  const dns = createResolver(config.dns);
  // The outbound queue worker (issue 5) is woken by an ordinary notification handler:
  // `message.queued` fires after the queue write is durable, so a new message does not wait
  // for the next poll. The worker needs the bus, so the handler reaches it through `wake`.
  let wake = () => {};
  const wakeDelivery = defineHandler({ event: "message.queued", name: "delivery-wake", handle: () => wake() });
  const bus = new Bus([...pipeline(config), ...(config.delivery.enabled ? [wakeDelivery] : [])], { db, config, now, hub, dns }, log);
  notifyChanged = (c) => void bus.notify("mailbox.changed", { mailboxId: c.mailboxId, kind: c.kind, uids: c.uids, modseq: c.modseq });
  let delivery: DeliveryWorker | null = null;
  if (config.delivery.enabled) {
    const worker = createDeliveryWorker({ db, config, bus, log, hub, attempt: { resolver: dns } });
    wake = () => worker.wake();
    worker.start();
    delivery = worker;
  }
  const limits = config.limits;
  const counter = new ConnectionCounter(limits);
  // IMAP clients keep long-lived connections (IDLE): a family of its own with its own caps.
  const imapCounter = new ConnectionCounter(config.imap);
  const imapLive = new Map<ImapConnection, Promise<void>>();
  // POP3: its own caps, maildrop locks and size cache (src/pop3/shared.ts).
  const pop3Counter = new ConnectionCounter(config.pop3);
  const pop3Live = new Map<Pop3Connection, Promise<void>>();
  const pop3Shared = createPop3Shared();
  const started: StartedListener[] = [];
  // Live sessions, so stop() can let each finish its current command (SIGTERM drain).
  const live = new Map<SmtpConnection, Promise<void>>();
  const listeners: RunningListener[] = [];

  const traces = new TraceSink(db, (err) => log.error("trace not saved", { error: err }));
  const saveTrace = async (transactionId: string, messageId: string | null, sessionId: string, entries: import("./events/trace.ts").TraceEntry[]) => {
    traces.add(entries.map((e) => ({ ...e, transactionId, messageId, sessionId })));
  };

  const imapClosed = (conn: ImapConnection) => void imapLive.delete(conn);

  for (const l of config.listeners) {
    const mode = l.tls ?? defaultTlsMode(l.role);
    // Built once per listener and shared by its connections (idle IMAP memory, accept.ts).
    const acceptImap = isImap(l.role)
      ? imapAcceptor(mode === "starttls", { db, bus, hub, config, log, now, appendLimit: config.imap.appendLimit, certs }, imapClosed)
      : null;
    const s = await startListener({
      host: l.host,
      port: l.port,
      implicitTls: mode === "implicit",
      certs,
      counter: isImap(l.role) ? imapCounter : isPop3(l.role) ? pop3Counter : counter,
      log,
      refuse: (why) =>
        isImap(l.role)
          ? `* BYE [UNAVAILABLE] Too many connections${why === "ip" ? " from your address" : ""}\r\n`
          : isPop3(l.role)
            ? `-ERR [SYS/TEMP] Too many connections${why === "ip" ? " from your address" : ""}, try again later\r\n`
            : `421 4.7.0 ${config.hostname} Too many connections${why === "ip" ? " from your address" : ""}, try again later\r\n`,
      onConnection: (socket, implicitTls) => {
        if (acceptImap) {
          // No wrapper frame kept per idle connection: the connection leaves imapLive itself
          // (imapClosed), after run()'s first await, so always after this set.
          const conn = acceptImap(socket, implicitTls);
          const running = conn.run();
          imapLive.set(conn, running);
          return running;
        }
        if (isPop3(l.role)) {
          return track(pop3Live, acceptPop3(socket, l.role, implicitTls, mode === "starttls", { db, bus, hub, config, log, certs, shared: pop3Shared }));
        }
        const remoteAddress = (socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
        const session: SessionInfo = {
          id: randomBytes(6).toString("hex"),
          protocol: l.role === "lmtp" ? "lmtp" : "smtp",
          role: l.role,
          remoteAddress,
          remotePort: socket.remotePort ?? 0,
          localAddress: (socket.localAddress ?? "").replace(/^::ffff:/, ""),
          localPort: socket.localPort ?? 0,
          tls: implicitTls ? tlsInfo(socket as tls.TLSSocket) : null,
          helo: null,
          authUser: null,
        };
        const conn = new SmtpConnection(
          socket,
          session,
          {
            hostname: config.hostname,
            role: l.role,
            startTlsAvailable: mode === "starttls",
            plaintextAuthAllowed: config.auth.allowPlaintextOnLoopback && isLoopback(remoteAddress),
            maxMessageBytes: limits.maxMessageBytes,
            maxRecipients: limits.maxRecipients,
            maxHeaderBytes: limits.maxHeaderBytes,
            maxErrors: limits.maxErrors,
            maxAuthFailures: limits.maxAuthFailures,
            authFailureDelayMs: limits.authFailureDelayMs,
            enforceSender: config.auth.enforceSender,
          },
          {
            bus,
            certs: mode === "starttls" ? certs : null,
            log,
            newId: newQueueId,
            now,
            maxCommandLine: limits.maxCommandLine,
            maxTextLine: limits.maxTextLine,
            commandTimeoutMs: limits.commandTimeoutMs,
            dataTimeoutMs: limits.dataTimeoutMs,
            saveTrace,
          },
        );
        return track(live, conn);
      },
    });
    started.push(s);
    listeners.push({ role: l.role, host: s.host, port: s.port, tls: mode });
  }

  return {
    db,
    bus,
    config,
    listeners,
    flushTraces: () => traces.flush(),
    async stop(opts: { drainMs?: number } = {}) {
      // Stop accepting, let sessions reach a command boundary (421 4.3.2), bounded in time;
      // whatever is still open after that is cut (nothing un-acknowledged is lost).
      const closing = started.map((s) => s.close(opts.drainMs ?? 10_000));
      for (const conn of live.keys()) conn.shutdown();
      for (const conn of imapLive.keys()) conn.shutdown();
      for (const conn of pop3Live.keys()) conn.shutdown();
      await Promise.race([Promise.all([...live.values(), ...imapLive.values(), ...pop3Live.values()]), new Promise((r) => setTimeout(r, opts.drainMs ?? 10_000))]);
      await Promise.all(closing);
      // In-flight deliveries get a bounded grace; the rest give their leases back.
      await delivery?.stop({ graceMs: Math.min(opts.drainMs ?? 10_000, 5000) });
      await traces.flush();
      certs.stop();
      await db.close();
    },
  };
}

/** Runs a connection to its end, listed in `live` meanwhile (stop() drains them). */
async function track<C extends { run(): Promise<void> }>(live: Map<C, Promise<void>>, conn: C): Promise<void> {
  const running = conn.run();
  live.set(conn, running);
  try {
    await running;
  } finally {
    live.delete(conn);
  }
}
