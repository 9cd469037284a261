// A small raw IMAP client for the IMAP bench: one socket (Bun.connect), tagged commands one
// at a time, server literals read by byte count, client literals (LITERAL+ or synchronizing),
// LOGIN and SCRAM-SHA-256 (imap-scram.ts). Enough for a load generator; not a general client.

import type { Socket } from "bun";
import { scramAuthenticate } from "./imap-scram.ts";

export type Untagged = {
  /** The response text with each literal replaced by its `{n}` marker (CRLF dropped). */
  readonly line: string;
  readonly literals: readonly Uint8Array[];
};

export type Tagged = { readonly status: "OK" | "NO" | "BAD"; readonly text: string; readonly untagged: readonly Untagged[] };

export class ImapError extends Error {}

type Pending = {
  tag: string;
  untagged: Untagged[];
  resolve: (t: Tagged) => void;
  reject: (e: Error) => void;
  onContinue: ((text: string) => string | Uint8Array) | null;
  timer: ReturnType<typeof setTimeout>;
};

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Shared by every socket: one handler object however many connections (the idle test opens 10k). */
const HANDLERS = {
  data(sock: Socket<ImapClient>, chunk: Buffer) {
    sock.data.onBytes(chunk);
  },
  drain(sock: Socket<ImapClient>) {
    sock.data.flush();
  },
  close(sock: Socket<ImapClient>) {
    sock.data.onClose(null);
  },
  end(sock: Socket<ImapClient>) {
    sock.data.onClose(null);
  },
  error(sock: Socket<ImapClient>, err: Error) {
    sock.data.onClose(err);
  },
  connectError(sock: Socket<ImapClient>, err: Error) {
    sock.data?.onClose(err);
  },
};

export class ImapClient {
  #sock: Socket<ImapClient> | null = null;
  // Received bytes not yet parsed: buf[off, len).
  #buf: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  #off = 0;
  #len = 0;
  #scan = 0;
  // The response being assembled: text pieces and literals read so far.
  #parts: string[] = [];
  #lits: Uint8Array[] = [];
  #litNeed = -1;
  #out: Uint8Array[] = [];
  #pending: Pending | null = null;
  #greeting: { resolve: (l: string) => void; reject: (e: Error) => void } | null = null;
  #seq = 0;
  #closed = false;
  /** Untagged responses that arrived with no command in flight (IDLE pushes, keep-alives). */
  unsolicited = 0;
  greeting = "";
  capabilities = new Set<string>();

