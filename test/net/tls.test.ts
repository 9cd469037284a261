// TLS over real sockets on 127.0.0.1: implicit TLS, version floor, STARTTLS (and injection),
// SNI, handshake timeout, and certificate reload without restarting the listener.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { ensureSelfSigned, loadCertificates, type CertStore } from "../../src/net/certs.ts";
import {
  createTlsServerOptions,
  describeTls,
  followCertReloads,
  formatTlsComment,
  TlsError,
  upgradeToTls,
} from "../../src/net/tls.ts";

let dir = "";
const fp = async (path: string) => new X509Certificate(await readFile(path, "utf8")).fingerprint256;
const closers: (() => void)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hikyaku-tls-"));
});
afterAll(async () => {
  for (const c of closers) c();
  await rm(dir, { recursive: true, force: true });
});

async function makePair(name: string) {
  const r = await ensureSelfSigned(join(dir, name), `${name}.test`);
  return { cert: r.certPath, key: r.keyPath, fingerprint: await fp(r.certPath) };
}

async function listen<T extends net.Server>(server: T): Promise<number> {
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** Connects a TLS client; resolves with what was negotiated, or rejects with the error. */
function tlsClient(opts: tls.ConnectionOptions): Promise<{ protocol: string | null; fingerprint: string; sock: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: "127.0.0.1", rejectUnauthorized: false, ...opts }, () =>
      resolve({ protocol: sock.getProtocol(), fingerprint: sock.getPeerCertificate().fingerprint256, sock }),
    );
    sock.once("error", reject);
  });
}

