// The POP3 session as a state machine (DESIGN §1): step(state, input) → actions. States of
// RFC 1939 §3: AUTHORIZATION → TRANSACTION → UPDATE. No I/O: the driver feeds inputs.

import type { AuthCheck, SessionInfo } from "../../events/catalog.ts";
import type { ScramCredentials } from "../sasl/mod.ts";
import { auth, authUnavailable, failed as authFailed, loginVerdict, maildropOpened, pass, passwordChecked, saslResponse, scramLoaded, user } from "./auth.ts";
import { capabilities } from "./capabilities.ts";
import { parseCommand, type Pop3Command } from "./command.ts";
import { close, protocolError, reply, type Out } from "./emit.ts";
import { err, multiline, ok } from "./response.ts";
import { dele, list, quit, retr, retrieved, rset, stat, uidl, updated } from "./transaction.ts";
import type { Pop3Input, Pop3Options, Pop3State, Step } from "./types.ts";

export function createSession(session: SessionInfo, opts: Pop3Options): Pop3State {
  return { session, opts, phase: "authorization", user: null, sasl: null, pending: null, maildrop: null, errors: 0, authFailures: 0, closed: false };
}

export function step(s: Pop3State, input: Pop3Input): Step {
  const out: Out = [];
  if (s.closed) return { state: s, actions: out };
  switch (input.type) {
    case "connect":
      // RFC 1939 §4: the greeting. No APOP timestamp: APOP is not offered.
      reply(out, ok(`${s.opts.hostname} Hikyaku POP3 ready`));
      break;
    case "line":
      if (s.sasl) saslResponse(s, out, input.line);
      else command(s, out, input.line);
      break;
    case "line-too-long":
      if (s.sasl) authFailed(s, out, "malformed");
      // RFC 2449 §4: command lines are at most 255 octets, CRLF included.
      else protocolError(s, out, "Line too long");
      break;
    case "invalid-utf8":
      s.sasl = null;
      protocolError(s, out, "Invalid characters in command");
      break;
    case "verdict":
    case "provided":
    case "provide-failed":
    case "maildrop":
    case "retrieved":
    case "updated":
      resume(s, out, input);
      break;
    case "tls":
      // RFC 2595 §4: after the handshake the client must discard what it knew; so do we.
      s.session = { ...s.session, tls: input.info };
      s.user = null;
      s.sasl = null;
      break;
    case "timeout":
      // RFC 1939 §3: the autologout timer closes without entering UPDATE (nothing deleted).
      close(s, out, err("Autologout; idle for too long"));
      break;
    case "shutdown":
      close(s, out, err("Server shutting down, try again later", "SYS/TEMP"));
      break;
  }
  return { state: s, actions: out };
}

const AUTHORIZATION_ONLY = new Set(["USER", "PASS", "AUTH", "APOP", "STLS"]);
const TRANSACTION_ONLY = new Set(["STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET", "NOOP"]);

function command(s: Pop3State, out: Out, line: string): void {
  const cmd = parseCommand(line);
  if (cmd.verb === "UNKNOWN") return protocolError(s, out, "Unknown command");
  if (cmd.verb === "INVALID") return protocolError(s, out, cmd.text);
  if (s.phase === "authorization" && TRANSACTION_ONLY.has(cmd.verb)) return protocolError(s, out, `${cmd.verb} is not allowed before authentication`);
  if (s.phase === "transaction" && AUTHORIZATION_ONLY.has(cmd.verb)) return protocolError(s, out, `${cmd.verb} is not allowed after authentication`);
  dispatch(s, out, cmd);
}

function dispatch(s: Pop3State, out: Out, cmd: Exclude<Pop3Command, { verb: "UNKNOWN" | "INVALID" }>): void {
  switch (cmd.verb) {
    case "CAPA":
      return reply(out, multiline("Capability list follows", capabilities(s)));
    case "QUIT":
      if (s.phase === "transaction") return quit(s, out);
      return close(s, out, ok(`${s.opts.hostname} Hikyaku POP3 signing off`));
    case "USER":
      return user(s, out, cmd.name);
    case "PASS":
      return pass(s, out, cmd.password);
    case "AUTH":
      return auth(s, out, cmd.mechanism, cmd.initial);
    case "APOP":
      // RFC 1939 §7: optional; it needs the plaintext password stored, which we never keep.
      return protocolError(s, out, "APOP is not supported; use USER/PASS or AUTH");
    case "STLS":
      return stls(s, out);
    case "STAT":
      return stat(s, out);
    case "LIST":
      return list(s, out, cmd.msg);
    case "UIDL":
      return uidl(s, out, cmd.msg);
    case "RETR":
      return retr(s, out, cmd.msg, null);
    case "TOP":
      return retr(s, out, cmd.msg, cmd.lines);
    case "DELE":
      return dele(s, out, cmd.msg);
    case "RSET":
      return rset(s, out);
    case "NOOP":
      return reply(out, ok());
  }
}

function stls(s: Pop3State, out: Out): void {
  if (s.session.tls !== null) return protocolError(s, out, "TLS already active");
  if (!s.opts.startTlsAvailable) return protocolError(s, out, "STLS not available");
  reply(out, ok("Begin TLS negotiation"));
  // RFC 2595 §4 / DESIGN §5: the driver discards anything pipelined after this line.
  out.push({ type: "startTls" });
}

/** The answer to the action the session waits for; what it means depends on what was pending. */
function resume(s: Pop3State, out: Out, input: Extract<Pop3Input, { type: "verdict" | "provided" | "provide-failed" | "maildrop" | "retrieved" | "updated" }>): void {
  const p = s.pending;
  s.pending = null;
  if (!p) return;
  switch (p.kind) {
    case "verify":
      if (input.type === "provide-failed") return authUnavailable(s, out);
      if (input.type === "provided") return passwordChecked(s, out, p.mechanism, input.result as AuthCheck, p.username);
      return;
    case "scram":
      if (input.type === "provide-failed") return authUnavailable(s, out);
      if (input.type === "provided") return scramLoaded(s, out, input.result as (ScramCredentials & { address: string }) | null);
      return;
    case "login":
      if (input.type === "verdict") return loginVerdict(s, out, input.verdict, p.address);
      return;
    case "maildrop":
      if (input.type === "maildrop") return maildropOpened(s, out, p.address, input.result);
      return;
    case "retrieve":
      if (input.type === "retrieved") return retrieved(s, out, p.msg, p.top, input.result);
      return;
    case "update":
      if (input.type === "updated") return updated(s, out, input.ok);
      return;
  }
}
