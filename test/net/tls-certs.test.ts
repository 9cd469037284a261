// Self-signed certificate generation and the CertStore (SNI lookup, reload, watch) without sockets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CertError, ensureSelfSigned, loadCertificates } from "../../src/net/certs.ts";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hikyaku-certs-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pair = async (name: string) => {
  const r = await ensureSelfSigned(join(dir, name), `${name}.test`);
  return { cert: r.certPath, key: r.keyPath };
};
const fingerprint = async (path: string) => new X509Certificate(await readFile(path, "utf8")).fingerprint256;

describe("ensureSelfSigned", () => {
  test("creates an ECDSA P-256 server certificate once, then reuses it", async () => {
    const d = join(dir, "self");
    const first = await ensureSelfSigned(d, "mail.example.test");
    expect(first.created).toBe(true);
    const x = new X509Certificate(await readFile(first.certPath, "utf8"));
    expect(x.subject).toBe("CN=mail.example.test");
    expect(x.subjectAltName).toBe("DNS:mail.example.test, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(x.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth EKU
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(366);
    expect((await stat(first.keyPath)).mode & 0o777).toBe(0o600);

    const again = await ensureSelfSigned(d, "mail.example.test");
    expect(again).toEqual({ ...first, created: false });
    expect(await fingerprint(again.certPath)).toBe(x.fingerprint256);
  });

  test("regenerates a broken pair", async () => {
    const d = join(dir, "broken");
    const first = await ensureSelfSigned(d, "broken.test");
    await writeFile(first.certPath, "not a certificate");
    expect((await ensureSelfSigned(d, "broken.test")).created).toBe(true);
  });

  test("an IP literal host name becomes an IP SAN", async () => {
    const r = await ensureSelfSigned(join(dir, "ip"), "192.0.2.7");
    const x = new X509Certificate(await readFile(r.certPath, "utf8"));
    expect(x.subjectAltName).toContain("IP Address:192.0.2.7");
  });
});

describe("CertStore", () => {
  test("SNI: exact, wildcard for one label only, unknown → default", async () => {
    const [a, b, w] = await Promise.all([pair("a"), pair("b"), pair("w")]);
    const store = await loadCertificates({ default: a, sni: { "B.test": b, "*.wild.test": w } });
    const wild = store.contextFor("x.wild.test");
    expect(store.contextFor("b.test")).not.toBe(store.defaultContext);
    expect(store.contextFor("B.TEST.")).toBe(store.contextFor("b.test"));
    expect(wild).not.toBe(store.defaultContext);
    expect(wild).not.toBe(store.contextFor("b.test"));
    expect(store.contextFor("y.x.wild.test")).toBe(store.defaultContext);
    expect(store.contextFor("wild.test")).toBe(store.defaultContext);
    expect(store.contextFor(undefined)).toBe(store.defaultContext);
    const viaCallback = await new Promise((res) => store.sniCallback("b.test", (_e, ctx) => res(ctx)));
    expect(viaCallback).toBe(store.contextFor("b.test"));
  });

  test("missing files reject with CERT_LOAD_FAILED", async () => {
    const err = await loadCertificates({ default: { cert: join(dir, "nope.pem"), key: join(dir, "nope.key") } }).catch((e) => e);
    expect(err).toBeInstanceOf(CertError);
    expect(err.code).toBe("CERT_LOAD_FAILED");
  });

  test("a failed reload (key does not match) keeps the old certificate", async () => {
    const d = join(dir, "mismatch");
    const own = await ensureSelfSigned(d, "m.test");
    const other = await pair("other");
    const store = await loadCertificates({ default: { cert: own.certPath, key: own.keyPath } });
    const before = store.defaultContext;
    await copyFile(other.cert, own.certPath); // certificate replaced, key not yet
    const err = await store.reload().catch((e) => e);
    expect(err?.code).toBe("CERT_LOAD_FAILED");
    expect(store.defaultContext).toBe(before);
    await copyFile(other.key, own.keyPath);
    await store.reload();
    expect(store.defaultContext).not.toBe(before);
    expect(String(store.defaultOptions.cert)).toBe(await readFile(other.cert, "utf8"));
  });

  test("watch() reloads when the files change, stop() ends it", async () => {
    const d = join(dir, "watched");
    const own = await ensureSelfSigned(d, "w.test");
    const other = await pair("other2");
    const store = await loadCertificates({ default: { cert: own.certPath, key: own.keyPath } });
    let reloads = 0;
    const reloaded = new Promise<void>((res) => store.onReload(() => (reloads++, res())));
    store.watch({ intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    expect(reloads).toBe(0); // unchanged files: no reload
    await copyFile(other.key, own.keyPath);
    await copyFile(other.cert, own.certPath);
    await reloaded;
    store.stop();
    expect(String(store.defaultOptions.cert)).toBe(await readFile(other.cert, "utf8"));
  });
});
