// A raw line-level SMTP client for transcript tests: send exact bytes, read whole replies
// (multi-line aware), upgrade with STARTTLS — no library smoothing over protocol errors.

import * as net from "node:net";
import * as tls from "node:tls";

export class RawSmtp {
  #sock: net.Socket | tls.TLSSocket;
  #buf = "";
  #waiters: (() => void)[] = [];
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

  /** `localAddress`: the source address, e.g. another loopback address to act as another client. */
  static async connect(port: number, opts: { tls?: boolean; host?: string; localAddress?: string } = {}): Promise<RawSmtp> {
    const host = opts.host ?? "127.0.0.1";
    const local = opts.localAddress ? { localAddress: opts.localAddress } : {};
    const sock = await new Promise<net.Socket | tls.TLSSocket>((resolve, reject) => {
      const s = opts.tls
        ? tls.connect({ host, port, rejectUnauthorized: false, ...local }, () => resolve(s))
        : net.connect({ host, port, ...local }, () => resolve(s));
      s.once("error", reject);
    });
    return new RawSmtp(sock);
  }

  send(text: string | Uint8Array): void {
    this.#sock.write(text);
  }

  /** Reads one complete reply (all continuation lines); rejects after timeoutMs. */
  async reply(timeoutMs = 5000): Promise<{ code: number; lines: string[]; text: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.#buf);
      if (m) {
        this.#buf = this.#buf.slice(m[0].length);
        const lines = m[0].split("\r\n").filter((l) => l.length > 0);
        return { code: Number(lines.at(-1)!.slice(0, 3)), lines, text: m[0] };
      }
      if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.#buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply in ${timeoutMs} ms; buffered: ${JSON.stringify(this.#buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a command line (CRLF added) and returns its reply. */
  async cmd(line: string, timeoutMs?: number) {
    this.send(line + "\r\n");
    return this.reply(timeoutMs);
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

  /** Resolves when the server closes the connection (or after timeoutMs, with false). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  get buffered(): string {
    return this.#buf;
  }

  close(): void {
    this.#sock.destroy();
  }
}
