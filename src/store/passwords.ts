// Password hashing (scrypt, for PLAIN/LOGIN/USER-PASS) and SCRAM-SHA-256 key derivation
// (RFC 5802 §3, RFC 7677). Only node:crypto, so it runs unchanged on Bun and Deno.

import { Buffer } from "node:buffer";
import { createHash, createHmac, pbkdf2, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

// N=2^15, r=8: 32 MiB and ~70 ms per hash on the reference machine (2^14 is ~30 ms,
// 2^16 ~120 ms) — the closest power of two to the ~50 ms budget without dropping
// below OWASP's scrypt minimum.
const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
const SALT_LEN = 16;
// scrypt needs 128·N·r bytes; Node's default maxmem (32 MiB) is exactly that and fails.
const MAX_MEM = 256 * 1024 * 1024;
// Refuse stored parameters that would let a tampered row pin a CPU or exhaust memory.
const MAX_N = 1 << 20;
const SCRAM_ITERATIONS = 4096; // RFC 7677 §4: at least 4096.

/** Verified against when an account does not exist, so timing does not reveal which do. */
export const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${b64(new Uint8Array(SALT_LEN))}$${b64(new Uint8Array(KEY_LEN))}`;

export type ScramCredentials = {
  iterations: number;
  salt: Uint8Array;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
};

/** `scrypt$N$r$p$salt$hash`, salt and hash in unpadded base64. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LEN);
  const key = await scryptAsync(saslPrep(password), salt, N, R, P, KEY_LEN);
  return `scrypt$${N}$${R}$${P}$${b64(salt)}$${b64(key)}`;
}

/** Constant-time comparison; false (never a throw) for a malformed stored hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const ok =
    Number.isInteger(n) && n > 1 && n <= MAX_N && (n & (n - 1)) === 0 &&
    Number.isInteger(r) && r >= 1 && r <= 32 &&
    Number.isInteger(p) && p >= 1 && p <= 16 &&
    128 * n * r <= MAX_MEM;
  if (!ok) return false;
  const salt = Buffer.from(parts[4], "base64");
  const expected = Buffer.from(parts[5], "base64");
  if (salt.length === 0 || expected.length < 16 || expected.length > 64) return false;
  const actual = await scryptAsync(saslPrep(password), salt, n, r, p, expected.length);
  return timingSafeEqual(actual, expected);
}

/** `iterations$salt$storedKey$serverKey` (base64) for SCRAM-SHA-256 (RFC 5802 §3). */
export async function deriveScram(
  password: string,
  iterations = SCRAM_ITERATIONS,
  salt: Uint8Array = randomBytes(SALT_LEN),
): Promise<string> {
  const salted = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(saslPrep(password), salt, iterations, 32, "sha256", (e, k) => (e ? reject(e) : resolve(k))),
  );
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `${iterations}$${b64(salt)}$${b64(storedKey)}$${b64(serverKey)}`;
}

export function parseScram(s: string): ScramCredentials | null {
  const parts = s.split("$");
  if (parts.length !== 4) return null;
  const iterations = Number(parts[0]);
  if (!Number.isInteger(iterations) || iterations < 1) return null;
  const [salt, storedKey, serverKey] = parts.slice(1).map((x) => new Uint8Array(Buffer.from(x, "base64")));
  if (salt.length === 0 || storedKey.length !== 32 || serverKey.length !== 32) return null;
  return { iterations, salt, storedKey, serverKey };
}

/**
 * The parts of SASLprep (RFC 4013 §2) that change a password: non-ASCII spaces map to
 * U+0020, "commonly mapped to nothing" characters are removed, then NFKC. Clients apply
 * the same before SCRAM's Hi(); PLAIN uses it too so both mechanisms accept one password.
 */
export function saslPrep(s: string): string {
  return s
    .replace(/[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g, " ")
    .replace(/[\u00ad\u034f\u1806\u180b-\u180d\u200c\u200d\u2060\ufe00-\ufe0f\ufeff]/g, "")
    .normalize("NFKC");
}

function scryptAsync(pw: string, salt: Uint8Array, n: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(pw, salt, len, { N: n, r, p, maxmem: MAX_MEM }, (e, k) => (e ? reject(e) : resolve(k))),
  );
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}
