// Drives one IMAP connection: frames commands and literals, runs one command at a time,
// pushes changes during IDLE, upgrades with STARTTLS, and enforces the timers (RFC 9051 §5.4).

import type * as net from "node:net";
import type * as tls from "node:tls";
import { CommandFramer, POST_AUTH_LIMITS, PRE_AUTH_LIMITS, type FramerEvent, type FramerLimits } from "../protocol/imap/framer.ts";
import { parseCommand } from "../protocol/imap/parser.ts";
import type { Command } from "../protocol/imap/types.ts";
import type { CertStore } from "../net/certs.ts";
import { switchToTls, tlsInfo } from "../net/tls.ts";
import { attachDriver, detachDriver, type SocketDriver } from "../net/watch-socket.ts";
import { ImapSession, type ImapDeps, type Output } from "./session.ts";
import { allowedIn, type ConnectionPort } from "./dispatch.ts";
import { EXECUTORS } from "./commands/mod.ts";
import { capabilities } from "./capabilities.ts";
import { concatBytes } from "../protocol/bytes.ts";
import { HandlerFailure } from "../events/bus.ts";
import type { TlsInfo } from "../events/catalog.ts";

/** One limits object per APPENDLIMIT (one per server, in practice), shared by every session. */
const POST_AUTH_BY_APPENDLIMIT = new Map<number, FramerLimits>();

/** After login: literals up to APPENDLIMIT (RFC 7889), the command cap just above it. */
function postAuthLimits(appendLimit: number): FramerLimits {
  let l = POST_AUTH_BY_APPENDLIMIT.get(appendLimit);
  if (!l) {
    l = { ...POST_AUTH_LIMITS, maxLiteral: appendLimit, maxCommand: Math.max(POST_AUTH_LIMITS.maxCommand, appendLimit + 1024 * 1024) };
    POST_AUTH_BY_APPENDLIMIT.set(appendLimit, l);
  }
  return l;
}

export type ImapConnectionOptions = {
  readonly startTlsAvailable: boolean;
  /** LOGIN/AUTHENTICATE in cleartext allowed (loopback + config). */
  readonly plaintextLoginAllowed: boolean;
  /** Before authentication (RFC 9051 §5.4 allows a shorter timer there). */
  readonly preAuthTimeoutMs: number;
  /** The autologout timer: at least 30 minutes (RFC 9051 §5.4). */
  readonly idleTimeoutMs: number;
  /** "* OK Still here" while in IDLE, well inside NAT timeouts. */
  readonly keepaliveMs: number;
  readonly maxAuthFailures: number;
  readonly authFailureDelayMs: number;
  /** Called once run() has ended (the server's set of live connections). */
  readonly onClosed?: (conn: ImapConnection) => void;
};

/** What the connection needs besides the session's deps: certificates when STARTTLS is offered. */
export type ImapConnectionDeps = ImapDeps & { readonly certs: CertStore | null };

const dec = new TextDecoder();
const enc = new TextEncoder();
/** Pending output of a command that is sent before the command ends. */
const OUT_FLUSH_BYTES = 64 * 1024;
/** Above this, pending pieces are written one by one rather than copied into one buffer. */
const OUT_JOIN_MAX = 256 * 1024;

/**
 * The connection is its own socket driver and its session's output, and `opts`/`deps` are
 * shared by every connection of a listener (src/imap/accept.ts): an idle connection is held
 * for hours by tens of thousands of clients, so it owns no closures and no option copies.
 */
export class ImapConnection implements ConnectionPort, SocketDriver, Output {
  #socket: net.Socket | tls.TLSSocket;
  #framer = new CommandFramer(PRE_AUTH_LIMITS);
  #wake: (() => void) | null = null;
  #ended = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timedOut = false;
  #shuttingDown = false;
  #preAuthUntil: number;
  readonly session: ImapSession;

  constructor(socket: net.Socket | tls.TLSSocket, id: string, remote: string, tlsInfo: TlsInfo | null, private readonly opts: ImapConnectionOptions, private readonly deps: ImapConnectionDeps) {
    this.#socket = socket;
    this.#preAuthUntil = Date.now() + opts.preAuthTimeoutMs;
    const log = deps.log.child({ session: id, proto: "imap", remote });
    this.session = new ImapSession(id, remote, tlsInfo, deps, this, log);
    attachDriver(socket, this);
  }

