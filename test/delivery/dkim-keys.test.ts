// DKIM key generation and TXT records: RSA p= is an SPKI, Ed25519 p= is the raw 32-byte key
// (RFC 8463 §4.2), and each key pair really belongs together (sign with one, verify with p=).

import { describe, expect, test } from "bun:test";
import { createPublicKey, sign, verify } from "node:crypto";
import {
  dkimRecordName,
  dkimRecordValue,
  dkimTxtRecord,
  ed25519PublicKey,
  generateDkimKeyPair,
  splitTxtValue,
  zoneFileLine,
} from "../../src/delivery/dkim-keys.ts";
import { normalizeSelector } from "../../src/store/dkim.ts";

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

describe("generateDkimKeyPair", () => {
  test("rsa-sha256: 2048-bit PKCS#8 private key, p= is its DER SubjectPublicKeyInfo", async () => {
    const k = await generateDkimKeyPair("rsa-sha256");
    expect(k.algorithm).toBe("rsa-sha256");
    expect(k.privateKey).toStartWith("-----BEGIN PRIVATE KEY-----\n");
    const pub = createPublicKey({ key: Buffer.from(k.publicKey, "base64"), format: "der", type: "spki" });
    expect(pub.asymmetricKeyType).toBe("rsa");
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const data = Buffer.from("canonicalized header");
    expect(verify("sha256", data, pub, sign("sha256", data, k.privateKey))).toBe(true);
  });

  test("ed25519-sha256: PKCS#8 private key, p= is the raw 32-byte public key, not SPKI", async () => {
    const k = await generateDkimKeyPair("ed25519-sha256");
    expect(k.privateKey).toStartWith("-----BEGIN PRIVATE KEY-----\n");
    const raw = Buffer.from(k.publicKey, "base64");
    expect(raw.length).toBe(32);
    const pub = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
    const data = Buffer.from("sha256 of the canonicalized header");
    expect(verify(null, data, pub, sign(null, data, k.privateKey))).toBe(true);
    expect(ed25519PublicKey(k.privateKey)).toBe(k.publicKey);
  });

  test("two generations give different keys", async () => {
    const [a, b] = await Promise.all([generateDkimKeyPair("ed25519-sha256"), generateDkimKeyPair("ed25519-sha256")]);
    expect(a.publicKey).not.toBe(b.publicKey);
  });

  test("ed25519PublicKey refuses an RSA key", async () => {
    const k = await generateDkimKeyPair("rsa-sha256");
    expect(() => ed25519PublicKey(k.privateKey)).toThrow(TypeError);
  });
});

describe("records", () => {
  test("name and value (RFC 6376 §3.6.2.1, §3.6.1; RFC 8463 §4.2)", () => {
    expect(dkimRecordName("hk202601-rsa", "example.com")).toBe("hk202601-rsa._domainkey.example.com");
    expect(dkimRecordValue("rsa-sha256", "AAAA")).toBe("v=DKIM1; k=rsa; p=AAAA");
    expect(dkimRecordValue("ed25519-sha256", "BBBB")).toBe("v=DKIM1; k=ed25519; p=BBBB");
    expect(dkimTxtRecord({ domain: "example.com", selector: "s-ed", algorithm: "ed25519-sha256", publicKey: "BBBB" })).toEqual({
      name: "s-ed._domainkey.example.com",
      value: "v=DKIM1; k=ed25519; p=BBBB",
    });
  });

  test("splitTxtValue: pieces of at most 255 that join back to the value", () => {
    for (const n of [0, 1, 254, 255, 256, 510, 511, 700]) {
      const v = "x".repeat(n);
      const parts = splitTxtValue(v);
      expect(parts.join("")).toBe(v);
      expect(parts.every((p) => p.length <= 255)).toBe(true);
      expect(parts.length).toBe(Math.max(1, Math.ceil(n / 255)));
    }
    expect(splitTxtValue("abcde", 2)).toEqual(["ab", "cd", "e"]);
    expect(() => splitTxtValue("a", 0)).toThrow(RangeError);
  });

  test("zone-file line of a real RSA key: absolute name, quoted strings of ≤255", async () => {
    const k = await generateDkimKeyPair("rsa-sha256");
    const record = dkimTxtRecord({ domain: "example.com", selector: "hk-rsa", ...k });
    expect(record.value.length).toBeGreaterThan(255);
    const line = zoneFileLine(record);
    expect(line).toStartWith('hk-rsa._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p=');
    const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    expect(strings.length).toBe(2);
    expect(strings.every((s) => s.length <= 255)).toBe(true);
    expect(strings.join("")).toBe(record.value);
  });

  test("zone-file line escapes quotes and backslashes", () => {
    expect(zoneFileLine({ name: "a.b", value: 'x"y\\z' })).toBe('a.b. IN TXT "x\\"y\\\\z"');
  });
});

describe("normalizeSelector (RFC 6376 §3.1)", () => {
  test.each([
    ["hk202601-rsa", "hk202601-rsa"],
    ["HK202601-ED", "hk202601-ed"],
    ["a.b-c", "a.b-c"],
    ["-x", null],
    ["x-", null],
    ["a..b", null],
    ["a_b", null],
    ["", null],
    ["a;b", null],
    ["x".repeat(64), null],
  ])("%p → %p", (input, expected) => {
    expect(normalizeSelector(input)).toBe(expected);
  });
});
