// DKIM key pairs and the DNS TXT records that publish them: RSA-2048 (RFC 6376, RFC 8301)
// and Ed25519 (RFC 8463). Pure functions over node:crypto; storage is src/store/dkim.ts.

import { createPublicKey, generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import type { DkimAlgorithm } from "../store/dkim.ts";

export type DkimKeyPair = {
  algorithm: DkimAlgorithm;
  /** PKCS#8 PEM. */
  privateKey: string;
  /** The base64 that goes into the record's p= tag. */
  publicKey: string;
};

export type DkimTxtRecord = { name: string; value: string };

/** RFC 8301 §3.2: signers MUST use at least 1024 bits and SHOULD use 2048. */
export const RSA_BITS = 2048;

const generate = promisify(generateKeyPair);

/** A fresh key pair; asynchronous because RSA generation takes a noticeable moment. */
export async function generateDkimKeyPair(algorithm: DkimAlgorithm): Promise<DkimKeyPair> {
  switch (algorithm) {
    case "rsa-sha256": {
      const { publicKey, privateKey } = await generate("rsa", {
        modulusLength: RSA_BITS,
        publicKeyEncoding: { type: "spki", format: "der" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      });
      // RFC 6376 §3.6.1 p=: base64 of the DER SubjectPublicKeyInfo, what verifiers expect for k=rsa.
      return { algorithm, privateKey, publicKey: Buffer.from(publicKey).toString("base64") };
    }
    case "ed25519-sha256": {
      const { privateKey } = await generate("ed25519", {
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
        publicKeyEncoding: { type: "spki", format: "pem" },
      });
      return { algorithm, privateKey, publicKey: ed25519PublicKey(privateKey) };
    }
  }
}

/**
 * RFC 8463 §4.2: the p= of an Ed25519 key is the base64 of the raw 32-byte public key, NOT
 * a SubjectPublicKeyInfo. The JWK "x" member is exactly those 32 bytes (RFC 8037 §2).
 */
export function ed25519PublicKey(privateKeyPem: string): string {
  const jwk = createPublicKey(privateKeyPem).export({ format: "jwk" });
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new TypeError("not an Ed25519 key");
  return Buffer.from(jwk.x, "base64url").toString("base64");
}

/** RFC 6376 §3.6.2.1: keys live at `<selector>._domainkey.<domain>`. */
export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/** RFC 6376 §3.6.1 (k=rsa) and RFC 8463 §4.2 (k=ed25519); v= comes first when present. */
export function dkimRecordValue(algorithm: DkimAlgorithm, publicKey: string): string {
  const k = algorithm === "rsa-sha256" ? "rsa" : "ed25519";
  return `v=DKIM1; k=${k}; p=${publicKey}`;
}

export function dkimTxtRecord(key: { domain: string; selector: string; algorithm: DkimAlgorithm; publicKey: string }): DkimTxtRecord {
  return { name: dkimRecordName(key.selector, key.domain), value: dkimRecordValue(key.algorithm, key.publicKey) };
}

/**
 * RFC 1035 §3.3.14: a TXT record is a list of character-strings of at most 255 octets each;
 * RFC 6376 §3.6.2.2: verifiers concatenate them, so a long key is split anywhere.
 */
export function splitTxtValue(value: string, max = 255): string[] {
  if (max < 1) throw new RangeError("max must be at least 1");
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += max) parts.push(value.slice(i, i + max));
  return parts.length > 0 ? parts : [""];
}

/** RFC 1035 §5.1 master-file form: `<name>. IN TXT "…" "…"`, the name absolute (trailing dot). */
export function zoneFileLine(record: DkimTxtRecord): string {
  // Our values are base64 and tags only, but quote-escape anyway so any value stays one string.
  const strings = splitTxtValue(record.value).map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return `${record.name}. IN TXT ${strings.join(" ")}`;
}
