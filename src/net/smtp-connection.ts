// Drives one SMTP/LMTP connection: frames bytes (lines, DATA, BDAT chunks), feeds the
// sans-I/O session, and carries out its actions (replies, events, STARTTLS, close).

import type * as net from "node:net";
import type * as tls from "node:tls";
import type { Bus } from "../events/bus.ts";
import { TraceBuffer } from "../events/trace.ts";
import type { DeliveryResult, SessionInfo } from "../events/catalog.ts";
import type { Logger } from "../log/logger.ts";
import { createSession, step } from "../protocol/smtp/session.ts";
import type { SessionOptions, SmtpAction, SmtpInput, SmtpState } from "../protocol/smtp/types.ts";
import { ChunkCollector, DataDecoder } from "../protocol/smtp/data-decoder.ts";
import { LineReader } from "./line-reader.ts";
import { switchToTls, tlsInfo } from "./tls.ts";
import { attachDriver, detachDriver, type SocketDriver } from "./watch-socket.ts";
import type { CertStore } from "./certs.ts";
import type { TraceEntry } from "../events/trace.ts";

export type SmtpConnectionDeps = {
  readonly bus: Bus;
  readonly certs: CertStore | null;
  readonly log: Logger;
  readonly newId: () => string;
  readonly now: () => number;
  readonly maxCommandLine: number;
  readonly maxTextLine: number;
  readonly commandTimeoutMs: number;
  readonly dataTimeoutMs: number;
  /** Persists a finished transaction's trace (not on the reply's critical path). */
  readonly saveTrace: (transactionId: string, messageId: string | null, sessionId: string, entries: TraceEntry[]) => Promise<void>;
};

type Mode = { kind: "line" } | { kind: "data"; decoder: DataDecoder } | { kind: "chunk"; collector: ChunkCollector; size: number; last: boolean; discard: boolean; left: number };

const utf8 = new TextDecoder("utf-8", { fatal: true });
const SASL_MAX_LINE = 12288;

/** Its own socket driver: no listener closures per connection (src/net/watch-socket.ts). */
export class SmtpConnection implements SocketDriver {
  #socket: net.Socket | tls.TLSSocket;
  #state: SmtpState;
  #reader: LineReader;
  #mode: Mode = { kind: "line" };
  #out: string[] = [];
  #wake: (() => void) | null = null;
  #ended = false;
  #bannerSent = false;
  /** Bytes arrived before the greeting was queued (RFC 5321 §4.3.1: an early talker). */
  #earlyTalker = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** BDAT chunks collected across one transaction (RFC 3030: the message is their concatenation). */
  #bdat: ChunkCollector | null = null;
  readonly #trace = new TraceBuffer();
  #results = new Map<string, unknown>();
  readonly #log: Logger;

