// Password hashing and SCRAM derivation, including the RFC 7677 §3 example exchange.

import { describe, expect, test } from "bun:test";
import { createHash, createHmac } from "node:crypto";
import { DUMMY_HASH, deriveScram, hashPassword, parseScram, saslPrep, verifyPassword } from "../../src/store/passwords.ts";
import { newQueueId } from "../../src/store/ids.ts";

describe("hashPassword / verifyPassword", () => {
  test("PHC-like scrypt string that verifies only the right password", async () => {
    const h = await hashPassword("correct horse");
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword(h, "correct horse")).toBe(true);
    expect(await verifyPassword(h, "correct horse ")).toBe(false);
    expect(await verifyPassword(h, "")).toBe(false);
    // Fresh salt each time.
    expect(await hashPassword("correct horse")).not.toBe(h);
  });

  test("malformed or abusive stored hashes are false, never a throw", async () => {
    for (const bad of ["", "scrypt$", "bcrypt$x", "scrypt$3$8$1$AAAA$AAAA", "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + "A".repeat(43)]) {
      expect(await verifyPassword(bad, "pw")).toBe(false);
    }
    expect(await verifyPassword(DUMMY_HASH, "anything")).toBe(false);
  });

  test("SASLprep mapping makes equivalent passwords equal", async () => {
    expect(saslPrep("a\u00a0b")).toBe("a b");
    expect(saslPrep("I\u00adX")).toBe("IX");
    const h = await hashPassword("I\u00adX");
    expect(await verifyPassword(h, "IX")).toBe(true);
  });
});

describe("deriveScram", () => {
  test("matches the RFC 7677 §3 example (user/pencil)", async () => {
    const salt = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
    const creds = parseScram(await deriveScram("pencil", 4096, salt));
    expect(creds).not.toBeNull();
    const c = creds!;
    expect(c.iterations).toBe(4096);
    const nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=${nonce}`;
    const proof = Buffer.from("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "base64");
    const clientSignature = createHmac("sha256", c.storedKey).update(authMessage).digest();
    const clientKey = proof.map((b, i) => b ^ clientSignature[i]);
    expect(Buffer.from(createHash("sha256").update(clientKey).digest()).equals(Buffer.from(c.storedKey))).toBe(true);
    const serverSignature = createHmac("sha256", c.serverKey).update(authMessage).digest("base64");
    expect(serverSignature).toBe("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  });

  test("parseScram rejects malformed strings", () => {
    expect(parseScram("")).toBeNull();
    expect(parseScram("x$a$b$c")).toBeNull();
    expect(parseScram("4096$AAAA$AAAA$AAAA")).toBeNull();
  });
});

describe("newQueueId", () => {
  test("16 upper-case base32 characters, unique", () => {
    const ids = new Set(Array.from({ length: 1000 }, newQueueId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Z2-7]{16}$/);
  });
});
