// SASL SCRAM-SHA-256 server (RFC 5802 with RFC 7677): the store holds only StoredKey and
// ServerKey; the password never crosses the wire. No -PLUS variant (no channel binding).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { decodeBase64Strict, encodeBase64 } from "./base64.ts";
import type { SaslServer, SaslStep, ScramCredentials } from "./mod.ts";
import { parseClientFinal, parseClientFirst, type ClientFirst } from "./scram-messages.ts";
import { saslprep } from "./saslprep.ts";
import { fail, SASL_MAX_MESSAGE, textBytes, utf8 } from "./step.ts";

/** RFC 7677 §4: the iteration count SHOULD be at least 4096. */
export const SCRAM_DEFAULT_ITERATIONS = 4096;

export type ScramOptions = {
  /** Fixed server nonce part, for tests (RFC 7677 §3 vector); otherwise 18 random bytes. */
  serverNonce?: string;
  /** Key that derives stable fake salts for unknown users; a per-process random key by default. */
  fakeSaltKey?: Uint8Array;
  /** Iteration count shown to unknown users; set it to what real accounts use. */
  fakeIterations?: number;
};

const PROCESS_FAKE_KEY = randomBytes(32);
const KEY_LENGTH = 32; // SHA-256 output size

const hmac = (key: Uint8Array, data: Uint8Array | string): Uint8Array =>
  new Uint8Array(createHmac("sha256", key).update(data).digest());
const sha256 = (data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(data).digest());

/**
 * RFC 5802 §3: SaltedPassword := Hi(Normalize(password), salt, i) with Hi = PBKDF2-HMAC-SHA-256;
 * ClientKey := HMAC(SaltedPassword, "Client Key"); StoredKey := H(ClientKey);
 * ServerKey := HMAC(SaltedPassword, "Server Key").
 * A password that SASLprep rejects is used as given (clients that skip SASLprep can still log in).
 */
export function deriveScramCredentials(
  password: string,
  salt: Uint8Array,
  iterations: number,
): ScramCredentials {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new RangeError(`SCRAM iteration count must be a positive integer, got ${iterations}`);
  }
  const normalized = saslprep(password) ?? password;
  const salted = new Uint8Array(pbkdf2Sync(normalized, salt, iterations, KEY_LENGTH, "sha256"));
  const clientKey = hmac(salted, "Client Key");
  return {
    iterations,
    salt: new Uint8Array(salt),
    storedKey: sha256(clientKey),
    serverKey: hmac(salted, "Server Key"),
  };
}

/** Credentials for a user that does not exist: the salt is stable per user name, so repeated
 * attempts cannot tell a missing account from a real one; the keys never verify. */
function fakeCredentials(username: string, key: Uint8Array, iterations: number): ScramCredentials {
  return {
    iterations,
    salt: hmac(key, `salt\0${username}`).slice(0, 16),
    storedKey: hmac(key, `stored\0${username}`),
    serverKey: hmac(key, `server\0${username}`),
  };
}

type Phase = "new" | "await-client-first" | "await-credentials" | "await-client-final" | "done";

