// Test PKI: a throw-away ECDSA P-256 root CA that issues leaf certificates with chosen SANs and
// validity, so TLS tests can present valid, expired, mis-named or untrusted certificates.

import { isIP } from "node:net";

type X509Module = typeof import("@peculiar/x509");

export type IssueOptions = {
  /** subjectAltName entries: DNS names, or IP literals (become iPAddress SANs). May be empty
   *  only with `commonName`, for a legacy CN-only certificate. */
  names: string[];
  /** Subject CN; defaults to the first name. */
  commonName?: string;
  notBefore?: Date;
  /** A date in the past gives an expired certificate. */
  notAfter?: Date;
};

export type IssuedCert = { certPem: string; keyPem: string };

export type TestCa = {
  caPem: string;
  issue(opts: IssueOptions): Promise<IssuedCert>;
};

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 24 * 3600 * 1000;

/**
 * @peculiar/x509 needs the Reflect metadata API (via tsyringe). src/net/certs.ts installs the
 * same minimal WeakMap version; whichever runs first wins, the other sees it and skips.
 */
async function loadX509(): Promise<X509Module> {
  const R = Reflect as unknown as Record<string, unknown>;
  if (typeof R.getMetadata !== "function") {
    const store = new WeakMap<object, Map<unknown, unknown>>();
    const own = (target: object, key: unknown) => store.get(target)?.get(key);
    const define = (key: unknown, value: unknown, target: object) => {
      let map = store.get(target);
      if (map === undefined) store.set(target, (map = new Map()));
      map.set(key, value);
    };
    R.defineMetadata = define;
    R.getOwnMetadata = own;
    R.getMetadata = (key: unknown, target: object) => {
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
        const v = own(t, key);
        if (v !== undefined) return v;
      }
      return undefined;
    };
    R.metadata = (key: unknown, value: unknown) => (target: object) => define(key, value, target);
  }
  return await import("@peculiar/x509");
}

async function keyPem(x509: X509Module, key: CryptoKey): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", key);
  return `${x509.PemConverter.encode([{ type: "PRIVATE KEY", rawData: pkcs8 }])}\n`;
}

/** A new root CA (valid one day either side of now) and a function issuing server leaves. */
export async function createTestCa(commonName = "Hikyaku Test CA"): Promise<TestCa> {
  const x509 = await loadX509();
  const caKeys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }],
    keys: caKeys,
    signingAlgorithm: ALG,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 30 * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const issue = async (opts: IssueOptions): Promise<IssuedCert> => {
    const cn = opts.commonName ?? opts.names[0];
    if (cn === undefined) throw new Error("issue: a subjectAltName or a commonName is needed");
    const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
    const t = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: [{ CN: [cn] }],
      issuer: caCert.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      notBefore: opts.notBefore ?? new Date(t - 60 * 60 * 1000),
      notAfter: opts.notAfter ?? new Date(t + 7 * DAY_MS),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        ...(opts.names.length > 0
          ? [
              new x509.SubjectAlternativeNameExtension(
                opts.names.map((n) => (isIP(n) ? { type: "ip" as const, value: n } : { type: "dns" as const, value: n })),
              ),
            ]
          : []),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return { certPem: `${cert.toString("pem")}\n`, keyPem: await keyPem(x509, keys.privateKey) };
  };

  return { caPem: `${caCert.toString("pem")}\n`, issue };
}

/** Positive 128-bit serial as hex (RFC 5280 §4.1.2.2: unique per CA, at most 20 octets). */
function randomSerial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return Buffer.from(b).toString("hex");
}
