// SASL server mechanisms (RFC 4422) shared by SMTP AUTH (RFC 4954) and IMAP AUTHENTICATE
// (RFC 9051 §6.2.2): the step type every mechanism returns, and the registry.
import { createLogin } from "./login.ts";
import { createPlain } from "./plain.ts";
import { createScramSha256, type ScramOptions } from "./scram-sha-256.ts";

/**
 * What the caller does next.
 * - challenge: send "334 <base64>" (SMTP) or "+ <base64>" (IMAP) and feed the reply to respond().
 * - verify-password: check the password against the store, then call passwordResult(ok).
 * - need-scram: look up the stored SCRAM credentials, then call scramCredentials(creds | null).
 * - success: authenticated. If data is present (SCRAM server-final), RFC 4954 §4 / RFC 9051
 *   §6.2.2 send it as one more challenge and expect an empty client response before "235" / OK.
 * - failure: "malformed" → 501 5.5.2 / BAD; "credentials" → 535 5.7.8 / NO [AUTHENTICATIONFAILED];
 *   "aborted" → 501 5.0.0 / BAD (RFC 4954 §4); "authzid" → 535 5.7.8 / NO [AUTHORIZATIONFAILED].
 */
export type SaslStep =
  | { type: "challenge"; data: Uint8Array }
  | { type: "verify-password"; authcid: string; authzid: string | null; password: string }
  | { type: "need-scram"; authcid: string }
  | { type: "success"; authcid: string; authzid: string | null; data?: Uint8Array }
  | { type: "failure"; reason: SaslFailureReason };

export type SaslFailureReason = "malformed" | "credentials" | "aborted" | "authzid";

/** Stored SCRAM verifier (RFC 5802 §3): never the password itself. */
export type ScramCredentials = {
  iterations: number;
  salt: Uint8Array;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
};

/**
 * One authentication exchange. Calls out of order (or after success/failure) answer
 * failure "malformed". respond("*") cancels (RFC 4422 §3.5) and answers failure "aborted".
 */
export interface SaslServer {
  readonly mechanism: SaslMechanism;
  start(initial: Uint8Array | null): SaslStep;
  respond(data: Uint8Array | "*"): SaslStep;
  passwordResult(ok: boolean): SaslStep;
  scramCredentials(c: ScramCredentials | null): SaslStep;
}

export const SASL_MECHANISMS = ["PLAIN", "LOGIN", "SCRAM-SHA-256"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Mechanisms that send the password itself: offer them only over TLS (DESIGN §5). */
export const SASL_PLAINTEXT_MECHANISMS: readonly SaslMechanism[] = ["PLAIN", "LOGIN"];

export type SaslOptions = { scram?: ScramOptions };

/** Mechanism names are case-insensitive (RFC 4422 §3.1 names are upper case on the wire). */
export function createSasl(mech: string, options: SaslOptions = {}): SaslServer | null {
  switch (mech.toUpperCase()) {
    case "PLAIN":
      return createPlain();
    case "LOGIN":
      return createLogin();
    case "SCRAM-SHA-256":
      return createScramSha256(options.scram);
    default:
      return null;
  }
}
