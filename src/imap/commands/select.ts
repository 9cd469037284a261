// SELECT / EXAMINE (RFC 9051 §6.3.2-3) with CONDSTORE and QRESYNC (RFC 7162 §3.1.2, §3.2.5):
// builds the session's view from the UID list and subscribes it to the mailbox's changes.

import type { ConnectionPort, Executor } from "../dispatch.ts";
import type { ImapSession } from "../session.ts";
import type { Command } from "../../protocol/imap/types.ts";
import { MailboxView } from "../../protocol/imap/view.ts";
import { UidList } from "../../protocol/imap/uid-list.ts";
import { mailboxByName } from "../../store/imap-status.ts";
import { selectInfo } from "../../store/imap-messages.ts";
import { changedSince, vanishedSince } from "../../store/imap-changes.ts";
import { decodeMailboxName } from "../names.ts";
import { formatSequenceSet } from "../../protocol/imap/sequence.ts";
import { formatFlags } from "../../protocol/imap/serialize.ts";

type SelectCmd = Extract<Command, { name: "SELECT" | "EXAMINE" }>;

/**
 * Feeds the mailbox's changes to the view for as long as it is selected. Built outside the
 * async executor on purpose: a closure made there would keep the executor's whole frame
 * (tag, command, row objects) alive for the hours a session may stay selected.
 */
function watchMailbox(s: ImapSession, conn: ConnectionPort, mailboxId: number, view: MailboxView): () => void {
  return s.deps.hub.subscribe(mailboxId, (c) => {
    if (c.origin === s.id) return;
    view.onChange(c);
    if (s.idling) conn.poke();
  });
}

export const SYSTEM_FLAGS = "(\\Answered \\Flagged \\Deleted \\Seen \\Draft)";

export const select: Executor<SelectCmd> = async (s, tag, cmd, conn) => {
  if (s.selected) {
    s.deselect();
    // RFC 9051 §7.1: [CLOSED] tells the client the previous mailbox is no longer selected.
    if (s.rev2 || s.qresync) await s.line("* OK [CLOSED] Previous mailbox closed");
  }
  const name = decodeMailboxName(cmd.mailbox, s.utf8);
  const mbx = name === null ? null : await mailboxByName(s.deps.db, s.user!.id, name, { counts: false });
  if (!mbx) return s.tagged(tag, "NO", "[NONEXISTENT] No such mailbox");
  if (cmd.qresync && !s.qresync) return s.tagged(tag, "BAD", "Enable QRESYNC first");
  if (cmd.condstore || cmd.qresync) s.enable("CONDSTORE");
  const info = await selectInfo(s.deps.db, mbx.id);
  const view = new MailboxView(UidList.fromRanges(info.ranges), mbx.highestModseq);
  const readOnly = cmd.name === "EXAMINE";
  const unsubscribe = watchMailbox(s, conn, mbx.id, view);
  s.selected = { mailboxId: mbx.id, name: mbx.name, readOnly, uidValidity: mbx.uidValidity, view, condstore: s.enabled.has("CONDSTORE"), unsubscribe };
  s.state = "selected";

  await s.line(`* ${view.exists} EXISTS`);
  if (!s.rev2) await s.line("* 0 RECENT");
  await s.line(`* FLAGS ${SYSTEM_FLAGS}`);
  await s.line(readOnly ? "* OK [PERMANENTFLAGS ()] Read-only mailbox" : "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted");
  await s.line(`* OK [UIDVALIDITY ${mbx.uidValidity}] UIDs valid`);
  await s.line(`* OK [UIDNEXT ${mbx.uidNext}] Predicted next UID`);
  // RFC 7162 §3.1.2.1: a CONDSTORE server reports HIGHESTMODSEQ on every SELECT/EXAMINE.
  await s.line(`* OK [HIGHESTMODSEQ ${mbx.highestModseq}] Highest`);
  if (!s.rev2) {
    const firstUnseen = info.firstUnseenUid === null ? 0 : view.seqOf(info.firstUnseenUid);
    if (firstUnseen > 0) await s.line(`* OK [UNSEEN ${firstUnseen}] First unseen`);
  }
  // RFC 9051 §6.3.2: a rev2 SELECT returns the mailbox's LIST response (its canonical name).
  if (s.rev2) await s.send(s.writer().atom("*").atom("LIST").atom("()").string("/").astring(s.mailboxName(mbx.name)).crlf());

  // RFC 7162 §3.2.5: QRESYNC — what vanished and what changed since the client's modseq.
  const q = cmd.qresync;
  if (q && q.uidValidity === mbx.uidValidity) {
    // RFC 7162 §3.2.5.1: only UIDs within the client's known-uids are reported as vanished.
    const known = q.knownUids;
    const inKnown = (u: number) => !known || known.kind !== "set" || known.ranges.some(([a, b]) => u >= Math.min(a, b) && u <= Math.max(a, b));
    const vanished = (await vanishedSince(s.deps.db, mbx.id, q.modseq)).filter(inKnown);
    if (vanished.length > 0) await s.line(`* VANISHED (EARLIER) ${formatSequenceSet(vanished)}`);
    for (const m of await changedSince(s.deps.db, mbx.id, q.modseq)) {
      const seq = view.seqOf(m.uid);
      if (seq > 0) await s.line(`* ${seq} FETCH (UID ${m.uid} FLAGS ${formatFlags(m.flags)} MODSEQ (${m.modseq}))`);
    }
  }
  await s.tagged(tag, "OK", `[${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${cmd.name} completed`);
};
