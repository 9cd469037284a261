// DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030): collecting the message, the end-of-data
// policy, and the delivery reply — one per recipient for LMTP (RFC 2033 §4.2).

import { applyHeaderEdits } from "../mime/header-edits.ts";
import type { DeliveryResult, EnvelopeInfo } from "../../events/catalog.ts";
import type { Verdict } from "../../events/verdict.ts";
import type { SmtpState } from "./types.ts";
import { emitPolicy, emitProvide, endTransaction, protocolError, reply, replyWith, close, type Out } from "./emit.ts";
import { mailParamsRecord } from "./mail.ts";
import { receivedHeader } from "./received.ts";

const enc = new TextEncoder();

export function data(s: SmtpState, out: Out): void {
  if (!s.tx) return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "Need MAIL command" });
  // RFC 3030 §2: DATA may not be mixed with BDAT in one transaction.
  if (s.tx.body === "bdat") return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "DATA not allowed after BDAT" });
  // RFC 5321 §3.3: no valid recipients → 554 (503 would be "no RCPT at all"; both mean no).
  // RFC 2033 §4.2: LMTP MUST answer 503 here.
  if (s.tx.recipients.length === 0) return reply(out, s.opts.role === "lmtp" ? 503 : 554, "5.5.1", "No valid recipients");
  reply(out, 354, null, "End data with <CR><LF>.<CR><LF>");
  out.push({ type: "readData" });
}

export function dataReceived(s: SmtpState, out: Out, body: Uint8Array, error: null | "too-big" | "bare-cr-lf" | "line-too-long", at: number): void {
  if (!s.tx) return;
  switch (error) {
    // RFC 2033 §4.2: after the final dot LMTP answers once per accepted recipient, refusals too.
    case "too-big":
      perRecipient(s, out, () => reply(out, 552, "5.3.4", `Message size exceeds fixed maximum message size (${s.opts.maxMessageBytes})`));
      return endTransaction(s, out);
    case "bare-cr-lf":
      // RFC 5321 §2.3.8: CR and LF only as CRLF. Refusing (not repairing) is the smuggling defence.
      perRecipient(s, out, () => reply(out, 550, "5.6.0", "Bare CR or LF in message data is not allowed (RFC 5321 section 2.3.8)"));
      return endTransaction(s, out);
    case "line-too-long":
      // RFC 5321 §4.5.3.1.6: text lines are at most 1000 octets including CRLF.
      perRecipient(s, out, () => reply(out, 550, "5.6.0", "Line too long (RFC 5321 section 4.5.3.1.6)"));
      return endTransaction(s, out);
    case null:
      return finish(s, out, body, at);
  }
}

export function bdat(s: SmtpState, out: Out, size: number, last: boolean): void {
  // RFC 3030 §2: the chunk is always read, even when the command is refused.
  if (!s.tx || (s.tx.recipients.length === 0 && !s.tx.failed)) {
    out.push({ type: "readChunk", size, last, discard: true, remaining: 0 });
    return;
  }
  s.tx.body = "bdat";
  out.push({ type: "readChunk", size, last, discard: s.tx.failed !== null, remaining: s.opts.maxMessageBytes });
}

export function chunkReceived(s: SmtpState, out: Out, body: Uint8Array | null, tooBig: boolean, last: boolean, size: number, at: number): void {
  if (!s.tx) return protocolError(s, out, { code: 503, enhanced: "5.5.1", text: "Need MAIL command" });
  if (s.tx.recipients.length === 0 && !s.tx.failed) return reply(out, 554, "5.5.1", "No valid recipients");
  if (tooBig && !s.tx.failed) {
    s.tx.failed = { code: 552, enhanced: "5.3.4", text: `Message size exceeds fixed maximum message size (${s.opts.maxMessageBytes})` };
  }
  if (s.tx.failed) {
    const failed = s.tx.failed;
    // The failed transaction ends at LAST; chunks until then are read and refused.
    // LMTP answers BDAT LAST once per recipient, like the final dot (RFC 2033 §4.2).
    if (!last) return replyWith(out, failed);
    perRecipient(s, out, () => replyWith(out, failed));
    return endTransaction(s, out);
  }
  if (!last) return reply(out, 250, "2.0.0", `${size} octets received`);
  finish(s, out, body ?? new Uint8Array(0), at);
}

