// Drives one POP3 connection: frames command lines, feeds the sans-I/O session, and carries
// out its actions (replies, events, maildrop lock, message streaming, UPDATE, STLS, close).

import type * as net from "node:net";
import type * as tls from "node:tls";
import type { Bus } from "../events/bus.ts";
import type { SessionInfo } from "../events/catalog.ts";
import { TraceBuffer } from "../events/trace.ts";
import type { Logger } from "../log/logger.ts";
import type { Db } from "../db/client.ts";
import type { CertStore } from "../net/certs.ts";
import { LineReader } from "../net/line-reader.ts";
import { switchToTls, tlsInfo } from "../net/tls.ts";
import { watchSocket } from "../net/watch-socket.ts";
import { MAX_COMMAND_LINE } from "../protocol/pop3/command.ts";
import { createSession, step } from "../protocol/pop3/session.ts";
import type { Pop3Action, Pop3Input, Pop3Options, Pop3State } from "../protocol/pop3/types.ts";
import type { MailboxHub } from "../store/hub.ts";
import { openMaildrop } from "./maildrop.ts";
import { ReadAhead, bodyChunks, type StoredMessage } from "./body-reader.ts";
import { sendMessage, upcoming } from "./retrieve.ts";
import type { Pop3Shared } from "./shared.ts";
import { applyUpdate } from "./update.ts";

export type Pop3ConnectionDeps = {
  readonly db: Db;
  readonly bus: Bus;
  readonly hub: MailboxHub;
  readonly shared: Pop3Shared;
  /** Null when STLS is not offered on this listener. */
  readonly certs: CertStore | null;
  readonly log: Logger;
  readonly idleTimeoutMs: number;
};

const utf8 = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();
// RFC 2449 §4: 255 octets with CRLF; the reader counts the octets before the LF (CR included).
const MAX_LINE = MAX_COMMAND_LINE - 1;
// RFC 5034 §4: SASL responses are not commands; 12288 octets covers every mechanism offered.
const SASL_MAX_LINE = 12288;

export class Pop3Connection {
  #socket: net.Socket | tls.TLSSocket;
  #state: Pop3State;
  #reader = new LineReader(MAX_LINE);
  #out: string[] = [];
  #wake: (() => void) | null = null;
  #ended = false;
  #timedOut = false;
  #shuttingDown = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #detach: (() => void) | null = null;
  /** Set once the maildrop is open: read-ahead of bodies, and the hub subscription feeding it. */
  #ahead: ReadAhead | null = null;
  #unsubscribe: (() => void) | null = null;
  readonly #log: Logger;

  constructor(socket: net.Socket | tls.TLSSocket, session: SessionInfo, opts: Pop3Options, private readonly deps: Pop3ConnectionDeps) {
    this.#socket = socket;
    this.#state = createSession(session, opts);
    this.#log = deps.log.child({ session: session.id, proto: "pop3", remote: session.remoteAddress });
    this.#attach(socket);
  }

