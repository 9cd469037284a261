// HELO / EHLO / LHLO (RFC 5321 §4.1.1.1, RFC 2033 §4.1) and the extension list each
// role and TLS state advertises. Advertise nothing that is not implemented.

import type { SmtpState } from "./types.ts";
import { emitPolicy, endTransaction, reply, type Out } from "./emit.ts";

export function canAuth(s: SmtpState): boolean {
  const submission = s.opts.role === "submission" || s.opts.role === "submissions";
  return submission && (s.session.tls !== null || s.opts.plaintextAuthAllowed);
}

export function extensions(s: SmtpState): string[] {
  const ext = ["PIPELINING", "8BITMIME", "SMTPUTF8", `SIZE ${s.opts.maxMessageBytes}`, "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"];
  // RFC 3207 §4.2: not offered again once TLS is active.
  if (s.session.tls === null && s.opts.startTlsAvailable) ext.push("STARTTLS");
  // RFC 8689 §4: REQUIRETLS is offered only on a TLS-protected session.
  if (s.session.tls !== null) ext.push("REQUIRETLS");
  // RFC 4954 §4 and DESIGN §5: no AUTH over cleartext unless explicitly allowed.
  if (canAuth(s) && s.session.authUser === null) ext.push("AUTH PLAIN LOGIN SCRAM-SHA-256");
  return ext;
}

export function helo(s: SmtpState, out: Out, verb: "HELO" | "EHLO" | "LHLO", domain: string): void {
  const lmtp = s.opts.role === "lmtp";
  // RFC 2033 §4.1: an LMTP server must not accept HELO or EHLO; LHLO is LMTP-only.
  if (lmtp !== (verb === "LHLO")) {
    reply(out, 500, "5.5.1", lmtp ? "This is LMTP: use LHLO" : "LHLO is for LMTP only");
    return;
  }
  // RFC 5321 §4.1.4: a new greeting resets any transaction in progress.
  endTransaction(s, out);
  emitPolicy(s, out, { kind: "helo", verb, domain }, "smtp.helo", { session: s.session, verb, domain });
}

export function heloAccepted(s: SmtpState, out: Out, verb: "HELO" | "EHLO" | "LHLO", domain: string): void {
  s.greeted = verb;
  s.session = { ...s.session, helo: domain };
  const greeting = `${s.opts.hostname} Hello ${domain} [${s.session.remoteAddress}]`;
  // HELO gets the plain 250 of RFC 5321 (no extension lines, RFC 5321 §4.1.1.1).
  if (verb === "HELO") reply(out, 250, null, greeting);
  else reply(out, 250, null, greeting, ...extensions(s));
}
