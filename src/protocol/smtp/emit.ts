// Small builders the verb files share: replies as wire text, and the pending-event
// bookkeeping (the session emits one event at a time and waits for its answer).

import type { PolicyEvent, ProviderEvent, PayloadOf } from "../../events/catalog.ts";
import { formatReply, type SmtpReply } from "./reply.ts";
import type { Pending, SmtpAction, SmtpState } from "./types.ts";

export type Out = SmtpAction[];

export function reply(out: Out, code: number, enhanced: string | null, ...lines: string[]): void {
  out.push({ type: "reply", text: formatReply(code, enhanced, lines) });
}

export function replyWith(out: Out, r: SmtpReply): void {
  out.push({ type: "reply", text: formatReply(r.code, r.enhanced, [r.text]) });
}

export function emitPolicy<E extends PolicyEvent>(s: SmtpState, out: Out, pending: Pending, event: E, payload: PayloadOf<E>): void {
  s.pending = pending;
  out.push({ type: "policy", event, payload });
}

export function emitProvide<E extends ProviderEvent>(s: SmtpState, out: Out, pending: Pending, event: E, payload: PayloadOf<E>): void {
  s.pending = pending;
  out.push({ type: "provide", event, payload });
}

export function close(s: SmtpState, out: Out, code: number, enhanced: string, text: string): void {
  reply(out, code, enhanced, text);
  endTransaction(s, out);
  s.closed = true;
  out.push({ type: "close" });
}

/** Drops the transaction (RFC 5321 §4.1.1.5 RSET semantics) and asks for its trace to be kept. */
export function endTransaction(s: SmtpState, out: Out, messageId: string | null = null): void {
  if (s.tx) out.push({ type: "endTransaction", transactionId: s.tx.id, messageId });
  s.tx = null;
}

/** Counts a protocol error; past the limit the session ends (421, RFC 5321 §4.2.2 / §3.8). */
export function protocolError(s: SmtpState, out: Out, r: SmtpReply): void {
  s.errors++;
  if (s.errors >= s.opts.maxErrors) {
    replyWith(out, r);
    close(s, out, 421, "4.7.0", `${s.opts.hostname} Too many errors, closing connection`);
    return;
  }
  replyWith(out, r);
}
