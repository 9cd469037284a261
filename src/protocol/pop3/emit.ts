// Small builders the POP3 command files share: replies, the error counter, closing, and the
// pending-event bookkeeping (the session waits for one answer at a time).

import { err, type RespCode } from "./response.ts";
import type { Pending, Pop3Action, Pop3State } from "./types.ts";

export type Out = Pop3Action[];

export function reply(out: Out, text: string): void {
  out.push({ type: "reply", text });
}

export function wait(s: Pop3State, out: Out, pending: Pending, action: Pop3Action): void {
  s.pending = pending;
  out.push(action);
}

/** Ends the session without entering UPDATE (nothing marked is deleted, RFC 1939 §6). */
export function close(s: Pop3State, out: Out, text: string): void {
  reply(out, text);
  s.closed = true;
  out.push({ type: "close" });
}

/** Counts a bad command; past the limit the session ends (abuse guard, DESIGN §5). */
export function protocolError(s: Pop3State, out: Out, text: string, code: RespCode | null = null): void {
  s.errors++;
  reply(out, err(text, code));
  if (s.errors >= s.opts.maxErrors) close(s, out, err("Too many errors, closing connection"));
}