  get #id(): string {
    return this.#state.session.id;
  }

  /** Runs the session to its end; resolves when the connection is closed. */
  async run(): Promise<void> {
    try {
      await this.#feed({ type: "connect" });
      while (!this.#state.closed && !this.#ended) {
        const input = await this.#nextInput();
        if (!input) break;
        await this.#feed(input);
      }
    } catch (err) {
      this.#log.error("pop3 session failed", { error: err });
    } finally {
      // A dropped connection never enters UPDATE: nothing is deleted (RFC 1939 §6).
      this.deps.shared.locks.release(this.#id);
      this.#unsubscribe?.();
      this.#flush();
      this.#clearTimer();
      const sock = this.#socket;
      sock.end(() => sock.destroy());
      setTimeout(() => sock.destroy(), 2000).unref?.();
    }
  }

  /** Asks the session to end at its next command boundary (server stop, SIGTERM). */
  shutdown(): void {
    this.#shuttingDown = true;
    this.#wakeUp();
  }

  #attach(sock: net.Socket | tls.TLSSocket): void {
    this.#detach = watchSocket(sock, {
      bytes: (b) => {
        this.#reader.push(b);
        // PIPELINING (RFC 2449 §6.6) must not buffer without bound: stop reading meanwhile.
        if (this.#reader.buffered > 64 * 1024) sock.pause();
        this.#wakeUp();
      },
      gone: (err) => {
        if (err) this.#log.debug("socket error", { error: err });
        this.#ended = true;
        this.#wakeUp();
      },
    });
  }


  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async #nextInput(): Promise<Pop3Input | null> {
    for (;;) {
      if (this.#socket.isPaused() && this.#reader.buffered < 16 * 1024) this.#socket.resume();
      const ev = this.#reader.next();
      if (ev) {
        if (ev.type === "too-long") return { type: "line-too-long" };
        try {
          return { type: "line", line: utf8.decode(ev.bytes) };
        } catch {
          return { type: "invalid-utf8" };
        }
      }
      if (this.#ended) return null;
      if (this.#shuttingDown) return { type: "shutdown" };
      if (this.#socket.isPaused()) this.#socket.resume();
      this.#flush();
      this.#timer = setTimeout(() => {
        this.#timedOut = true;
        this.#wakeUp();
      }, this.deps.idleTimeoutMs);
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#clearTimer();
      if (this.#timedOut) {
        this.#timedOut = false;
        return { type: "timeout" };
      }
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #feed(input: Pop3Input): Promise<void> {
    const queue: Pop3Input[] = [input];
    while (queue.length > 0) {
      const { actions } = step(this.#state, queue.shift()!);
      for (const a of actions) {
        const next = await this.#act(a);
        if (next) queue.push(next);
      }
    }
    this.#reader.setMaxLine(this.#state.sasl ? SASL_MAX_LINE : MAX_LINE);
  }

  #scope() {
    return { log: this.#log, results: new Map<string, unknown>(), trace: new TraceBuffer() };
  }

  async #act(a: Pop3Action): Promise<Pop3Input | null> {
    switch (a.type) {
      case "reply":
        this.#out.push(a.text);
        return null;
      case "policy":
        return { type: "verdict", verdict: await this.deps.bus.policy(a.event, a.payload, this.#scope()) };
      case "provide":
        try {
          // Narrowed per event so each payload type-checks against its own provider.
          const result = a.event === "auth.verify" ? await this.deps.bus.provide(a.event, a.payload, this.#scope()) : await this.deps.bus.provide(a.event, a.payload, this.#scope());
          return { type: "provided", result };
        } catch {
          return { type: "provide-failed" };
        }
      case "openMaildrop":
        try {
          const result = await openMaildrop(this.deps.db, this.deps.shared, a.address, this.#id);
          if (result.ok) this.#watch(result.maildrop.mailboxId);
          return { type: "maildrop", result };
        } catch (err) {
          this.#log.error("maildrop not opened", { error: err });
          return { type: "maildrop", result: { ok: false, reason: "error" } };
        }
      case "retrieve":
        return this.#retrieve(a);
      case "update":
        return this.#update(a);
      case "startTls":
        return this.#startTls();
      case "notify":
        // Awaited: an AUTH failure is counted before the -ERR goes out (see smtp-connection).
        await this.deps.bus.notify(a.event, a.payload, this.#log);
        return null;
      case "delay":
        this.#flush();
        await new Promise((r) => setTimeout(r, a.ms));
        return null;
      case "close":
        this.#flush();
        return null;
    }
  }

  /** Expunges by other sessions (IMAP) reach the read-ahead, so RETR answers them as gone. */
  #watch(mailboxId: number): void {
    const ahead = new ReadAhead(this.deps.db, mailboxId);
    this.#ahead = ahead;
    this.#unsubscribe = this.deps.hub.subscribe(mailboxId, (c) => {
      if (c.kind === "expunge" || c.kind === "deleted") ahead.expunged(c.uids);
    });
  }

  async #retrieve(a: Extract<Pop3Action, { type: "retrieve" }>): Promise<Pop3Input> {
    const want = { uid: a.uid, hash: a.bodyHash, size: a.storedSize };
    // TOP reads only the start of a message: no read-ahead for it.
    let m: StoredMessage | null;
    try {
      m = await (this.#ahead ?? new ReadAhead(this.deps.db, a.mailboxId)).find(want, a.bodyLines === null ? upcoming(this.#state.maildrop, a.uid) : []);
    } catch (err) {
      this.#log.error("message not read", { uid: a.uid, error: err });
      return { type: "retrieved", result: "error" };
    }
    if (!m) return { type: "retrieved", result: "gone" };
    // Replies still queued (pipelined commands before this one) go first, in order.
    const head = this.#out.join("") + a.head;
    this.#out = [];
    // A failure from here on (a later slice of a huge body) ends the connection: the client
    // never sees the final "." and must not take the partial message for a whole one.
    await sendMessage((b) => this.#write(b), enc.encode(head), bodyChunks(this.deps.db, m), { bodyLines: a.bodyLines, canonical: a.canonical });
    return { type: "retrieved", result: "sent" };
  }

  async #update(a: Extract<Pop3Action, { type: "update" }>): Promise<Pop3Input> {
    try {
      await applyUpdate(this.deps, a.mailboxId, a.expunge, a.seen, `pop3-${this.#id}`, this.#log);
      return { type: "updated", ok: true };
    } catch (err) {
      this.#log.error("pop3 update failed", { error: err });
      return { type: "updated", ok: false };
    }
  }

  /** Resolves once the socket can take more (or is gone): the backpressure of RETR. */
  #write(bytes: Uint8Array): Promise<void> {
    const sock = this.#socket;
    if (sock.destroyed) return Promise.resolve();
    if (sock.write(bytes)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        sock.off("drain", done);
        sock.off("close", done);
        resolve();
      };
      sock.on("drain", done);
      sock.on("close", done);
    });
  }

  async #startTls(): Promise<Pop3Input | null> {
    if (!this.deps.certs) return null;
    this.#flush();
    // RFC 2595 §4 / DESIGN §5: pipelined bytes are discarded; see switchToTls.
    const secure = await switchToTls(this.#socket as net.Socket, this.deps.certs, {
      discard: () => void this.#reader.take(),
      detach: () => this.#detach?.(),
      attach: (sock) => {
        this.#socket = sock;
        this.#attach(sock);
      },
    });
    if (!secure) {
      this.#log.info("STLS handshake failed");
      this.#state.closed = true;
      this.#ended = true;
      return null;
    }
    return { type: "tls", info: tlsInfo(secure) };
  }


  #flush(): void {
    if (this.#out.length === 0 || this.#socket.destroyed) {
      this.#out = [];
      return;
    }
    this.#socket.write(this.#out.join(""));
    this.#out = [];
  }
}
