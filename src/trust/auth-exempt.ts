// Who skips the inbound authentication checks (SPF, DKIM/DMARC policy): clients in
// trust.trustedNetworks and authenticated sessions — their mail is ours, not inbound mail.

import { isIP } from "node:net";
import type { SessionInfo } from "../events/catalog.ts";
import type { NetworkList } from "./networks.ts";

/**
 * Why a session skips inbound checks, or null when it must be checked. `roles`, when given,
 * limits the check to those listener roles (e.g. only "mx").
 */
export function exemptReason(session: SessionInfo, trusted: NetworkList, roles?: readonly string[]): string | null {
  if (roles && !roles.includes(session.role)) return `skipped: not checked on ${session.role}`;
  if (session.authUser !== null) return `skipped: authenticated as ${session.authUser}`;
  if (trusted.has(session.remoteAddress)) return `skipped: ${session.remoteAddress} is in trust.trustedNetworks`;
  return null;
}

/**
 * The HELO identity as mailauth's authenticate() derives it (RFC 7208 §2.3): the HELO name, or
 * the client address when there was none; an address becomes an address literal "[ip]".
 * SPF at MAIL and the DATA-time authenticate() must use the same value to agree.
 */
export function heloIdentity(session: SessionInfo): string {
  const helo = session.helo ?? session.remoteAddress;
  return isIP(helo) ? `[${helo}]` : helo;
}
