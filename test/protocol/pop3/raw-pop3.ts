// Test kit for POP3: a raw client that sends exact bytes and reads status lines or whole
// multi-line responses (no smoothing), and a way to put messages straight into an INBOX.

import * as net from "node:net";
import * as tls from "node:tls";
import type { Db } from "../../../src/db/client.ts";
import { parseMime } from "../../../src/protocol/mime/parse.ts";
import { findAccount } from "../../../src/store/accounts.ts";
import { deliverOp, hashBody, readDeliveries } from "../../../src/store/messages.ts";
import { newQueueId } from "../../../src/store/ids.ts";

export class RawPop3 {
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

  static async connect(port: number, opts: { tls?: boolean } = {}): Promise<RawPop3> {
    const sock = await new Promise<net.Socket | tls.TLSSocket>((resolve, reject) => {
      const s = opts.tls ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(s)) : net.connect({ host: "127.0.0.1", port }, () => resolve(s));
      s.once("error", reject);
    });
    return new RawPop3(sock);
  }

  /** Connects, reads the greeting, and logs in with USER/PASS (cleartext allowed on loopback in tests). */
  static async login(port: number, user = "alice@example.test", opts: { tls?: boolean } = {}): Promise<RawPop3> {
    const c = await RawPop3.connect(port, opts);
    await c.line();
    await c.cmd(`USER ${user}`);
    const r = await c.cmd(`PASS ${user.split("@")[0]}-pw`);
    if (!r.startsWith("+OK")) throw new Error(`login failed: ${r}`);
    return c;
  }

  get socket(): net.Socket | tls.TLSSocket {
    return this.#sock;
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

  /** One line without its CRLF. */
  line(timeoutMs = 5000): Promise<string> {
    return this.#waitFor(() => {
      const i = this.#buf.indexOf("\r\n");
      if (i < 0) return null;
      const l = this.#buf.slice(0, i);
      this.#buf = this.#buf.slice(i + 2);
      return l;
    }, timeoutMs);
  }

  /** Sends a command and reads its status line. */
  async cmd(line: string, timeoutMs = 5000): Promise<string> {
    this.send(line + "\r\n");
    return this.line(timeoutMs);
  }

  /**
   * Reads a multi-line response: the status line and, after +OK, everything up to the
   * terminating "." line, verbatim (still byte-stuffed) as `raw`, and as unstuffed `lines`.
   */
  async multi(timeoutMs = 5000): Promise<{ status: string; raw: string; lines: string[] }> {
    const status = await this.line(timeoutMs);
    if (!status.startsWith("+OK")) return { status, raw: "", lines: [] };
    const raw = await this.#waitFor(() => {
      const end = this.#buf.startsWith(".\r\n") ? 0 : this.#buf.indexOf("\r\n.\r\n");
      if (end < 0) return null;
      const body = end === 0 ? "" : this.#buf.slice(0, end + 2);
      this.#buf = this.#buf.slice(end === 0 ? 3 : end + 5);
      return body;
    }, timeoutMs);
    const lines = raw === "" ? [] : raw.slice(0, -2).split("\r\n").map((l) => (l.startsWith(".") ? l.slice(1) : l));
    return { status, raw, lines };
  }

  /** Sends a command whose answer is multi-line on success. */
  async multiCmd(line: string, timeoutMs = 5000): Promise<{ status: string; raw: string; lines: string[] }> {
    this.send(line + "\r\n");
    return this.multi(timeoutMs);
  }

  /** Bytes received but not yet read. */
  pending(): string {
    return this.#buf;
  }

  /** STLS then the client side of the handshake; returns the negotiated protocol. */
  async stls(): Promise<string> {
    const r = await this.cmd("STLS");
    if (!r.startsWith("+OK")) throw new Error(`STLS refused: ${r}`);
    return this.upgrade();
  }

  async upgrade(): Promise<string> {
    const plain = this.#sock as net.Socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: plain, rejectUnauthorized: false }, () => resolve(s));
      s.once("error", reject);
    });
    this.#sock = secure;
    this.#buf = "";
    this.#listen(secure);
    return secure.getProtocol() ?? "unknown";
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.#waitFor(() => (this.closed ? true : null), timeoutMs).catch((e) => {
      if (!this.closed) throw e;
    });
  }

  close(): void {
    this.#sock.destroy();
  }
}

const enc = new TextEncoder();

/** Stores `raw` in the INBOX of `address` as a local delivery would; returns its UID. */
export async function deliver(db: Db, address: string, raw: string | Uint8Array, flags: string[] = []): Promise<number> {
  const acct = await findAccount(db, address);
  if (!acct) throw new Error(`no account ${address}`);
  const bytes = typeof raw === "string" ? enc.encode(raw) : raw;
  const res = await db.writer.write(
    deliverOp({
      bodyHash: hashBody(bytes),
      raw: bytes,
      mimeJson: JSON.stringify(parseMime(bytes)),
      internalDate: Date.now(),
      queueId: newQueueId(),
      targets: [{ accountId: acct.id, mailbox: "INBOX" }],
      flags,
    }),
  );
  return readDeliveries(res)[0].uid;
}

/** A small message with CRLF line ends. */
export function sampleMessage(subject: string, body = `Body of ${subject}\r\n`): string {
  return `From: sender@example.net\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}@example.net>\r\n\r\n${body}`;
}
