// The `* STATUS` response (RFC 9051 §7.3.4), shared by STATUS (§6.3.11) and LIST-STATUS
// (RFC 5819 §2, which returns exactly what STATUS would for each listed mailbox).

import type { StatusItem } from "../protocol/imap/types.ts";
import type { MailboxStatus } from "../store/imap-status.ts";
import type { ImapSession } from "./session.ts";
import type { ImapWriter } from "../protocol/imap/serialize.ts";

/**
 * Why the items cannot be answered in this session, or null. RECENT is rev1 only: RFC 9051
 * removed it from status-att (Appendix E), so for a rev2 session it is a syntax error.
 */
export function statusItemsProblem(s: ImapSession, items: readonly StatusItem[]): string | null {
  if (s.rev2 && items.includes("RECENT")) return "RECENT is not a status item in IMAP4rev2";
  return null;
}

/**
 * RFC 7162 §3.1: STATUS (HIGHESTMODSEQ) is a CONDSTORE enabling command — from now on
 * untagged FETCH responses of the selected mailbox carry MODSEQ.
 */
export function noteStatusItems(s: ImapSession, items: readonly StatusItem[]): void {
  if (!items.includes("HIGHESTMODSEQ")) return;
  s.enable("CONDSTORE");
  if (s.selected) s.selected.condstore = true;
}

function value(s: ImapSession, m: MailboxStatus, item: StatusItem): number {
  switch (item) {
    case "MESSAGES":
      return m.messages;
    case "UIDNEXT":
      return m.uidNext;
    case "UIDVALIDITY":
      return m.uidValidity;
    case "UNSEEN":
      return m.unseen;
    case "DELETED":
      return m.deleted;
    case "SIZE":
      // RFC 8438 §3: the total of the messages' RFC822.SIZE.
      return m.size;
    case "RECENT":
      // RFC 3501 §6.3.10: \Recent exists only per session here (no other session "sees"
      // a message first), so only the selected mailbox can have recent messages.
      return s.selected?.mailboxId === m.id ? s.selected.view.recent.size : 0;
    case "HIGHESTMODSEQ":
      return m.highestModseq;
    case "APPENDLIMIT":
      // RFC 7889 §3: the same limit as the APPENDLIMIT=n capability (one for all mailboxes).
      return s.deps.appendLimit;
  }
}

/** `* STATUS <mailbox> (<item> <value> ...)`, items in the order the client asked. */
export function writeStatus(w: ImapWriter, s: ImapSession, m: MailboxStatus, items: readonly StatusItem[]): void {
  w.atom("*").atom("STATUS").astring(s.mailboxName(m.name)).open();
  for (const item of items) w.atom(item).atom(value(s, m, item));
  w.close().crlf();
}

export async function sendStatus(s: ImapSession, m: MailboxStatus, items: readonly StatusItem[]): Promise<void> {
  const w = s.writer();
  writeStatus(w, s, m, items);
  await s.send(w);
}