  static async connect(port: number, opts: { host?: string; timeoutMs?: number } = {}): Promise<ImapClient> {
    const c = new ImapClient();
    const greeted = new Promise<string>((resolve, reject) => (c.#greeting = { resolve, reject }));
    const timer = setTimeout(() => c.#greeting?.reject(new ImapError("no greeting in time")), opts.timeoutMs ?? 30_000);
    try {
      c.#sock = await Bun.connect({ hostname: opts.host ?? "127.0.0.1", port, data: c, socket: HANDLERS });
      c.greeting = await greeted;
    } catch (e) {
      c.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    c.#takeCaps(c.greeting);
    return c;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `TAG command` (no CRLF in `command`); `onContinue` answers each "+ " (literals, SASL). */
  command(command: string | Uint8Array, opts: { timeoutMs?: number; onContinue?: (text: string) => string | Uint8Array } = {}): Promise<Tagged> {
    if (this.#closed) return Promise.reject(new ImapError("connection closed"));
    if (this.#pending) return Promise.reject(new ImapError("a command is already in flight"));
    const tag = `a${++this.#seq}`;
    return new Promise<Tagged>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending = null;
        reject(new ImapError(`timeout: ${tag} ${typeof command === "string" ? command.slice(0, 80) : "(bytes)"}`));
        this.close();
      }, opts.timeoutMs ?? 60_000);
      this.#pending = { tag, untagged: [], resolve, reject, onContinue: opts.onContinue ?? null, timer };
      if (typeof command === "string") this.#write(enc.encode(`${tag} ${command}\r\n`));
      else {
        this.#write(enc.encode(`${tag} `));
        this.#write(command);
        this.#write(enc.encode("\r\n"));
      }
    });
  }

  /** Like command(), but a tagged NO/BAD throws. */
  async ok(command: string, opts?: { timeoutMs?: number; onContinue?: (text: string) => string | Uint8Array }): Promise<Tagged> {
    const r = await this.command(command, opts);
    if (r.status !== "OK") throw new ImapError(`${command.split(" ")[0]}: ${r.status} ${r.text}`);
    return r;
  }

  async login(user: string, password: string): Promise<void> {
    const r = await this.ok(`LOGIN ${quote(user)} ${quote(password)}`);
    this.#takeCaps(r.text);
  }

  /** SCRAM-SHA-256 (RFC 5802, RFC 7677) with SASL-IR; cheap on the server, unlike a scrypt LOGIN. */
  async scram(user: string, password: string): Promise<void> {
    const r = await scramAuthenticate(this, user, password);
    this.#takeCaps(r.text);
  }

  /** Starts IDLE and resolves at the "+" (the command stays in flight until done()). */
  idle(): { started: Promise<void>; finished: Promise<Tagged> } {
    let started!: () => void;
    const s = new Promise<void>((r) => (started = r));
    const finished = this.command("IDLE", {
      timeoutMs: 24 * 3600_000,
      onContinue: () => {
        started();
        return new Uint8Array(0);
      },
    });
    finished.catch(() => {});
    // A tagged answer before the "+" means IDLE was refused.
    const refused = finished.then((t) => {
      throw new ImapError(`IDLE: ${t.status} ${t.text}`);
    });
    return { started: Promise.race([s, refused]), finished };
  }

  done(): void {
    this.#write(enc.encode("DONE\r\n"));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#sock?.end();
    } catch {}
    this.onClose(null);
  }

  // ---- socket side ----

  #write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#out.push(bytes);
    this.flush();
  }

  flush(): void {
    const s = this.#sock;
    if (!s) return;
    while (this.#out.length > 0) {
      const b = this.#out[0];
      const n = s.write(b);
      if (n < 0) return this.onClose(new ImapError("write failed"));
      if (n < b.length) {
        this.#out[0] = b.subarray(n);
        return; // the rest goes on drain
      }
      this.#out.shift();
    }
  }

  onClose(err: Error | null): void {
    const wasClosed = this.#closed;
    this.#closed = true;
    const e = err ?? new ImapError("connection closed by the server");
    this.#greeting?.reject(e);
    this.#greeting = null;
    const p = this.#pending;
    if (p) {
      this.#pending = null;
      clearTimeout(p.timer);
      p.reject(e);
    }
    if (!wasClosed) {
      try {
        this.#sock?.terminate();
      } catch {}
    }
  }

  onBytes(chunk: Uint8Array): void {
    this.#append(chunk);
    for (;;) {
      if (this.#litNeed >= 0) {
        if (this.#len - this.#off < this.#litNeed) return;
        this.#lits.push(this.#buf.slice(this.#off, this.#off + this.#litNeed));
        this.#off += this.#litNeed;
        this.#scan = this.#off;
        this.#litNeed = -1;
        continue;
      }
      const lf = this.#buf.indexOf(10, this.#scan);
      if (lf < 0 || lf >= this.#len) {
        this.#scan = this.#len;
        return;
      }
      const end = lf > this.#off && this.#buf[lf - 1] === 13 ? lf - 1 : lf;
      const piece = latin1.decode(this.#buf.subarray(this.#off, end));
      this.#off = lf + 1;
      this.#scan = this.#off;
      const m = /\{(\d+)\}$/.exec(piece);
      this.#parts.push(piece);
      if (m) {
        this.#litNeed = Number(m[1]);
        continue;
      }
      const line = this.#parts.length === 1 ? piece : this.#parts.join("");
      const lits = this.#lits;
      this.#parts = [];
      this.#lits = [];
      this.#response(line, lits);
    }
  }

  #append(chunk: Uint8Array): void {
    if (this.#off === this.#len) {
      // Everything consumed: parse the chunk in place (no copy) when nothing is pending.
      this.#buf = chunk;
      this.#off = 0;
      this.#scan = 0;
      this.#len = chunk.length;
      return;
    }
    const keep = this.#len - this.#off;
    const need = keep + chunk.length;
    const own = new Uint8Array(Math.max(need, 4096, keep * 2));
    own.set(this.#buf.subarray(this.#off, this.#len));
    own.set(chunk, keep);
    this.#scan -= this.#off;
    this.#buf = own;
    this.#off = 0;
    this.#len = need;
  }

  #response(line: string, literals: Uint8Array[]): void {
    if (this.#greeting) {
      const g = this.#greeting;
      this.#greeting = null;
      if (line.startsWith("* OK") || line.startsWith("* PREAUTH")) g.resolve(line);
      else g.reject(new ImapError(`bad greeting: ${line}`));
      return;
    }
    const p = this.#pending;
    if (line.startsWith("+")) {
      if (!p?.onContinue) return this.onClose(new ImapError(`unexpected continuation: ${line}`));
      try {
        const reply = p.onContinue(line.slice(2));
        this.#write(typeof reply === "string" ? enc.encode(reply) : reply);
      } catch (e) {
        this.onClose(e as Error);
      }
      return;
    }
    if (line.startsWith("* ")) {
      if (p) p.untagged.push({ line, literals });
      else this.unsolicited++;
      return;
    }
    const sp = line.indexOf(" ");
    const tag = line.slice(0, sp);
    if (!p || tag !== p.tag) return this.onClose(new ImapError(`unexpected tagged response: ${line}`));
    this.#pending = null;
    clearTimeout(p.timer);
    const rest = line.slice(sp + 1);
    const sp2 = rest.indexOf(" ");
    const status = (sp2 < 0 ? rest : rest.slice(0, sp2)).toUpperCase();
    if (status !== "OK" && status !== "NO" && status !== "BAD") return this.onClose(new ImapError(`bad tagged response: ${line}`));
    p.resolve({ status, text: sp2 < 0 ? "" : rest.slice(sp2 + 1), untagged: p.untagged });
  }

  #takeCaps(text: string): void {
    const m = /\[CAPABILITY ([^\]]*)\]/i.exec(text);
    if (m) this.capabilities = new Set(m[1].toUpperCase().split(" "));
  }
}

/** A quoted string (RFC 9051 §4.3); the bench's names and passwords never need a literal. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `* N EXISTS` / `* N EXPUNGE` bookkeeping for a client that tracks the message count. */
export function applyCounts(untagged: readonly Untagged[], exists: number): number {
  for (const u of untagged) {
    const m = /^\* (\d+) (EXISTS|EXPUNGE)\b/i.exec(u.line);
    if (!m) continue;
    if (m[2].toUpperCase() === "EXISTS") exists = Number(m[1]);
    else exists--;
  }
  return exists;
}