  constructor(socket: net.Socket | tls.TLSSocket, session: SessionInfo, private readonly opts: SessionOptions, private readonly deps: SmtpConnectionDeps) {
    this.#socket = socket;
    this.#state = createSession(session, opts);
    this.#reader = new LineReader(deps.maxCommandLine);
    this.#log = deps.log.child({ session: session.id, proto: session.protocol, remote: session.remoteAddress });
    attachDriver(socket, this);
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
      this.#log.error("session failed", { error: err });
    } finally {
      this.#flush();
      this.#finishTrace(this.#state.session.id, null);
      this.#clearTimer();
      // end() flushes the last reply and sends FIN; once written, the socket is released
      // without waiting for the peer's FIN (a client that never closes holds nothing).
      const sock = this.#socket;
      sock.end(() => sock.destroy());
      setTimeout(() => sock.destroy(), 2000).unref?.();
      void this.deps.bus.notify("smtp.disconnect", { session: this.#state.session }, this.#log);
    }
  }

  /** SocketDriver: EOF, close or error. */
  onSocketGone(err?: Error): void {
    if (err) this.#log.debug("socket error", { error: err });
    this.#end();
  }

  #end(): void {
    this.#ended = true;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** SocketDriver: bytes from the client. */
  onSocketBytes(bytes: Uint8Array): void {
    // Decided on arrival, not when the line is framed: by then the greeting may already be
    // queued (the connect handler ran while the bytes waited in the buffer).
    if (!this.#bannerSent && bytes.length > 0) this.#earlyTalker = true;
    this.#reader.push(bytes);
    // Pipelining must not buffer unboundedly: pause reading while a lot is waiting.
    if (this.#reader.buffered > 256 * 1024) this.#socket.pause();
    this.#wakeUp();
  }

  /** Waits for and frames the next input according to the current mode. */
  async #nextInput(): Promise<SmtpInput | null> {
    for (;;) {
      if (this.#socket.isPaused() && this.#reader.buffered < 64 * 1024) this.#socket.resume();
      const input = this.#frame();
      if (input) return input;
      if (this.#ended) return null;
      // Shutting down: a session waiting for its next command is told so (RFC 5321 §3.8);
      // one inside DATA/BDAT finishes first.
      if (this.#shuttingDown && this.#mode.kind === "line") return { type: "shutdown" };
      // Framing may have consumed everything in one go (DATA, BDAT, a skipped over-long line):
      // resume here too, or a socket paused above 256 KiB is never read again (deadlock).
      if (this.#socket.isPaused() && this.#reader.buffered < 64 * 1024) this.#socket.resume();
      this.#flush();
      this.#armTimer();
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#clearTimer();
      if (this.#timedOut) {
        this.#timedOut = false;
        return { type: "timeout" };
      }
    }
  }

  #timedOut = false;
  #shuttingDown = false;

  /** Asks the session to end at its next command boundary (server stop, SIGTERM). */
  shutdown(): void {
    this.#shuttingDown = true;
    this.#wakeUp();
  }

  #armTimer(): void {
    const ms = this.#mode.kind === "line" ? this.deps.commandTimeoutMs : this.deps.dataTimeoutMs;
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#wakeUp();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #frame(): SmtpInput | null {
    const m = this.#mode;
    switch (m.kind) {
      case "line": {
        const ev = this.#reader.next();
        if (!ev) return null;
        if (ev.type === "too-long") return { type: "line-too-long" };
        let line: string;
        try {
          line = utf8.decode(ev.bytes);
        } catch {
          return { type: "invalid-utf8" };
        }
        return { type: "line", line, early: this.#earlyTalker };
      }
      case "data": {
        const bytes = this.#reader.take();
        if (bytes.length === 0) return null;
        const r = m.decoder.push(bytes);
        if (!r.done) return null;
        this.#reader.push(r.rest);
        this.#mode = { kind: "line" };
        const res = m.decoder.result();
        return { type: "data", body: res.body, error: res.error, receivedAt: this.deps.now() };
      }
      case "chunk": {
        if (m.left > 0) {
          const bytes = this.#reader.take();
          if (bytes.length === 0) return null;
          const take = Math.min(bytes.length, m.left);
          if (!m.discard) m.collector.push(bytes.subarray(0, take));
          m.left -= take;
          this.#reader.push(bytes.subarray(take));
          if (m.left > 0) return null;
        }
        this.#mode = { kind: "line" };
        const res = m.collector.result();
        const tooBig = !m.discard && res.error === "too-big";
        const body = m.last && !m.discard ? res.body : null;
        return { type: "chunk", body, tooBig, last: m.last, size: m.size, receivedAt: this.deps.now() };
      }
    }
  }

  async #feed(input: SmtpInput): Promise<void> {
    const queue: SmtpInput[] = [input];
    while (queue.length > 0) {
      const { actions } = step(this.#state, queue.shift()!, { newId: this.deps.newId });
      for (const a of actions) {
        const next = await this.#act(a);
        if (next) queue.push(next);
      }
    }
    // RFC 4954 §4: a SASL response line is not bound by the command-line limit (12288
    // octets covers every mechanism we offer); back to the normal cap afterwards.
    this.#reader.setMaxLine(this.#state.sasl ? Math.max(SASL_MAX_LINE, this.deps.maxCommandLine) : this.deps.maxCommandLine);
  }

  #scope() {
    return { log: this.#log, results: this.#results, trace: this.#trace };
  }

  async #act(a: SmtpAction): Promise<SmtpInput | null> {
    switch (a.type) {
      case "reply":
        this.#out.push(a.text);
        this.#traceReply(a.text);
        if (a.text.startsWith("220 ") || a.text.startsWith("554 ") || a.text.startsWith("421 ")) this.#bannerSent = true;
        return null;
      case "policy": {
        const verdict = await this.deps.bus.policy(a.event, a.payload as never, this.#scope());
        return { type: "verdict", verdict };
      }
      case "provide":
        try {
          const result = await this.deps.bus.provide(a.event, a.payload as never, this.#scope());
          if (a.event === "message.deliver") this.#notifyDelivered(result as DeliveryResult);
          return { type: "provided", result };
        } catch {
          return { type: "provide-failed" };
        }
      case "startTls":
        return this.#startTls();
      case "readData":
        this.#mode = { kind: "data", decoder: new DataDecoder({ maxBytes: this.opts.maxMessageBytes, maxLineLength: this.deps.maxTextLine, bareLineEnding: "reject" }) };
        return null;
      case "readChunk": {
        this.#bdat ??= new ChunkCollector({ maxBytes: this.opts.maxMessageBytes });
        if (!a.discard) this.#bdat.expect(a.size);
        this.#mode = { kind: "chunk", collector: this.#bdat, size: a.size, last: a.last, discard: a.discard, left: a.size };
        return null;
      }
      case "notify":
        // Awaited (unlike the fire-and-forget notifications after delivery): an AUTH failure
        // must be counted before the 535 goes out, or a client could outrun the counter.
        // Handler errors are logged by the bus and never reach the client.
        await this.deps.bus.notify(a.event, a.payload, this.#log);
        return null;
      case "delay":
        this.#flush();
        await new Promise((r) => setTimeout(r, a.ms));
        return null;
      case "endTransaction":
        this.#bdat = null;
        this.#finishTrace(a.transactionId, a.messageId);
        this.#results = new Map();
        return null;
      case "close":
        this.#flush();
        return null;
    }
  }

  async #startTls(): Promise<SmtpInput | null> {
    if (!this.deps.certs) return null;
    this.#flush();
    // RFC 3207 §4 / DESIGN §5: pipelined bytes are discarded; see switchToTls.
    const secure = await switchToTls(this.#socket as net.Socket, this.deps.certs, {
      discard: () => void this.#reader.take(),
      detach: () => detachDriver(this.#socket, this),
      attach: (sock) => {
        this.#socket = sock;
        attachDriver(sock, this);
      },
    });
    if (!secure) {
      this.#log.info("STARTTLS handshake failed");
      this.#state.closed = true;
      this.#ended = true;
      return null;
    }
    return { type: "tls", info: tlsInfo(secure) };
  }


  /** Notifications run after the commit (DESIGN §3); they never delay or change the reply. */
  #notifyDelivered(r: DeliveryResult): void {
    if (r.stored.length > 0) void this.deps.bus.notify("message.delivered", { transactionId: r.queueId, targets: r.stored }, this.#log);
    if (r.queued.length > 0) void this.deps.bus.notify("message.queued", { transactionId: r.queueId, recipients: r.queued }, this.#log);
  }

  #flush(): void {
    if (this.#out.length === 0 || this.#socket.destroyed) {
      this.#out = [];
      return;
    }
    this.#socket.write(this.#out.join(""));
    this.#out = [];
  }

  /**
   * Refusals decided by the core (relay denied, limits, syntax) are traced like handler
   * verdicts, so `hikyaku trace` explains every 4xx/5xx the client saw.
   */
  #traceReply(text: string): void {
    const m = /^([45]\d\d)[ -](?:([45]\.\d{1,3}\.\d{1,3}) )?([^\r\n]*)/.exec(text);
    if (!m) return;
    const code = Number(m[1]);
    this.#trace.add({ event: "smtp.reply", handler: "core", verdict: code >= 500 ? "reject" : "tempfail", code, enhanced: m[2] ?? null, text: m[3], durationMs: 0, at: this.deps.now() });
  }

  #finishTrace(transactionId: string, messageId: string | null): void {
    const entries = this.#trace.take();
    if (entries.length === 0) return;
    this.deps.saveTrace(transactionId, messageId, this.#state.session.id, entries).catch((err) => this.#log.error("trace not saved", { error: err }));
  }
}
