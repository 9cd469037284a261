// The AUTHORIZATION state (RFC 1939 §4, §7; RFC 5034 AUTH): USER/PASS and SASL (PLAIN,
// LOGIN, SCRAM-SHA-256), the pop3.login policy, failure back-off, and the maildrop lock.

import type { AuthCheck } from "../../events/catalog.ts";
import type { Verdict } from "../../events/verdict.ts";
import { decodeBase64Strict } from "../sasl/base64.ts";
import { createSasl, SASL_MECHANISMS, type SaslStep, type ScramCredentials } from "../sasl/mod.ts";
import { canAuthenticate } from "./capabilities.ts";
import { close, protocolError, reply, wait, type Out } from "./emit.ts";
import { continuation, err, multiline, ok } from "./response.ts";
import type { MaildropResult, Pop3State } from "./types.ts";

// Challenges are small (SCRAM messages): btoa over a binary string is enough and portable.
const b64 = (d: Uint8Array) => btoa(String.fromCharCode(...d));

const NEED_TLS = "Plaintext authentication disallowed on non-secure connections; use STLS first";

export function user(s: Pop3State, out: Out, name: string): void {
  if (!canAuthenticate(s)) return protocolError(s, out, NEED_TLS);
  // RFC 1939 §7: "+OK" whether or not the mailbox exists (no account probing).
  s.user = name;
  reply(out, ok("Send PASS"));
}

export function pass(s: Pop3State, out: Out, password: string): void {
  if (!canAuthenticate(s)) return protocolError(s, out, NEED_TLS);
  const username = s.user;
  if (username === null) return protocolError(s, out, "Send USER first");
  // RFC 1939 §7: after a failed PASS the client starts again with USER.
  s.user = null;
  wait(s, out, { kind: "verify", mechanism: "USER", username }, {
    type: "provide",
    event: "auth.verify",
    payload: { session: s.session, mechanism: "USER", username, password },
  });
}

export function auth(s: Pop3State, out: Out, mechanism: string | null, initial: string | null): void {
  if (!canAuthenticate(s)) return protocolError(s, out, NEED_TLS);
  // A bare AUTH lists the mechanisms (pre-RFC 5034 clients still probe this way).
  if (mechanism === null) return reply(out, multiline("Mechanisms follow", SASL_MECHANISMS));
  const server = createSasl(mechanism);
  if (!server) return protocolError(s, out, "Unsupported authentication mechanism");
  let data: Uint8Array | null = null;
  if (initial !== null) {
    // RFC 5034 §4: "=" is an empty initial response.
    data = initial === "=" ? new Uint8Array(0) : decodeBase64Strict(initial);
    if (!data) return protocolError(s, out, "Invalid base64 in initial response");
  }
  s.user = null;
  s.sasl = { server, mechanism: server.mechanism, finalSent: false, username: null };
  saslStep(s, out, server.start(data));
}

/** A line while AUTH runs is a SASL response (RFC 5034 §4), "*" cancels. */
export function saslResponse(s: Pop3State, out: Out, line: string): void {
  const sasl = s.sasl!;
  if (line === "*") return saslStep(s, out, sasl.server.respond("*"));
  const data = decodeBase64Strict(line);
  if (!data) return failed(s, out, "malformed");
  if (sasl.finalSent) {
    // The client acknowledges our server-final data (SCRAM) with an empty response.
    if (data.length !== 0) return failed(s, out, "malformed");
    return emitLogin(s, out, sasl.mechanism, sasl.username ?? "");
  }
  saslStep(s, out, sasl.server.respond(data));
}

function saslStep(s: Pop3State, out: Out, step: SaslStep): void {
  const sasl = s.sasl!;
  switch (step.type) {
    case "challenge":
      return reply(out, continuation(b64(step.data)));
    case "verify-password":
      sasl.username = step.authcid;
      return wait(s, out, { kind: "verify", mechanism: sasl.mechanism, username: step.authcid }, {
        type: "provide",
        event: "auth.verify",
        payload: { session: s.session, mechanism: sasl.mechanism, username: step.authcid, password: step.password },
      });
    case "need-scram":
      sasl.username = step.authcid;
      return wait(s, out, { kind: "scram" }, { type: "provide", event: "auth.scram", payload: { session: s.session, username: step.authcid } });
    case "success":
      sasl.username ??= step.authcid;
      if (step.data && step.data.length > 0) {
        // RFC 5034 §4 has no success data in "+OK": it goes in one more challenge, answered empty.
        sasl.finalSent = true;
        return reply(out, continuation(b64(step.data)));
      }
      return emitLogin(s, out, sasl.mechanism, sasl.username);
    case "failure":
      return failed(s, out, step.reason);
  }
}

