// CAPA (RFC 2449 §5, §6): the capability list. Advertise nothing that is not implemented;
// USER and SASL only where authentication is allowed (DESIGN §5, RFC 2595 §4).

import { SASL_MECHANISMS } from "../sasl/mod.ts";
import type { Pop3State } from "./types.ts";

/** Whether USER/PASS and AUTH may be used now: over TLS, or cleartext where allowed. */
export function canAuthenticate(s: Pop3State): boolean {
  return s.session.tls !== null || s.opts.plaintextAuthAllowed;
}

export function capabilities(s: Pop3State): string[] {
  const caps = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
  // RFC 2449 §6.7: the retention policy; the server never deletes mail on its own unless 0.
  caps.push(`EXPIRE ${s.opts.expire}`);
  // RFC 2449 §5: capabilities of the AUTHORIZATION state are announced in both states.
  if (canAuthenticate(s)) caps.push("USER", `SASL ${SASL_MECHANISMS.join(" ")}`);
  // RFC 2595 §4: STLS only before authentication and while TLS is not active.
  if (s.phase === "authorization" && s.session.tls === null && s.opts.startTlsAvailable) caps.push("STLS");
  caps.push("IMPLEMENTATION Hikyaku");
  return caps;
}