export function createScramSha256(options: ScramOptions = {}): SaslServer {
  let phase: Phase = "new";
  let first: ClientFirst | null = null;
  let creds: ScramCredentials | null = null;
  let fake = false;
  let serverFirst = "";
  let nonce = "";

  const end = (step: SaslStep): SaslStep => {
    phase = "done";
    return step;
  };

  const text = (data: Uint8Array): string | null =>
    data.length > SASL_MAX_MESSAGE ? null : utf8(data);

  const onClientFirst = (data: Uint8Array): SaslStep => {
    const msg = text(data);
    const parsed = msg === null ? null : parseClientFirst(msg);
    if (parsed === null) return end(fail("malformed"));
    // RFC 5802 §5.1: this server does not let one identity act as another.
    if (parsed.authzid !== null && parsed.authzid !== parsed.username) return end(fail("authzid"));
    first = parsed;
    phase = "await-credentials";
    return { type: "need-scram", authcid: parsed.username };
  };

  const onCredentials = (c: ScramCredentials | null): SaslStep => {
    if (first === null) return end(fail("malformed"));
    fake = c === null;
    creds =
      c ??
      fakeCredentials(
        first.username,
        options.fakeSaltKey ?? PROCESS_FAKE_KEY,
        options.fakeIterations ?? SCRAM_DEFAULT_ITERATIONS,
      );
    // RFC 5802 §5.1: the server appends its own nonce; 18 random bytes give 24 printable chars.
    nonce = first.clientNonce + (options.serverNonce ?? encodeBase64(randomBytes(18)));
    // RFC 5802 §7: server-first-message = nonce "," salt "," iteration-count.
    serverFirst = `r=${nonce},s=${encodeBase64(creds.salt)},i=${creds.iterations}`;
    phase = "await-client-final";
    return { type: "challenge", data: textBytes(serverFirst) };
  };

  const onClientFinal = (data: Uint8Array): SaslStep => {
    const msg = text(data);
    const final = msg === null ? null : parseClientFinal(msg);
    if (final === null || first === null || creds === null) return end(fail("malformed"));
    // RFC 5802 §5.1: c= carries the gs2-header unchanged (no channel-binding data for n / y).
    if (final.channelBinding !== encodeBase64(textBytes(first.gs2Header))) return end(fail("malformed"));
    // RFC 5802 §5.1: the nonce must be the combined client + server nonce from server-first.
    if (final.nonce !== nonce) return end(fail("malformed"));
    const proof = decodeBase64Strict(final.proof);
    if (proof === null || proof.length !== KEY_LENGTH) return end(fail("malformed"));

    // RFC 5802 §3: AuthMessage, ClientSignature, ClientKey := ClientProof XOR ClientSignature,
    // then H(ClientKey) must equal StoredKey. Always computed in full, for fake users too.
    const authMessage = `${first.bare},${serverFirst},${final.withoutProof}`;
    const clientSignature = hmac(creds.storedKey, authMessage);
    const clientKey = proof.map((b, i) => b ^ clientSignature[i]!);
    const computed = sha256(clientKey);
    // A stored key of the wrong size (corrupt row) must not throw; it simply never matches.
    const stored = creds.storedKey.length === KEY_LENGTH ? creds.storedKey : new Uint8Array(KEY_LENGTH);
    const match = timingSafeEqual(computed, stored) && stored === creds.storedKey;
    const serverSignature = hmac(creds.serverKey, authMessage);
    if (!match || fake) return end(fail("credentials"));
    // RFC 5802 §7: server-final-message = verifier ("v=" base64(ServerSignature)).
    return end({
      type: "success",
      authcid: first.username,
      authzid: first.authzid,
      data: textBytes(`v=${encodeBase64(serverSignature)}`),
    });
  };

  return {
    mechanism: "SCRAM-SHA-256",
    start(initial) {
      if (phase !== "new") return end(fail("malformed"));
      // SCRAM is client-first (RFC 5802 §5); with no initial response, send an empty challenge
      // (RFC 4422 §5). An empty initial response is an empty client-first: malformed.
      if (initial === null) {
        phase = "await-client-first";
        return { type: "challenge", data: new Uint8Array(0) };
      }
      return onClientFirst(initial);
    },
    respond(data) {
      if (data === "*") return end(fail("aborted"));
      switch (phase) {
        case "await-client-first":
          return onClientFirst(data);
        case "await-client-final":
          return onClientFinal(data);
        default:
          return end(fail("malformed"));
      }
    },
    passwordResult() {
      return end(fail("malformed"));
    },
    scramCredentials(c) {
      if (phase !== "await-credentials") return end(fail("malformed"));
      return onCredentials(c);
    },
  };
}