export function passwordChecked(s: Pop3State, out: Out, mechanism: string, r: AuthCheck, username = ""): void {
  if (!s.sasl) {
    if (r.ok) return emitLogin(s, out, mechanism, r.address);
    return failed(s, out, "credentials", { mechanism, username });
  }
  // Record the stored address, not the client's spelling, as the authenticated user.
  if (r.ok) s.sasl.username = r.address;
  saslStep(s, out, s.sasl.server.passwordResult(r.ok));
}

export function scramLoaded(s: Pop3State, out: Out, creds: (ScramCredentials & { address: string }) | null): void {
  if (!s.sasl) return;
  if (creds) s.sasl.username = creds.address;
  saslStep(s, out, s.sasl.server.scramCredentials(creds));
}

/** The credential store or a handler failed: nothing is known about the password. */
export function authUnavailable(s: Pop3State, out: Out): void {
  s.sasl = null;
  reply(out, err("Authentication service unavailable, try again later", "SYS/TEMP"));
}

function emitLogin(s: Pop3State, out: Out, mechanism: string, address: string): void {
  s.sasl = null;
  wait(s, out, { kind: "login", mechanism, address }, {
    type: "policy",
    event: "pop3.login",
    payload: { session: s.session, mechanism, username: address },
  });
}

export function loginVerdict(s: Pop3State, out: Out, v: Verdict, address: string): void {
  switch (v.kind) {
    case "reject":
      // A policy refusing with 5.7.8 (credentials invalid, e.g. a lockout) answers exactly
      // like a wrong password, so a guesser cannot tell a right password was refused.
      if (v.reply.enhanced === "5.7.8") return reply(out, err("Authentication failed", "AUTH"));
      // RFC 3206 §4: SYS/PERM — retrying the same credentials will not help.
      return reply(out, err(v.reply.text, "SYS/PERM"));
    case "tempfail":
      return reply(out, err(v.reply.text, "SYS/TEMP"));
    case "disconnect":
      return close(s, out, err(v.reply.text, "SYS/TEMP"));
    default:
      // RFC 1939 §4: the maildrop is locked before the TRANSACTION state begins.
      return wait(s, out, { kind: "maildrop", address }, { type: "openMaildrop", address });
  }
}

export function maildropOpened(s: Pop3State, out: Out, address: string, r: MaildropResult): void {
  if (!r.ok) {
    // RFC 2449 §8.1.1: IN-USE — another POP3 session holds the maildrop; IMAP does not.
    if (r.reason === "in-use") return reply(out, err("Maildrop is locked by another POP3 session", "IN-USE"));
    if (r.reason === "no-mailbox") return reply(out, err("No INBOX for this account", "SYS/PERM"));
    return reply(out, err("Cannot open the maildrop, try again later", "SYS/TEMP"));
  }
  s.phase = "transaction";
  s.maildrop = r.maildrop;
  s.session = { ...s.session, authUser: address };
  const n = r.maildrop.messages.length;
  const size = r.maildrop.messages.reduce((a, m) => a + m.size, 0);
  reply(out, ok(`Logged in; maildrop has ${n} message${n === 1 ? "" : "s"} (${size} octets)`));
}

/** A failed attempt: growing delay, then -ERR [AUTH]; past the limit the connection ends. */
export function failed(
  s: Pop3State,
  out: Out,
  reason: "malformed" | "credentials" | "aborted" | "authzid",
  who: { mechanism: string; username: string } = { mechanism: s.sasl?.mechanism ?? "", username: s.sasl?.username ?? "" },
): void {
  s.sasl = null;
  if (reason === "aborted") return reply(out, err("Authentication cancelled"));
  if (reason === "malformed") return protocolError(s, out, "Malformed authentication data");
  s.authFailures++;
  // Before the back-off and the -ERR: counters across connections (rate-limit handler) are
  // current by the time the client may try again.
  out.push({ type: "notify", event: "auth.failed", payload: { session: s.session, ...who } });
  // Growing delay (1×, 2×, 4× …) slows password guessing (DESIGN §5).
  out.push({ type: "delay", ms: s.opts.authFailureDelayMs * 2 ** (s.authFailures - 1) });
  // RFC 3206 §4 (AUTH-RESP-CODE): [AUTH] says the credentials are the problem.
  if (s.authFailures >= s.opts.maxAuthFailures) return close(s, out, err("Authentication failed; too many failures, closing connection", "AUTH"));
  reply(out, err("Authentication failed", "AUTH"));
}
