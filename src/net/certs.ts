// TLS certificates: a self-signed ECDSA P-256 certificate on first start, and a CertStore of
// node:tls SecureContexts (one per SNI name) that reloads from disk without a restart (DESIGN §5–6).
import { X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import * as tls from "node:tls";

export type CertKeyPaths = { cert: string; key: string };
export type CertConfig = { default: CertKeyPaths; sni?: Record<string, CertKeyPaths> };

/** Expected failures carry a code so callers can map them (DESIGN §8). */
export class CertError extends Error {
  constructor(
    readonly code: "CERT_LOAD_FAILED" | "CERT_GENERATE_FAILED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CertError";
  }
}

// RFC 8996: nothing below TLS 1.2. TLS 1.2 gets only forward-secret AEAD suites (RFC 9325 §4.2);
// the TLS_ names keep Node's TLS 1.3 suites enabled (a cipher list without them disables 1.3).
export const TLS_MIN_VERSION = "TLSv1.2" as const;
export const TLS_CIPHERS = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
].join(":");

/** Options for tls.createSecureContext / tls.Server#setSecureContext from PEM material. */
export function secureContextOptions(pem: { cert: string; key: string }): tls.SecureContextOptions {
  return {
    cert: pem.cert,
    key: pem.key,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
  };
}

// ---- self-signed certificate -------------------------------------------------------------

const SELF_SIGNED_DAYS = 365;
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/**
 * Returns the self-signed pair under `dir` (cert.pem, key.pem), creating it on first start or
 * when the existing certificate is unreadable, expired, or expires within 30 days.
 */
export async function ensureSelfSigned(
  dir: string,
  hostname: string,
): Promise<{ certPath: string; keyPath: string; created: boolean }> {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  if (await usable(certPath, keyPath)) return { certPath, keyPath, created: false };
  let pem: { cert: string; key: string };
  try {
    pem = await generateSelfSigned(hostname);
  } catch (cause) {
    throw new CertError("CERT_GENERATE_FAILED", `cannot generate a certificate for ${hostname}`, { cause });
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Write then rename, key first, so a concurrent reader never sees a half-written pair.
  await writeAtomic(keyPath, pem.key, 0o600);
  await writeAtomic(certPath, pem.cert, 0o644);
  return { certPath, keyPath, created: true };
}

async function usable(certPath: string, keyPath: string): Promise<boolean> {
  try {
    const [cert, key] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
    const validTo = Date.parse(new X509Certificate(cert).validTo);
    if (!(validTo - Date.now() > RENEW_BEFORE_MS)) return false;
    tls.createSecureContext({ cert, key }); // throws if the key does not match
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data, { mode, flag: "wx" });
  await rename(tmp, path);
}

type X509Module = typeof import("@peculiar/x509");

/**
 * @peculiar/x509 depends on tsyringe, which refuses to load without the Reflect metadata API
 * (normally the reflect-metadata package). It needs only these three functions, so a minimal
 * WeakMap version is installed if nothing else provided one, then the library is imported.
 */
async function loadX509(): Promise<X509Module> {
  const R = Reflect as unknown as Record<string, unknown>;
  if (typeof R.getMetadata !== "function") {
    const store = new WeakMap<object, Map<unknown, unknown>>();
    const own = (target: object, key: unknown) => store.get(target)?.get(key);
    R.defineMetadata = (key: unknown, value: unknown, target: object) => {
      let map = store.get(target);
      if (map === undefined) store.set(target, (map = new Map()));
      map.set(key, value);
    };
    R.getOwnMetadata = own;
    R.getMetadata = (key: unknown, target: object) => {
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
        const v = own(t, key);
        if (v !== undefined) return v;
      }
      return undefined;
    };
    R.metadata = (key: unknown, value: unknown) => (target: object) => {
      (R.defineMetadata as (k: unknown, v: unknown, t: object) => void)(key, value, target);
    };
  }
  return await import("@peculiar/x509");
}

async function generateSelfSigned(hostname: string): Promise<{ cert: string; key: string }> {
  const x509 = await loadX509();
  const webcrypto = globalThis.crypto;
  // DESIGN §6: ECDSA P-256 handshakes are ~4× cheaper than RSA-2048.
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const names: { type: "dns" | "ip"; value: string }[] = [];
  const add = (type: "dns" | "ip", value: string) => {
    if (!names.some((n) => n.type === type && n.value === value)) names.push({ type, value });
  };
  add(isIP(hostname) ? "ip" : "dns", hostname.toLowerCase());
  add("dns", "localhost");
  add("ip", "127.0.0.1");
  add("ip", "::1");
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: [{ CN: [hostname] }],
      keys,
      signingAlgorithm: alg,
      notBefore: new Date(now - 5 * 60 * 1000), // tolerate peers' clock skew
      notAfter: new Date(now + SELF_SIGNED_DAYS * 24 * 3600 * 1000),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const key = x509.PemConverter.encode([{ type: "PRIVATE KEY", rawData: pkcs8 }]);
  return { cert: `${cert.toString("pem")}\n`, key: `${key}\n` };
}

