// A raw IMAP client for transcript tests: sends exact bytes, collects every response line
// (literals included verbatim) up to the tagged completion. No library smoothing.

import * as net from "node:net";
import * as tls from "node:tls";

export type ImapResponse = { tag: string; status: string; text: string; untagged: string[]; raw: string };

export class RawImap {
  #sock: net.Socket | tls.TLSSocket;
  #buf = "";
  #waiters: (() => void)[] = [];
  #n = 0;
  closed = false;

  private constructor(sock: net.Socket | tls.TLSSocket) {
    this.#sock = sock;
    this.#listen(sock);
  }

  #listen(sock: net.Socket | tls.TLSSocket): void {
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      this.#buf += d;
      this.#wake();
    });
    sock.on("close", () => {
      this.closed = true;
      this.#wake();
    });
    sock.on("error", () => {});
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  static async connect(port: number, opts: { tls?: boolean } = {}): Promise<RawImap> {
    const sock = await new Promise<net.Socket | tls.TLSSocket>((resolve, reject) => {
      const s = opts.tls ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(s)) : net.connect({ host: "127.0.0.1", port }, () => resolve(s));
      s.once("error", reject);
    });
    return new RawImap(sock);
  }

  /** Connects, reads the greeting and logs in as `user` (plaintext allowed on loopback in tests). */
  static async login(port: number, user = "alice@example.test", password = user.split("@")[0] + "-pw"): Promise<RawImap> {
    const c = await RawImap.connect(port);
    await c.line();
    const r = await c.cmd(`LOGIN ${user} ${password}`);
    if (r.status !== "OK") throw new Error(`login failed: ${r.raw}`);
    return c;
  }

  send(text: string | Uint8Array): void {
    this.#sock.write(text);
  }

  async #waitFor<T>(test: () => T | null, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = test();
      if (v !== null) return v;
      if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.#buf.slice(0, 500))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; buffered: ${JSON.stringify(this.#buf.slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** One response line, with any literals it announces appended verbatim. */
  async line(timeoutMs = 5000): Promise<string> {
    return this.#waitFor(() => {
      let pos = 0;
      for (;;) {
        const eol = this.#buf.indexOf("\r\n", pos);
        if (eol < 0) return null;
        const m = /\{(\d+)\+?\}$/.exec(this.#buf.slice(pos, eol));
        if (!m) {
          const line = this.#buf.slice(0, eol);
          this.#buf = this.#buf.slice(eol + 2);
          return line;
        }
        const end = eol + 2 + Number(m[1]);
        if (this.#buf.length < end) return null;
        pos = end;
      }
    }, timeoutMs);
  }

  /** Sends `TAG command` and returns everything up to the tagged response. */
  async cmd(command: string, timeoutMs = 5000): Promise<ImapResponse> {
    const tag = `T${++this.#n}`;
    this.send(`${tag} ${command}\r\n`);
    return this.until(tag, timeoutMs);
  }

  async until(tag: string, timeoutMs = 5000): Promise<ImapResponse> {
    const untagged: string[] = [];
    const lines: string[] = [];
    for (;;) {
      const l = await this.line(timeoutMs);
      lines.push(l);
      if (l.startsWith(tag + " ")) {
        const [, status, ...rest] = l.split(" ");
        return { tag, status, text: rest.join(" "), untagged, raw: lines.join("\r\n") };
      }
      untagged.push(l);
    }
  }

  async startTls(): Promise<void> {
    const plain = this.#sock as net.Socket;
    plain.removeAllListeners("data");
    this.#buf = "";
    this.#sock = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: plain, rejectUnauthorized: false }, () => resolve(s));
      s.once("error", reject);
    });
    this.#listen(this.#sock);
  }

  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.#sock.destroy();
  }
}
