// The SMTP/LMTP session as a state machine (DESIGN §1): step(state, input) → actions.
// No I/O: the socket layer feeds inputs and carries out replies, events and TLS.

import type { AuthCheck, DeliveryResult, RecipientInfo, Resolution, SessionInfo } from "../../events/catalog.ts";
import type { ScramCredentials } from "../sasl/mod.ts";
import { parseCommand } from "./command.ts";
import { auth, authVerdict, failed as authFailed, passwordChecked, saslResponse, scramLoaded } from "./auth.ts";
import { bdat, chunkReceived, data, dataReceived, dataVerdict, delivered } from "./data.ts";
import { helo, heloAccepted } from "./ehlo.ts";
import { close, endTransaction, protocolError, reply, replyWith, type Out } from "./emit.ts";
import { mail, senderResolved } from "./mail.ts";
import { rcpt, recipientAccepted, recipientResolved } from "./rcpt.ts";
import type { SessionOptions, SmtpInput, SmtpState, Step } from "./types.ts";

export type SessionDeps = { readonly newId: () => string };

export function createSession(session: SessionInfo, opts: SessionOptions): SmtpState {
  return { session, opts, bannerSent: false, greeted: "none", tx: null, pending: null, sasl: null, errors: 0, authFailures: 0, closed: false };
}

export function step(s: SmtpState, input: SmtpInput, deps: SessionDeps): Step {
  const out: Out = [];
  if (s.closed) return { state: s, actions: out };
  switch (input.type) {
    case "connect":
      s.pending = { kind: "connect" };
      out.push({ type: "policy", event: "smtp.connect", payload: { session: s.session } });
      break;
    case "line":
      if (input.early) {
        // RFC 5321 §4.3.1: the client must wait for the greeting. Early talkers are spam bots.
        close(s, out, 554, "5.5.1", "Protocol error: command sent before the greeting");
      } else if (s.sasl) saslResponse(s, out, input.line);
      else command(s, out, input.line, deps);
      break;
    case "line-too-long":
      if (s.sasl) authFailed(s, out, "malformed");
      // RFC 5321 §4.5.3.1.4 and §4.2.2: 500 for a line that is too long.
      else protocolError(s, out, { code: 500, enhanced: "5.5.2", text: "Line too long" });
      break;
    case "invalid-utf8":
      s.sasl = null;
      protocolError(s, out, { code: 500, enhanced: "5.5.2", text: "Invalid UTF-8 in command" });
      break;
    case "data":
      dataReceived(s, out, input.body, input.error, input.receivedAt);
      break;
    case "chunk":
      chunkReceived(s, out, input.body, input.tooBig, input.last, input.size, input.receivedAt);
      break;
    case "verdict":
    case "provided":
    case "provide-failed":
      resume(s, out, input, deps);
      break;
    case "tls":
      // RFC 3207 §4.2: after the handshake the session starts afresh; EHLO is needed again.
      s.session = { ...s.session, tls: input.info, helo: null, authUser: null };
      s.greeted = "none";
      // Through endTransaction, so the socket layer also drops BDAT chunks collected in
      // cleartext: they must never become part of a message sent after the handshake.
      endTransaction(s, out);
      s.sasl = null;
      break;
    case "shutdown":
      // RFC 5321 §3.8: 421 when the service is shutting down.
      close(s, out, 421, "4.3.2", `${s.opts.hostname} Service shutting down`);
      break;
    case "timeout":
      // RFC 5321 §4.5.3.2: on timeout the server may close with 421.
      close(s, out, 421, "4.4.2", `${s.opts.hostname} Timeout, closing connection`);
      break;
  }
  return { state: s, actions: out };
}

