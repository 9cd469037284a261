// The Received: trace header (RFC 5321 §4.4) with the protocol type of RFC 3848 / RFC 6531
// §3.7.3 and the TLS details in a comment (RFC 8314 §4.3 recommends recording them).

import type { SessionInfo } from "../../events/catalog.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** RFC 5322 §3.3 date-time, in UTC so the output never depends on the host's zone. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** RFC 3848 "with" keyword: ESMTP/LMTP (+S for TLS, +A for AUTH); RFC 6531 UTF8 forms. */
export function withProtocol(session: SessionInfo, esmtp: boolean, smtputf8: boolean): string {
  const base = session.protocol === "lmtp" ? (smtputf8 ? "UTF8LMTP" : "LMTP") : smtputf8 ? "UTF8SMTP" : esmtp ? "ESMTP" : "SMTP";
  if (base === "SMTP") return base;
  return base + (session.tls ? "S" : "") + (session.authUser ? "A" : "");
}

// Header text must not carry CR/LF or controls from client-supplied names (header injection).
const safe = (s: string) => s.replace(/[\x00-\x1f\x7f()\\]/g, "?").slice(0, 255);

export function receivedHeader(opts: {
  session: SessionInfo;
  hostname: string;
  id: string;
  esmtp: boolean;
  smtputf8: boolean;
  recipients: readonly string[];
  at: number;
}): string {
  const { session } = opts;
  const ip = session.remoteAddress.includes(":") ? `IPv6:${session.remoteAddress}` : session.remoteAddress;
  const lines = [`Received: from ${safe(session.helo ?? "unknown")} ([${ip}])`];
  lines.push(`\tby ${safe(opts.hostname)} (Hikyaku) with ${withProtocol(session, opts.esmtp, opts.smtputf8)} id ${opts.id}`);
  if (session.tls) {
    const bits = session.tls.bits ? ` (${session.tls.bits}/${session.tls.bits} bits)` : "";
    lines.push(`\t(using ${safe(session.tls.version)} with cipher ${safe(session.tls.cipher)}${bits})`);
  }
  if (session.authUser) lines.push(`\t(authenticated user ${safe(session.authUser)})`);
  // Name the recipient only when there is exactly one (RFC 5321 §7.2: do not disclose the list).
  const only = opts.recipients.length === 1 ? opts.recipients[0] : null;
  if (only) lines.push(`\tfor <${safe(only)}>; ${rfc5322Date(opts.at)}`);
  else lines[lines.length - 1] += `; ${rfc5322Date(opts.at)}`;
  return lines.join("\r\n") + "\r\n";
}