/** Header block length: up to and including the blank line (or all of it when absent). */
export function headerLength(body: Uint8Array): number {
  for (let i = 0; i + 3 < body.length; i++) {
    if (body[i] === 13 && body[i + 1] === 10 && body[i + 2] === 13 && body[i + 3] === 10) return i + 4;
  }
  return body.length;
}

function finish(s: SmtpState, out: Out, body: Uint8Array, at: number): void {
  const tx = s.tx!;
  if (headerLength(body) > s.opts.maxHeaderBytes) {
    perRecipient(s, out, () => reply(out, 552, "5.3.4", "Message header too large"));
    return endTransaction(s, out);
  }
  const received = receivedHeader({
    session: s.session,
    hostname: s.opts.hostname,
    id: tx.id,
    esmtp: s.greeted !== "HELO",
    smtputf8: tx.params.smtputf8,
    recipients: tx.recipients.map((r) => r.address),
    at,
  });
  const head = enc.encode(received);
  const message = new Uint8Array(head.length + body.length);
  message.set(head, 0);
  message.set(body, head.length);
  emitPolicy(s, out, { kind: "data-policy", message }, "smtp.data", { session: s.session, envelope: envelope(s), message });
}

export function envelope(s: SmtpState): EnvelopeInfo {
  const tx = s.tx!;
  return { transactionId: tx.id, mailFrom: tx.from, mailParams: mailParamsRecord(tx.params), recipients: tx.recipients };
}

export function dataVerdict(s: SmtpState, out: Out, v: Verdict, message: Uint8Array): void {
  const tx = s.tx!;
  switch (v.kind) {
    case "reject":
    case "tempfail":
      perRecipient(s, out, () => replyWith(out, v.reply));
      return endTransaction(s, out, messageIdOf(message));
    case "disconnect":
      return close(s, out, v.reply.code, v.reply.enhanced, v.reply.text);
    case "discard":
      perRecipient(s, out, () => reply(out, 250, "2.0.0", `Ok: queued as ${tx.id}`));
      return endTransaction(s, out, messageIdOf(message));
    case "continue":
    case "accept":
    case "quarantine": {
      // Edits the policy chain asked for (e.g. Authentication-Results, RFC 8601 §5).
      const edited = applyHeaderEdits(message, v.headers);
      emitProvide(s, out, { kind: "deliver", message: edited }, "message.deliver", {
        session: s.session,
        envelope: envelope(s),
        message: edited,
        quarantine: v.kind === "quarantine",
      });
      return;
    }
  }
}

export function delivered(s: SmtpState, out: Out, result: DeliveryResult | null, message: Uint8Array): void {
  if (!result) {
    perRecipient(s, out, () => reply(out, 451, "4.3.0", "Temporary local problem, please try again later"));
  } else if (s.opts.role === "lmtp") {
    // RFC 2033 §4.2: one reply per successful RCPT, in order.
    for (const r of result.recipients) {
      if (r.ok) reply(out, 250, "2.0.0", `<${r.address}> ${r.reply}`);
      else reply(out, 451, "4.3.0", `<${r.address}> ${r.reply}`);
    }
  } else if (result.recipients.every((r) => r.ok)) {
    reply(out, 250, "2.0.0", `Ok: queued as ${result.queueId}`);
  } else {
    reply(out, 451, "4.3.0", "Temporary local problem, please try again later");
  }
  endTransaction(s, out, messageIdOf(message));
}

function perRecipient(s: SmtpState, out: Out, fn: () => void): void {
  if (s.opts.role !== "lmtp") return fn();
  for (let i = 0; i < (s.tx?.recipients.length ?? 1); i++) fn();
}

/** The Message-ID header, for the trace (operators look messages up by it). */
export function messageIdOf(message: Uint8Array): string | null {
  const head = new TextDecoder().decode(message.subarray(0, Math.min(message.length, headerLength(message), 256 * 1024)));
  const m = /^message-id:[ \t]*(?:\r\n[ \t]+)?(<[^>\r\n]{1,250}>)/im.exec(head);
  return m ? m[1] : null;
}