function command(s: SmtpState, out: Out, line: string, deps: SessionDeps): void {
  const cmd = parseCommand(line);
  switch (cmd.verb) {
    case "HELO":
    case "EHLO":
    case "LHLO":
      return helo(s, out, cmd.verb, cmd.domain);
    case "MAIL":
      return mail(s, out, cmd.path, cmd.params, deps.newId);
    case "RCPT":
      return rcpt(s, out, cmd.path, cmd.params);
    case "DATA":
      return data(s, out);
    case "BDAT":
      return bdat(s, out, cmd.size, cmd.last);
    case "RSET":
      endTransaction(s, out);
      return reply(out, 250, "2.0.0", "Ok");
    case "NOOP":
      return reply(out, 250, "2.0.0", "Ok");
    case "QUIT":
      return close(s, out, 221, "2.0.0", `${s.opts.hostname} Bye`);
    case "VRFY":
      // RFC 5321 §3.5.3: 252 neither confirms nor denies (no address harvesting).
      return reply(out, 252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
    case "EXPN":
      return reply(out, 502, "5.5.1", "EXPN not available");
    case "HELP":
      return reply(out, 214, "2.0.0", "See RFC 5321; commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS AUTH");
    case "STARTTLS":
      return startTls(s, out);
    case "AUTH":
      return auth(s, out, cmd.mechanism, cmd.initial);
    case "UNKNOWN":
      return protocolError(s, out, { code: 500, enhanced: "5.5.2", text: "Command unrecognized" });
    case "INVALID":
      return protocolError(s, out, cmd.reply);
  }
}

function startTls(s: SmtpState, out: Out): void {
  if (s.session.tls !== null) return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "TLS already active" });
  if (!s.opts.startTlsAvailable) return protocolError(s, out, { code: 502, enhanced: "5.5.1", text: "STARTTLS not available" });
  reply(out, 220, "2.0.0", "Ready to start TLS");
  // The socket layer discards anything the client pipelined after this (RFC 3207 §4, injection).
  out.push({ type: "startTls" });
}

/** The answer to the event the session emitted; what it means depends on what was pending. */
function resume(s: SmtpState, out: Out, input: Extract<SmtpInput, { type: "verdict" | "provided" | "provide-failed" }>, deps: SessionDeps): void {
  const p = s.pending;
  s.pending = null;
  if (!p) return;
  if (input.type === "provide-failed") {
    if (p.kind === "deliver") return delivered(s, out, null, p.message);
    s.sasl = null;
    return reply(out, 451, "4.3.0", "Temporary local problem, please try again later");
  }
  if (input.type === "provided") {
    switch (p.kind) {
      case "mail-sender":
        return senderResolved(s, out, p.from, p.smtputf8, p.params, input.result as Resolution, deps.newId);
      case "rcpt-resolve":
        return recipientResolved(s, out, p.address, p.orcpt, p.notify, input.result as Resolution);
      case "auth-verify":
        return passwordChecked(s, out, input.result as AuthCheck);
      case "auth-scram":
        return scramLoaded(s, out, input.result as (ScramCredentials & { address: string }) | null);
      case "deliver":
        return delivered(s, out, input.result as DeliveryResult, p.message);
      default:
        return;
    }
  }
  const v = input.verdict;
  switch (p.kind) {
    case "connect":
      s.bannerSent = true;
      if (v.kind === "reject") return close(s, out, 554, v.reply.enhanced, v.reply.text);
      if (v.kind === "tempfail" || v.kind === "disconnect") return close(s, out, 421, v.reply.enhanced, v.reply.text);
      // RFC 5321 §4.2: the greeting; RFC 2034 exempts it from enhanced codes.
      return reply(out, 220, null, `${s.opts.hostname} ${s.opts.role === "lmtp" ? "LMTP" : "ESMTP"} Hikyaku`);
    case "helo":
      if (verdictStops(s, out, v)) return;
      return heloAccepted(s, out, p.verb, p.domain);
    case "mail":
      if (verdictStops(s, out, v)) return endTransaction(s, out);
      return reply(out, 250, "2.1.0", "Ok");
    case "rcpt":
      if (verdictStops(s, out, v)) return;
      return recipientAccepted(s, out, p.recipient as RecipientInfo);
    case "auth-policy":
      return authVerdict(s, out, v, p.username);
    case "data-policy":
      return dataVerdict(s, out, v, p.message);
    default:
      return;
  }
}

/** reject/tempfail/disconnect end the command; continue/accept (and others) let it proceed. */
function verdictStops(s: SmtpState, out: Out, v: import("../../events/verdict.ts").Verdict): boolean {
  switch (v.kind) {
    case "reject":
    case "tempfail":
      replyWith(out, v.reply);
      return true;
    case "disconnect":
      close(s, out, v.reply.code, v.reply.enhanced, v.reply.text);
      return true;
    default:
      return false;
  }
}
