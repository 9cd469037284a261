// The TRANSACTION and UPDATE states (RFC 1939 §5, §6, §7): STAT, LIST, UIDL, RETR, TOP,
// DELE, RSET, NOOP and QUIT over the maildrop fixed when the session logged in.

import { close, reply, wait, type Out } from "./emit.ts";
import { err, multiline, ok } from "./response.ts";
import type { Maildrop, MaildropMessage, Pop3State } from "./types.ts";

function live(d: Maildrop): { count: number; size: number } {
  let count = 0;
  let size = 0;
  for (const m of d.messages) {
    if (m.deleted) continue;
    count++;
    size += m.size;
  }
  return { count, size };
}

/** RFC 1939 §7: the UIDL value — UIDVALIDITY.UID is stable across sessions and IMAP. */
export function uniqueId(d: Maildrop, m: MaildropMessage): string {
  return `${d.uidValidity}.${m.uid}`;
}

/** The message numbered `msg`, or null after answering -ERR (RFC 1939 §5: deleted ones too). */
function message(s: Pop3State, out: Out, msg: number): MaildropMessage | null {
  const m = s.maildrop!.messages[msg - 1];
  if (msg < 1 || !m) {
    reply(out, err("No such message"));
    return null;
  }
  if (m.deleted) {
    reply(out, err(`Message ${msg} already deleted`));
    return null;
  }
  return m;
}

export function stat(s: Pop3State, out: Out): void {
  const { count, size } = live(s.maildrop!);
  // RFC 1939 §5: exactly "+OK nn mm" — clients parse it.
  reply(out, ok(`${count} ${size}`));
}

export function list(s: Pop3State, out: Out, msg: number | null): void {
  const d = s.maildrop!;
  if (msg !== null) {
    const m = message(s, out, msg);
    if (m) reply(out, ok(`${msg} ${m.size}`));
    return;
  }
  const lines: string[] = [];
  d.messages.forEach((m, i) => {
    if (!m.deleted) lines.push(`${i + 1} ${m.size}`);
  });
  const { count, size } = live(d);
  reply(out, multiline(`${count} messages (${size} octets)`, lines));
}

export function uidl(s: Pop3State, out: Out, msg: number | null): void {
  const d = s.maildrop!;
  if (msg !== null) {
    const m = message(s, out, msg);
    if (m) reply(out, ok(`${msg} ${uniqueId(d, m)}`));
    return;
  }
  const lines: string[] = [];
  d.messages.forEach((m, i) => {
    if (!m.deleted) lines.push(`${i + 1} ${uniqueId(d, m)}`);
  });
  reply(out, multiline("Unique-ID listing follows", lines));
}

export function retr(s: Pop3State, out: Out, msg: number, bodyLines: number | null): void {
  const m = message(s, out, msg);
  if (!m) return;
  const d = s.maildrop!;
  // RFC 1939 §7 (TOP) has no size in its +OK; RETR reports the octets as transmitted.
  const head = bodyLines === null ? ok(`${m.size} octets`) : ok("Top of message follows");
  wait(s, out, { kind: "retrieve", msg, top: bodyLines !== null }, {
    type: "retrieve",
    mailboxId: d.mailboxId,
    uid: m.uid,
    bodyHash: m.bodyHash,
    storedSize: m.storedSize,
    canonical: m.size === m.storedSize,
    head,
    bodyLines,
  });
}

export function retrieved(s: Pop3State, out: Out, msg: number, top: boolean, result: "sent" | "gone" | "error"): void {
  switch (result) {
    case "sent":
      if (!top) s.maildrop!.messages[msg - 1].retrieved = true;
      return;
    case "gone":
      return reply(out, err(`Message ${msg} was removed by another client`));
    case "error":
      return reply(out, err("Cannot read the message now, try again later", "SYS/TEMP"));
  }
}

export function dele(s: Pop3State, out: Out, msg: number): void {
  const m = message(s, out, msg);
  if (!m) return;
  // RFC 1939 §5: only marked; removed in the UPDATE state, after QUIT.
  m.deleted = true;
  reply(out, ok(`Message ${msg} deleted`));
}

export function rset(s: Pop3State, out: Out): void {
  for (const m of s.maildrop!.messages) m.deleted = false;
  const { count, size } = live(s.maildrop!);
  reply(out, ok(`Maildrop has ${count} messages (${size} octets)`));
}

/**
 * QUIT in TRANSACTION enters UPDATE (RFC 1939 §6): marked messages are removed — and, with
 * EXPIRE 0 (RFC 2449 §6.7), retrieved ones too — in one durable write before the +OK.
 */
export function quit(s: Pop3State, out: Out): void {
  const d = s.maildrop!;
  s.phase = "update";
  const expunge: number[] = [];
  const seen: number[] = [];
  for (const m of d.messages) {
    if (m.deleted || (m.retrieved && s.opts.expire === 0)) expunge.push(m.uid);
    else if (m.retrieved) seen.push(m.uid);
  }
  if (expunge.length === 0 && seen.length === 0) return close(s, out, ok(`${s.opts.hostname} Hikyaku POP3 signing off`));
  wait(s, out, { kind: "update" }, { type: "update", mailboxId: d.mailboxId, expunge, seen });
}

export function updated(s: Pop3State, out: Out, success: boolean): void {
  // RFC 1939 §6: "-ERR some deleted messages not removed" when the update fails.
  if (!success) return close(s, out, err("Some deleted messages not removed, try again later", "SYS/TEMP"));
  close(s, out, ok(`${s.opts.hostname} Hikyaku POP3 signing off`));
}
