// A scriptable raw-TCP SMTP server on loopback for delivery tests: per-stage replies, hangs,
// drops, STARTTLS with a chosen certificate, chosen EHLO keywords. Records every byte it
// receives (cleartext and, separately, what arrived inside TLS) and each transaction.

import * as net from "node:net";
import * as tls from "node:tls";

export type FakeReply = string | "hang" | "drop";

export type FakeSmtpOptions = {
  /** Listen address (any 127.x.y.z works on Linux, so several "MX hosts" can share a port). */
  host?: string;
  /** Listen port; default ephemeral. */
  port?: number;
  /** Greeting; default "220 fake.test ESMTP". */
  greeting?: FakeReply;
  /** EHLO reply override (e.g. "421 4.3.2 busy"); otherwise 250 with `extensions`. */
  ehlo?: FakeReply;
  /** HELO reply (the client falls back to HELO after a failed EHLO); default "250 fake.test". */
  helo?: FakeReply;
  /** EHLO keywords; default PIPELINING 8BITMIME SMTPUTF8 DSN SIZE ENHANCEDSTATUSCODES (+STARTTLS with tls). */
  extensions?: string[];
  /** Certificate for STARTTLS; without it STARTTLS is neither offered nor accepted. */
  tls?: { certPem: string; keyPem: string };
  /** Advertise STARTTLS but answer it with this (e.g. "454 4.7.0 TLS not available"). */
  starttlsReply?: string;
  mail?: (from: string, line: string) => FakeReply;
  rcpt?: (to: string, line: string) => FakeReply;
  /** Reply to the DATA command; default "354 go ahead". */
  data?: FakeReply;
  /** Reply after the final dot; default "250 2.0.0 Ok queued". */
  dataDone?: FakeReply | ((tx: FakeTransaction) => FakeReply);
};

export type FakeTransaction = {
  mailFrom: string;
  mailLine: string;
  rcptLines: string[];
  recipients: string[];
  /** Raw DATA bytes as received, up to and including the final CRLF.CRLF. */
  data: Buffer;
  tls: boolean;
  /** The reply we gave after the final dot. */
  reply: string;
};

export type FakeSmtp = {
  readonly host: string;
  readonly port: number;
  /** Every cleartext byte received, across connections. */
  cleartext(): Buffer;
  /** Every byte received inside TLS. */
  secured(): Buffer;
  readonly transactions: FakeTransaction[];
  readonly commands: string[];
  connections(): number;
  stop(): Promise<void>;
};

const DEFAULT_EXT = ["PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "SIZE 10000000", "ENHANCEDSTATUSCODES"];
const MAX_BUFFER = 8 * 1024 * 1024;

export async function startFakeSmtp(opts: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  const clear: Buffer[] = [];
  const secure: Buffer[] = [];
  const transactions: FakeTransaction[] = [];
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  let count = 0;

  const server = net.createServer((raw) => {
    count++;
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    raw.on("error", () => {});
    let sock: net.Socket = raw;
    let secured = false;
    let buf = Buffer.alloc(0);
    let inData = false;
    let dead = false;
    let tx: Omit<FakeTransaction, "data" | "reply" | "tls"> | null = null;

    const send = (r: FakeReply): boolean => {
      if (dead) return false;
      if (r === "hang") {
        dead = true; // read on, answer nothing
        return false;
      }
      if (r === "drop") {
        dead = true;
        raw.destroy();
        return false;
      }
      sock.write(r.endsWith("\r\n") ? r : r + "\r\n");
      return true;
    };

    const ehloReply = () => {
      const ext = [...(opts.extensions ?? DEFAULT_EXT)];
      if ((opts.tls || opts.starttlsReply) && !secured) ext.push("STARTTLS");
      const lines = ["fake.test greets you", ...ext];
      return lines.map((l, i) => `250${i === lines.length - 1 ? " " : "-"}${l}`).join("\r\n");
    };

    const onLine = (line: string): void => {
      commands.push(line);
      const verb = line.split(" ")[0].toUpperCase();
      switch (verb) {
        case "EHLO":
          send(opts.ehlo ?? ehloReply());
          return;
        case "HELO":
          send(opts.helo ?? "250 fake.test");
          return;
        case "STARTTLS": {
          if (opts.starttlsReply) return void send(opts.starttlsReply);
          if (!opts.tls || secured) return void send("502 5.5.1 STARTTLS not available");
          send("220 2.0.0 Ready to start TLS");
          buf = Buffer.alloc(0); // RFC 3207 §4.2 / DESIGN §5: nothing buffered survives the upgrade
          raw.removeAllListeners("data");
          const t = new tls.TLSSocket(raw, { isServer: true, cert: opts.tls.certPem, key: opts.tls.keyPem });
          t.on("error", () => raw.destroy());
          t.on("data", (d: Buffer) => onData(d, true));
          sock = t;
          secured = true;
          return;
        }
        case "MAIL": {
          const from = /<([^>]*)>/.exec(line)?.[1] ?? "";
          if (send(opts.mail?.(from, line) ?? "250 2.1.0 Ok")) tx = { mailFrom: from, mailLine: line, rcptLines: [], recipients: [] };
          return;
        }
        case "RCPT": {
          const to = /<([^>]*)>/.exec(line)?.[1] ?? "";
          const r = opts.rcpt?.(to, line) ?? "250 2.1.5 Ok";
          if (send(r) && r.startsWith("2") && tx) {
            tx.recipients.push(to);
            tx.rcptLines.push(line);
          }
          return;
        }
        case "DATA":
          if (!tx || tx.recipients.length === 0) return void send("554 5.5.1 No valid recipients");
          if (send(opts.data ?? "354 go ahead") && (opts.data ?? "354").startsWith("354")) inData = true;
          return;
        case "RSET":
          tx = null;
          send("250 2.0.0 Ok");
          return;
        case "NOOP":
          send("250 2.0.0 Ok");
          return;
        case "QUIT":
          send("221 2.0.0 Bye");
          sock.end();
          return;
        default:
          send("502 5.5.2 Command not recognized");
      }
    };

    const onData = (d: Buffer, viaTls: boolean): void => {
      (viaTls ? secure : clear).push(d);
      if (dead) return;
      buf = Buffer.concat([buf, d]);
      if (buf.length > MAX_BUFFER) return void raw.destroy();
      // Bounded: each pass consumes at least one line or stops.
      for (let guard = 0; guard < 100_000; guard++) {
        if (inData) {
          const end = buf.indexOf("\r\n.\r\n");
          const atStart = buf.subarray(0, 3).toString("latin1") === ".\r\n";
          if (end === -1 && !atStart) return;
          const len = atStart ? 3 : end + 5;
          const data = buf.subarray(0, len);
          buf = buf.subarray(len);
          inData = false;
          const done = { ...tx!, data: Buffer.from(data), tls: secured, reply: "" };
          const r = typeof opts.dataDone === "function" ? opts.dataDone(done) : (opts.dataDone ?? "250 2.0.0 Ok queued");
          done.reply = r;
          transactions.push(done);
          tx = null;
          send(r);
          continue;
        }
        const nl = buf.indexOf("\r\n");
        if (nl === -1) return;
        const line = buf.subarray(0, nl).toString("utf8");
        buf = buf.subarray(nl + 2);
        onLine(line);
        if (line.toUpperCase() === "STARTTLS" && secured) return;
      }
    };

    raw.on("data", (d: Buffer) => onData(d, false));
    send(opts.greeting ?? "220 fake.test ESMTP");
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    cleartext: () => Buffer.concat(clear),
    secured: () => Buffer.concat(secure),
    transactions,
    commands,
    connections: () => count,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
