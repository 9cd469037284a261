// Shared by LOGIN and AUTHENTICATE: the credential check through the bus (auth.verify),
// the imap.login policy, the failure back-off, and the switch to the authenticated state.

import type { SessionInfo } from "../events/catalog.ts";
import { TraceBuffer } from "../events/trace.ts";
import { findAccount } from "../store/accounts.ts";
import type { ConnectionPort } from "./dispatch.ts";
import type { ImapSession } from "./session.ts";

export function sessionInfo(s: ImapSession): SessionInfo {
  return {
    id: s.id,
    protocol: "imap",
    role: s.tls ? "imaps" : "imap",
    remoteAddress: s.remoteAddress,
    remotePort: 0,
    localAddress: "",
    localPort: 0,
    tls: s.tls,
    helo: null,
    authUser: s.user?.address ?? null,
  };
}

export function scope(s: ImapSession) {
  return { log: s.log, results: new Map<string, unknown>(), trace: new TraceBuffer() };
}

/** Verifies a password; null on bad credentials (the caller answers and backs off). */
export async function verifyPassword(s: ImapSession, mechanism: string, username: string, password: string): Promise<string | null> {
  const r = await s.deps.bus.provide("auth.verify", { session: sessionInfo(s), mechanism, username, password }, scope(s));
  return r.ok ? r.address : null;
}

/** The last step of a successful authentication: policy, then state change and OK. */
export async function loggedIn(s: ImapSession, conn: ConnectionPort, tag: string, mechanism: string, address: string): Promise<void> {
  const v = await s.deps.bus.policy("imap.login", { session: sessionInfo(s), mechanism, username: address }, scope(s));
  if (v.kind === "reject" || v.kind === "tempfail" || v.kind === "disconnect") {
    // A policy refusing with 5.7.8 (RFC 4954: credentials invalid), e.g. a lockout of an IP
    // under attack, answers exactly like a wrong password, so a guesser learns nothing.
    if (v.reply.enhanced === "5.7.8") await s.tagged(tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
    else await s.tagged(tag, "NO", `[${v.kind === "tempfail" ? "UNAVAILABLE" : "AUTHORIZATIONFAILED"}] ${v.reply.text}`);
    if (v.kind === "disconnect") s.state = "logout";
    return;
  }
  const account = await findAccount(s.deps.db, address);
  if (!account) return s.tagged(tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
  s.user = { id: account.id, address: account.address };
  s.state = "auth";
  // RFC 9051 §6.2.2/§6.2.3: the OK may carry the new capability list.
  await s.tagged(tag, "OK", `[CAPABILITY ${conn.capabilities().join(" ")}] Logged in`);
}

/** A failed attempt: growing delay, then NO; past the limit, BYE (DESIGN §5, RFC 9051 §6.2.3). */
export async function failed(s: ImapSession, conn: ConnectionPort, tag: string, mechanism = "", username = ""): Promise<void> {
  s.authFailures++;
  // Counted before the answer (like SMTP and POP3), so a client cannot retry faster than
  // a cross-connection limit (trust.rateLimit) sees its failures.
  await s.deps.bus.notify("auth.failed", { session: sessionInfo(s), mechanism, username }, s.log);
  await new Promise((r) => setTimeout(r, conn.authLimits.delayMs * 2 ** (s.authFailures - 1)));
  await s.tagged(tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
  if (s.authFailures >= conn.authLimits.maxFailures) {
    await s.line("* BYE Too many authentication failures");
    s.state = "logout";
  }
}
