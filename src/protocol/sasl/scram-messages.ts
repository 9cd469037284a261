// Parsers for the SCRAM client messages (RFC 5802 §7 grammar): client-first-message and
// client-final-message. Pure; the state machine lives in scram-sha-256.ts.
import { saslprep } from "./saslprep.ts";

export type ClientFirst = {
  /** gs2-header exactly as sent, e.g. "n,," — echoed back in the final message's c=. */
  gs2Header: string;
  /** SASLprep'd authorization identity from "a=", or null. */
  authzid: string | null;
  /** SASLprep'd user name from "n=". */
  username: string;
  clientNonce: string;
  /** client-first-message-bare, part of AuthMessage (RFC 5802 §3). */
  bare: string;
};

export type ClientFinal = {
  /** The c= value (base64 of gs2-header plus channel-binding data). */
  channelBinding: string;
  nonce: string;
  /** The p= value, base64. */
  proof: string;
  /** client-final-message-without-proof, part of AuthMessage. */
  withoutProof: string;
};

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (no comma).
const PRINTABLE_RE = /^[\x21-\x2B\x2D-\x7E]+$/;
// RFC 5802 §7: saslname = 1*(value-safe-char / "=2C" / "=3D"); value-safe-char excludes NUL, "=", ",".
const SASLNAME_RE = /^(?:[^\0=,]|=2C|=3D)+$/;
// attr-val = ALPHA "=" value
const ATTR_RE = /^([A-Za-z])=(.*)$/s;

/** Decodes a saslname and prepares it; null if malformed (RFC 5802 §5.1: a "=" not followed
 * by "2C" or "3D" MUST fail the authentication). */
export function decodeSaslname(value: string): string | null {
  if (!SASLNAME_RE.test(value)) return null;
  const name = value.replace(/=2C/g, ",").replace(/=3D/g, "=");
  const prepared = saslprep(name);
  return prepared === null || prepared === "" ? null : prepared;
}

function attributes(text: string): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  for (const part of text.split(",")) {
    const m = ATTR_RE.exec(part);
    if (m === null) return null;
    out.push([m[1]!, m[2]!]);
  }
  return out;
}

/**
 * client-first-message = gs2-header client-first-message-bare (RFC 5802 §7).
 * gs2-cbind-flag "n" (no channel binding) and "y" (client supports it but thinks the server
 * does not) are accepted; "p=" is refused because SCRAM-SHA-256-PLUS is never advertised
 * (RFC 5802 §6). Returns null for anything malformed.
 */
export function parseClientFirst(text: string): ClientFirst | null {
  const c1 = text.indexOf(",");
  const c2 = c1 < 0 ? -1 : text.indexOf(",", c1 + 1);
  if (c2 < 0) return null;
  const flag = text.slice(0, c1);
  if (flag !== "n" && flag !== "y") return null;
  const authzField = text.slice(c1 + 1, c2);
  let authzid: string | null = null;
  if (authzField !== "") {
    if (!authzField.startsWith("a=")) return null;
    authzid = decodeSaslname(authzField.slice(2));
    if (authzid === null) return null;
  }
  const bare = text.slice(c2 + 1);
  const attrs = attributes(bare);
  // RFC 5802 §5.1: a reserved "m" attribute MUST cause authentication failure.
  if (attrs === null || attrs.length < 2 || attrs[0]![0] === "m") return null;
  const [[nKey, nValue], [rKey, rValue]] = attrs as [[string, string], [string, string]];
  if (nKey !== "n" || rKey !== "r") return null;
  const username = decodeSaslname(nValue);
  if (username === null || !PRINTABLE_RE.test(rValue)) return null;
  // Further attributes are extensions (RFC 5802 §7), ignored as we support none.
  return { gs2Header: text.slice(0, c2 + 1), authzid, username, clientNonce: rValue, bare };
}

/**
 * client-final-message = channel-binding "," nonce ["," extensions] "," proof (RFC 5802 §7).
 */
export function parseClientFinal(text: string): ClientFinal | null {
  const attrs = attributes(text);
  if (attrs === null || attrs.length < 3) return null;
  const [cKey, cValue] = attrs[0]!;
  const [rKey, rValue] = attrs[1]!;
  const [pKey, pValue] = attrs[attrs.length - 1]!;
  if (cKey !== "c" || rKey !== "r" || pKey !== "p") return null;
  if (attrs.slice(2, -1).some(([k]) => k === "m" || k === "p")) return null;
  const withoutProof = text.slice(0, text.lastIndexOf(",p="));
  return { channelBinding: cValue, nonce: rValue, proof: pValue, withoutProof };
}
