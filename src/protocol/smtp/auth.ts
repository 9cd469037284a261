// AUTH (RFC 4954) over the SASL mechanisms of src/protocol/sasl: PLAIN, LOGIN and
// SCRAM-SHA-256, never over cleartext unless allowed (DESIGN §5), with failure back-off.

import type { AuthCheck } from "../../events/catalog.ts";
import type { Verdict } from "../../events/verdict.ts";
import { createSasl, type SaslStep, type ScramCredentials } from "../sasl/mod.ts";
import { decodeBase64Strict } from "../sasl/base64.ts";
import type { SmtpState } from "./types.ts";
import { canAuth } from "./ehlo.ts";
import { close, emitPolicy, emitProvide, protocolError, reply, replyWith, type Out } from "./emit.ts";

// Challenges are small (SCRAM messages): btoa over a binary string is enough and portable.
const b64 = (d: Uint8Array) => btoa(String.fromCharCode(...d));

export function auth(s: SmtpState, out: Out, mechanism: string, initial: string | null): void {
  const submission = s.opts.role === "submission" || s.opts.role === "submissions";
  if (!submission) return protocolError(s, out, { code: 502, enhanced: "5.5.1", text: "AUTH not available on this port" });
  if (s.greeted !== "EHLO") return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "Send EHLO first" });
  if (!canAuth(s)) return reply(out, 530, "5.7.0", "Must issue a STARTTLS command first");
  // RFC 4954 §4: AUTH is not allowed after a successful AUTH, nor during a transaction.
  if (s.session.authUser !== null) return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "Already authenticated" });
  if (s.tx) return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "AUTH not allowed during a mail transaction" });
  const server = createSasl(mechanism);
  if (!server) return protocolError(s, out, { code: 504, enhanced: "5.5.4", text: "Unrecognized authentication type" });
  let data: Uint8Array | null = null;
  if (initial !== null) {
    // RFC 4954 §4: "=" stands for an empty initial response.
    data = initial === "" || initial === "=" ? new Uint8Array(0) : decodeBase64Strict(initial);
    if (!data) return reply(out, 501, "5.5.2", "Cannot decode response");
  }
  s.sasl = { server, mechanism: server.mechanism, finalSent: false, username: null };
  saslStep(s, out, server.start(data));
}

/** A line while an AUTH exchange runs is a SASL response (RFC 4954 §4), not a command. */
export function saslResponse(s: SmtpState, out: Out, line: string): void {
  const sasl = s.sasl!;
  if (line === "*") return saslStep(s, out, sasl.server.respond("*"));
  const data = decodeBase64Strict(line);
  if (!data) {
    s.sasl = null;
    return reply(out, 501, "5.5.2", "Cannot decode response");
  }
  if (sasl.finalSent) {
    // The client acknowledges our server-final data with an empty response.
    if (data.length !== 0) return failed(s, out, "malformed");
    return emitAuthPolicy(s, out);
  }
  saslStep(s, out, sasl.server.respond(data));
}

/**
 * RFC 4954 §4: continue-req = "334" SP [base64] CRLF — the SP is required even for an empty
 * challenge, and the base64 is one line (formatReply would drop the SP and wrap long text).
 */
function challenge(out: Out, data: Uint8Array): void {
  out.push({ type: "reply", text: `334 ${b64(data)}\r\n` });
}

function saslStep(s: SmtpState, out: Out, step: SaslStep): void {
  const sasl = s.sasl!;
  switch (step.type) {
    case "challenge":
      return challenge(out, step.data);
    case "verify-password":
      sasl.username = step.authcid;
      return emitProvide(s, out, { kind: "auth-verify" }, "auth.verify", {
        session: s.session,
        mechanism: sasl.mechanism,
        username: step.authcid,
        password: step.password,
      });
    case "need-scram":
      sasl.username = step.authcid;
      return emitProvide(s, out, { kind: "auth-scram" }, "auth.scram", { session: s.session, username: step.authcid });
    case "success":
      sasl.username ??= step.authcid;
      if (step.data && step.data.length > 0) {
        // RFC 4954 §4: additional data with success goes in a 334 challenge, then 235.
        sasl.finalSent = true;
        return challenge(out, step.data);
      }
      return emitAuthPolicy(s, out);
    case "failure":
      return failed(s, out, step.reason);
  }
}

function emitAuthPolicy(s: SmtpState, out: Out): void {
  const sasl = s.sasl!;
  emitPolicy(s, out, { kind: "auth-policy", username: sasl.username ?? "" }, "smtp.auth", {
    session: s.session,
    mechanism: sasl.mechanism,
    username: sasl.username ?? "",
  });
}

export function passwordChecked(s: SmtpState, out: Out, r: AuthCheck): void {
  if (r.ok) s.sasl!.username = r.address;
  saslStep(s, out, s.sasl!.server.passwordResult(r.ok));
}

export function scramLoaded(s: SmtpState, out: Out, creds: (ScramCredentials & { address: string }) | null): void {
  // Record the stored address, not the client's spelling, as the authenticated user.
  if (creds) s.sasl!.username = creds.address;
  saslStep(s, out, s.sasl!.server.scramCredentials(creds));
}

export function authVerdict(s: SmtpState, out: Out, v: Verdict, username: string): void {
  s.sasl = null;
  if (v.kind === "reject" || v.kind === "tempfail") return replyWith(out, v.reply);
  if (v.kind === "disconnect") return close(s, out, v.reply.code, v.reply.enhanced, v.reply.text);
  s.session = { ...s.session, authUser: username };
  reply(out, 235, "2.7.0", "Authentication successful");
}

export function failed(s: SmtpState, out: Out, reason: "malformed" | "credentials" | "aborted" | "authzid"): void {
  const sasl = s.sasl;
  s.sasl = null;
  if (reason === "aborted") return reply(out, 501, "5.0.0", "Authentication aborted");
  if (reason === "malformed") return reply(out, 501, "5.5.2", "Malformed authentication data");
  s.authFailures++;
  // Before the back-off and the 535: counters across connections (rate-limit handler) are
  // current by the time the client may try again.
  out.push({
    type: "notify",
    event: "auth.failed",
    payload: { session: s.session, mechanism: sasl?.mechanism ?? "", username: sasl?.username ?? "" },
  });
  // Growing delay (1×, 2×, 4× …) slows password guessing; then the connection ends.
  out.push({ type: "delay", ms: s.opts.authFailureDelayMs * 2 ** (s.authFailures - 1) });
  if (s.authFailures >= s.opts.maxAuthFailures) {
    reply(out, 535, "5.7.8", "Authentication credentials invalid");
    return close(s, out, 421, "4.7.0", `${s.opts.hostname} Too many authentication failures`);
  }
  reply(out, 535, "5.7.8", "Authentication credentials invalid");
}