// ---- certificate store ---------------------------------------------------------------------

type SniCallback = (err: Error | null, ctx?: tls.SecureContext) => void;

/** One loaded pair: its context, the PEM it came from, and the files' stamps for polling. */
type Loaded = { context: tls.SecureContext; options: tls.SecureContextOptions; stamp: string };

export interface CertStore {
  /** Context for connections without SNI, or with an unknown name. */
  readonly defaultContext: tls.SecureContext;
  /** Context options of the default pair, for tls.Server#setSecureContext after a reload. */
  readonly defaultOptions: tls.SecureContextOptions;
  /** The context for a server name: exact match, then a "*.example.com" wildcard, then default. */
  contextFor(servername: string | undefined): tls.SecureContext;
  /** node:tls SNICallback (DESIGN §6: one certificate per host name). Bound; pass it as is. */
  readonly sniCallback: (servername: string, cb: SniCallback) => void;
  /** Re-reads every file. On any error the previous certificates stay in use and it rejects. */
  reload(): Promise<void>;
  /** Polls the files' mtime/size/inode and reloads when they change (certbot renews in place). */
  watch(options?: { intervalMs?: number; onError?: (err: unknown) => void }): void;
  stop(): void;
  /** Called after every successful reload; returns an unsubscribe function. */
  onReload(listener: () => void): () => void;
}

async function loadPair(paths: CertKeyPaths): Promise<Loaded> {
  try {
    // Stamp before reading: a change after the stat shows up as a new stamp on the next poll.
    const stamp = await stampOf(paths);
    const [cert, key] = await Promise.all([readFile(paths.cert, "utf8"), readFile(paths.key, "utf8")]);
    const options = secureContextOptions({ cert, key });
    return { context: tls.createSecureContext(options), options, stamp };
  } catch (cause) {
    throw new CertError("CERT_LOAD_FAILED", `cannot load TLS certificate ${paths.cert} / ${paths.key}`, {
      cause,
    });
  }
}

async function stampOf(paths: CertKeyPaths): Promise<string> {
  const parts = await Promise.all(
    [paths.cert, paths.key].map(async (p) => {
      const st = await stat(p);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    }),
  );
  return parts.join("|");
}

/** Loads every pair in the config (file paths) into a CertStore. */
export async function loadCertificates(config: CertConfig): Promise<CertStore> {
  const sniNames = Object.keys(config.sni ?? {}).map((n) => n.toLowerCase());
  const load = async () => {
    const def = await loadPair(config.default);
    const entries = await Promise.all(
      Object.entries(config.sni ?? {}).map(async ([name, paths]) => [name.toLowerCase(), await loadPair(paths)] as const),
    );
    return { def, sni: new Map(entries) };
  };
  let current = await load();
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | null = null;
  let reloading: Promise<void> | null = null;

  const contextFor = (servername: string | undefined): tls.SecureContext => {
    if (servername) {
      const name = servername.toLowerCase().replace(/\.$/, "");
      const exact = current.sni.get(name);
      if (exact) return exact.context;
      // RFC 6125 §6.4.3: a wildcard stands for exactly one left-most label.
      const dot = name.indexOf(".");
      const wild = dot > 0 ? current.sni.get(`*${name.slice(dot)}`) : undefined;
      if (wild) return wild.context;
    }
    return current.def.context;
  };

  const reload = (): Promise<void> => {
    // Concurrent callers share one reload; the swap is atomic, so a handshake sees old or new.
    reloading ??= load()
      .then((next) => {
        current = next;
        for (const l of listeners) l();
      })
      .finally(() => {
        reloading = null;
      });
    return reloading;
  };

  const stamps = async (): Promise<string> => {
    const all = [config.default, ...Object.values(config.sni ?? {})];
    return (await Promise.all(all.map(stampOf))).join(";");
  };
  const loadedStamps = () => [current.def.stamp, ...sniNames.map((n) => current.sni.get(n)!.stamp)].join(";");

  return {
    get defaultContext() {
      return current.def.context;
    },
    get defaultOptions() {
      return current.def.options;
    },
    contextFor,
    sniCallback: (servername, cb) => cb(null, contextFor(servername)),
    reload,
    watch({ intervalMs = 60_000, onError } = {}) {
      if (timer !== null) return;
      timer = setInterval(() => {
        // A failed reload (e.g. cert replaced before its key) keeps the old stamps, so the
        // next tick retries once the pair is consistent again.
        stamps()
          .then((now) => (now !== loadedStamps() ? reload() : undefined))
          .catch((err) => onError?.(err));
      }, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    onReload(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