/** Reads CRLF lines from a stream. */
function lineReader(stream: NodeJS.ReadableStream) {
  let buf = "";
  const waiting: ((l: string) => void)[] = [];
  const lines: string[] = [];
  const onData = (d: Buffer | string) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf("\r\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  };
  stream.on("data", onData);
  return {
    next: () => new Promise<string>((res) => (lines.length ? res(lines.shift()!) : waiting.push(res))),
    detach: () => stream.off("data", onData),
  };
}

describe("implicit TLS", () => {
  let store: CertStore;
  let port = 0;
  let a: Awaited<ReturnType<typeof makePair>>;
  let b: Awaited<ReturnType<typeof makePair>>;
  let serverSide: Promise<tls.TLSSocket>;

  beforeAll(async () => {
    [a, b] = await Promise.all([makePair("implicit-a"), makePair("implicit-b")]);
    store = await loadCertificates({ default: a, sni: { "b.example.test": b } });
    let onSecure: (s: tls.TLSSocket) => void = () => {};
    serverSide = new Promise((r) => (onSecure = r));
    const server = tls.createServer(createTlsServerOptions(store), (s) => {
      onSecure(s);
      s.end("hello\r\n");
    });
    server.on("tlsClientError", () => {});
    followCertReloads(server, store);
    port = await listen(server);
  });

  test("negotiates TLSv1.3 and describes it for Received", async () => {
    const c = await tlsClient({ port });
    expect(c.protocol).toBe("TLSv1.3");
    expect(c.fingerprint).toBe(a.fingerprint);
    const d = describeTls(await serverSide);
    expect(d.version).toBe("TLSv1.3");
    expect(d.cipher).toMatch(/^TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/);
    expect(formatTlsComment(d)).toMatch(/^using TLSv1\.3 with cipher TLS_\S+ \((128\/128|256\/256) bits\)$/);
    c.sock.destroy();
  });

  test("TLS 1.2 is allowed with an ECDHE AEAD suite", async () => {
    const c = await tlsClient({ port, maxVersion: "TLSv1.2" });
    expect(c.protocol).toBe("TLSv1.2");
    expect(c.sock.getCipher().name).toMatch(/^ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
    c.sock.destroy();
  });

  test("a client limited to TLS 1.1 is refused", async () => {
    const err = await tlsClient({ port, minVersion: "TLSv1", maxVersion: "TLSv1.1" }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
  });

  test("a TLS 1.2 client offering only legacy CBC/RSA-kex suites is refused", async () => {
    const err = await tlsClient({ port, maxVersion: "TLSv1.2", ciphers: "AES128-SHA:AES256-SHA" }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
  });

  test("SNI picks the certificate for the server name", async () => {
    const viaSni = await tlsClient({ port, servername: "b.example.test" });
    expect(viaSni.fingerprint).toBe(b.fingerprint);
    const unknown = await tlsClient({ port, servername: "unknown.example.test" });
    expect(unknown.fingerprint).toBe(a.fingerprint);
    viaSni.sock.destroy();
    unknown.sock.destroy();
  });

  test("reload serves a replaced certificate without restarting the listener", async () => {
    const fresh = await makePair("implicit-fresh");
    const before = await tlsClient({ port });
    expect(before.fingerprint).toBe(a.fingerprint);
    await copyFile(fresh.key, a.key);
    await copyFile(fresh.cert, a.cert);
    await store.reload();
    const after = await tlsClient({ port });
    expect(after.fingerprint).toBe(fresh.fingerprint);
    expect(after.fingerprint).not.toBe(before.fingerprint);
    before.sock.destroy();
    after.sock.destroy();
  });
});

describe("STARTTLS", () => {
  let store: CertStore;
  let a: Awaited<ReturnType<typeof makePair>>;
  let b: Awaited<ReturnType<typeof makePair>>;
  let port = 0;
  const events: string[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([makePair("starttls-a"), makePair("starttls-b")]);
    store = await loadCertificates({ default: a, sni: { "b.example.test": b } });
    // A toy SMTP-like server: plaintext lines until STARTTLS, then one line over TLS.
    const server = net.createServer(async (sock) => {
      sock.on("error", () => {});
      const plain = lineReader(sock);
      sock.write("220 ready\r\n");
      for (;;) {
        const line = await plain.next();
        events.push(`plain:${line}`);
        if (line !== "STARTTLS") {
          sock.write("250 ok\r\n");
          continue;
        }
        // DESIGN §5: stop reading and drop anything buffered before the handshake.
        plain.detach();
        sock.write("220 go ahead\r\n");
        try {
          const secure = await upgradeToTls(sock, store, { handshakeTimeoutMs: 300 });
          secure.on("error", () => {});
          const enc = lineReader(secure);
          const cmd = await enc.next();
          events.push(`tls:${cmd}`);
          secure.end(`250 ${cmd} ${formatTlsComment(describeTls(secure))}\r\n`);
        } catch (e) {
          events.push(`upgrade-failed:${(e as TlsError).code}`);
        }
        return;
      }
    });
    port = await listen(server);
  });

  async function plainSession() {
    const sock = net.connect(port, "127.0.0.1");
    sock.on("error", () => {});
    const lines = lineReader(sock);
    expect(await lines.next()).toBe("220 ready");
    sock.write("EHLO client\r\n");
    expect(await lines.next()).toBe("250 ok");
    sock.write("STARTTLS\r\n");
    expect(await lines.next()).toBe("220 go ahead");
    lines.detach();
    return sock;
  }

  async function secureLine(sock: net.Socket, servername?: string) {
    const c = await tlsClient({ socket: sock, servername });
    const lines = lineReader(c.sock);
    c.sock.write("EHLO again\r\n");
    return { line: await lines.next(), fingerprint: c.fingerprint, protocol: c.protocol };
  }

  test("upgrades after a plaintext exchange", async () => {
    const r = await secureLine(await plainSession());
    expect(r.protocol).toBe("TLSv1.3");
    expect(r.fingerprint).toBe(a.fingerprint);
    expect(r.line).toMatch(/^250 EHLO again using TLSv1\.3 with cipher TLS_\S+ \(\d+\/\d+ bits\)$/);
  });

  test("SNI on the upgraded connection", async () => {
    const r = await secureLine(await plainSession(), "b.example.test");
    expect(r.fingerprint).toBe(b.fingerprint);
  });

  test("plaintext sent after STARTTLS never reaches the application", async () => {
    events.length = 0;
    const sock = await plainSession();
    sock.write("MAIL FROM:<injected@example.test>\r\n");
    await tlsClient({ socket: sock }).catch(() => undefined);
    sock.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(events.some((e) => e.includes("injected"))).toBe(false);
    expect(events.at(-1)).toBe("upgrade-failed:TLS_HANDSHAKE_FAILED");
  });

  test("a client that never starts the handshake times out", async () => {
    events.length = 0;
    const sock = await plainSession();
    await new Promise((r) => setTimeout(r, 500));
    expect(events.at(-1)).toBe("upgrade-failed:TLS_HANDSHAKE_TIMEOUT");
    sock.destroy();
  });

  test("reload applies to the next STARTTLS without a restart", async () => {
    const fresh = await makePair("starttls-fresh");
    const before = await secureLine(await plainSession());
    await copyFile(fresh.key, a.key);
    await copyFile(fresh.cert, a.cert);
    await store.reload();
    const after = await secureLine(await plainSession());
    expect(before.fingerprint).toBe(a.fingerprint);
    expect(after.fingerprint).toBe(fresh.fingerprint);
  });
});