  async run(): Promise<void> {
    const s = this.session;
    try {
      await s.line(`* OK [CAPABILITY ${this.capabilities().join(" ")}] ${this.deps.config.hostname} Hikyaku IMAP ready`);
      // The wait for input is inline (no helper frame): this frame is what an idle connection
      // keeps suspended, and every nested async call would add a generator and a promise.
      session: while (!this.#ended && s.state !== "logout") {
        let ev: FramerEvent | null;
        while ((ev = this.#framer.next()) === null) {
          if (this.#ended) break session;
          if (this.#shuttingDown) {
            await s.line("* BYE Server shutting down");
            break session;
          }
          // Before login the timer runs from the connection's start: trickled bytes or a NOOP now
          // and then do not keep an unauthenticated connection (and its slot) open for ever.
          this.#arm(s.state === "notauth" ? Math.max(0, this.#preAuthUntil - Date.now()) : this.opts.idleTimeoutMs);
          await this.#sleep();
          this.#clearTimer();
          if (this.#timedOut) {
            // RFC 9051 §5.4: autologout, announced with BYE.
            await s.line("* BYE Autologout; idle for too long");
            break session;
          }
        }
        await this.#handle(ev);
      }
    } catch (err) {
      s.log.error("imap session failed", { error: err });
    } finally {
      // First, so nothing below can keep the connection listed as live.
      this.opts.onClosed?.(this);
      this.#clearTimer();
      s.deselect();
      const sock = this.#socket;
      sock.end(() => sock.destroy());
      setTimeout(() => sock.destroy(), 2000).unref?.();
    }
  }

  capabilities(): string[] {
    const s = this.session;
    return capabilities({
      tls: s.tls !== null,
      startTlsAvailable: this.opts.startTlsAvailable,
      loginAllowed: s.tls !== null || this.opts.plaintextLoginAllowed,
      authenticated: s.state !== "notauth",
      appendLimit: this.deps.appendLimit,
    });
  }

  get authLimits() {
    return { maxFailures: this.opts.maxAuthFailures, delayMs: this.opts.authFailureDelayMs };
  }

  get closed(): boolean {
    return this.#ended || this.#shuttingDown;
  }

  get keepaliveMs(): number {
    return this.opts.keepaliveMs;
  }

  get idleTimeoutMs(): number {
    return this.opts.idleTimeoutMs;
  }

  get loginAllowed(): boolean {
    return this.session.tls !== null || this.opts.plaintextLoginAllowed;
  }

  /** Ends at the next command boundary (server stop). */
  shutdown(): void {
    this.#shuttingDown = true;
    this.#wakeUp();
  }

  /** SocketDriver: bytes from the client. */
  onSocketBytes(b: Uint8Array): void {
    this.#framer.push(b);
    this.#wakeUp();
  }

  /** SocketDriver: EOF, close or error. */
  onSocketGone(): void {
    this.#ended = true;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /**
   * While a command runs, its responses are collected and handed to the socket in one write
   * at the end (or whenever OUT_FLUSH_BYTES are pending): one syscall per command instead of
   * one per response line — a 50-message FETCH was 50 writes. Before any wait for the client
   * (IDLE, SASL, STARTTLS) the pending output is flushed, so nothing the client needs is held.
   */
  #corked = false;
  /** Allocated by the first write of a command and dropped by the flush: an idle connection holds none. */
  #pending: Uint8Array[] | null = null;
  #pendingBytes = 0;

  /** Output (the session's responses). */
  async write(chunks: readonly Uint8Array[]): Promise<void> {
    if (!this.#corked) return this.#send(chunks);
    const pending = (this.#pending ??= []);
    for (const c of chunks) {
      pending.push(c);
      this.#pendingBytes += c.byteLength;
    }
    if (this.#pendingBytes >= OUT_FLUSH_BYTES) await this.#flush();
  }

  /** Sends what the running command has written so far. */
  async #flush(): Promise<void> {
    const chunks = this.#pending;
    if (chunks === null) return;
    const total = this.#pendingBytes;
    this.#pending = null;
    this.#pendingBytes = 0;
    // Small pieces are joined into one buffer; a large literal (a body) goes as it is.
    await this.#send(chunks.length === 1 || total > OUT_JOIN_MAX ? chunks : [concatBytes(chunks, total)]);
  }

  async #send(chunks: readonly Uint8Array[]): Promise<void> {
    const sock = this.#socket;
    for (const c of chunks) {
      if (sock.destroyed) return;
      // Backpressure (large FETCH): wait for the kernel buffer to drain before going on.
      if (!sock.write(c)) await new Promise<void>((r) => { sock.once("drain", r); sock.once("close", r); });
    }
  }

  /** Resolves at the next #wakeUp (bytes, EOF, a poke, shutdown or the timer). */
  #sleep(): Promise<void> {
    return new Promise<void>((r) => (this.#wake = r));
  }

  /** One shared callback, the connection passed as the timer's argument: no closure per armed timer. */
  static #onTimer(conn: ImapConnection): void {
    conn.#timedOut = true;
    conn.#wakeUp();
  }

  #arm(ms: number): void {
    this.#timedOut = false;
    this.#timer = setTimeout(ImapConnection.#onTimer, ms, this);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * Answers one framer event. Not async itself: a command runs in #execute, so what stays
   * suspended during a long command (IDLE) is its tag and parsed form, not the framed bytes.
   */
  #handle(ev: FramerEvent): Promise<void> {
    const s = this.session;
    switch (ev.type) {
      case "continue":
        return s.line(`+ ${ev.text}`);
      case "reject":
        return this.#reject(ev.response, ev.fatal);
      case "command": {
        const parsed = parseCommand(ev);
        // An untagged refusal is always BAD; a tagged one keeps the parser's status (SEARCH with an
        // unsupported CHARSET is NO [BADCHARSET], RFC 9051 §6.4.4).
        if (!parsed.ok) return s.line(parsed.tag === null ? `* BAD ${parsed.text}` : `${parsed.tag} ${parsed.status} ${parsed.text}`);
        const { tag, command } = parsed;
        if (!allowedIn(command.name, s.state)) {
          return s.tagged(tag, "BAD", `${command.name} is not valid in this state`);
        }
        return this.#execute(tag, command);
      }
    }
  }

  async #reject(response: string, fatal: boolean): Promise<void> {
    await this.write([enc.encode(response)]);
    if (fatal) this.session.state = "logout";
  }

  async #execute(tag: string, command: Command): Promise<void> {
    const s = this.session;
    const before = s.state;
    this.#corked = true;
    try {
      await EXECUTORS[command.name](s, tag, command as never, this);
    } catch (err) {
      // DESIGN §3: a handler that failed or timed out is a temporary failure for the client.
      if (err instanceof HandlerFailure) await s.tagged(tag, "NO", "[UNAVAILABLE] Temporary failure, try again later");
      else {
        s.log.error("imap command failed", { command: command.name, error: err });
        await s.tagged(tag, "NO", "[SERVERBUG] Internal error, try again later");
      }
    } finally {
      this.#corked = false;
      await this.#flush();
    }
    if (before === "notauth" && s.state !== "notauth") this.#framer.useLimits(postAuthLimits(this.deps.appendLimit));
  }

  /**
   * Reads one raw line (a SASL response or IDLE's DONE); null at EOF, shutdown, a fatal framing
   * error, or when `timeoutMs` has passed since the call (a deadline: wake-ups for pushed
   * changes or keep-alives must not extend it).
   */
  async readRawLine(timeoutMs: number, onWake?: (s: ImapSession, tick: boolean) => Promise<void>, tickMs = 0): Promise<string | null> {
    const until = Date.now() + timeoutMs;
    let nextTick = tickMs > 0 ? Date.now() + tickMs : Infinity;
    for (;;) {
      const ev = this.#framer.next();
      if (ev) {
        if (ev.type === "command") return dec.decode(ev.line);
        if (ev.type === "reject") {
          // E.g. an oversized LITERAL+ during IDLE: answered like anywhere else.
          await this.write([enc.encode(ev.response)]);
          if (ev.fatal) {
            this.session.state = "logout";
            return null;
          }
        }
        continue;
      }
      if (this.#ended) return null;
      if (this.#shuttingDown) {
        // Server stop during IDLE or a SASL exchange: say BYE as run() does (RFC 9051 §7.1.5).
        await this.session.line("* BYE Server shutting down");
        this.session.state = "logout";
        return null;
      }
      // The client is about to be waited for: it must have seen everything written so far.
      await this.#flush();
      const now = Date.now();
      const left = until - now;
      if (left <= 0) return null;
      // One timer for the deadline and the next tick, whichever is first.
      this.#arm(Math.max(0, Math.min(left, nextTick - now)));
      await this.#sleep();
      this.#clearTimer();
      const woke = Date.now();
      if (this.#timedOut && woke >= until) return null;
      let tick = false;
      if (woke >= nextTick) {
        tick = true;
        while (nextTick <= woke) nextTick += tickMs;
      }
      if (onWake) await onWake(this.session, tick);
      // onWake may have ended the session (IDLE pushing BYE for a deleted mailbox).
      if (this.session.state === "logout") return null;
    }
  }

  /** Wakes a reader (IDLE: a change arrived that must be pushed now). */
  poke(): void {
    this.#wakeUp();
  }

  /** RFC 9051 §6.2.1: after the tagged OK, discard anything pipelined, then handshake. */
  async startTls(): Promise<boolean> {
    // The tagged OK goes out in cleartext before the handshake starts.
    await this.#flush();
    if (!this.deps.certs) return false;
    const secure = await switchToTls(this.#socket as net.Socket, this.deps.certs, {
      discard: () => void this.#framer.take(),
      detach: () => detachDriver(this.#socket, this),
      attach: (sock) => {
        this.#socket = sock;
        attachDriver(sock, this);
      },
    });
    if (!secure) {
      this.#ended = true;
      return false;
    }
    this.session.tls = tlsInfo(secure);
    return true;
  }

}
