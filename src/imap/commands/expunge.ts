// EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (UIDPLUS, RFC 4315 §2.1): removes the \Deleted
// messages and tells this session at once; other sessions learn of it through the hub.

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import type { ImapSession } from "../session.ts";
import type { MailboxChange } from "../../store/hub.ts";
import { formatSequenceSet } from "../../protocol/imap/sequence.ts";
import { expunge as expungeMessages } from "../../store/imap-expunge.ts";

type UidExpungeCmd = Extract<Command, { name: "UID EXPUNGE" }>;

export const expunge: Executor = async (s, tag) => run(s, tag, null);

export const uidExpunge: Executor<UidExpungeCmd> = async (s, tag, cmd) => {
  const uids = s.selected!.view.resolve(cmd.set, true, s.saved);
  // RFC 4315 §2.1: only the named messages; an empty selection expunges nothing.
  return run(s, tag, uids);
};

async function run(s: ImapSession, tag: string, uids: number[] | null): Promise<void> {
  const sel = s.selected!;
  const name = uids === null ? "EXPUNGE" : "UID EXPUNGE";
  // RFC 9051 §6.3.3: EXAMINE opens read-only; nothing may be expunged there.
  if (sel.readOnly) return s.tagged(tag, "NO", "Mailbox is read-only");
  const r = await expungeMessages(s.deps.db, sel.mailboxId, uids ?? undefined);
  publish(s, r.changes);
  await announceExpunged(s, r.uids);
  await s.flushUpdates(true);
  await s.tagged(tag, "OK", `${modseqCode(s, r.highestModseq)}${name} completed`);
}

/**
 * This session's own expunges: its view drops them now, and the client is told with
 * `* n EXPUNGE` (RFC 9051 §7.5.1) — highest first, so every number sent is the one the
 * client knew before the command — or `* VANISHED` once QRESYNC is on (RFC 7162 §3.2.10).
 */
export async function announceExpunged(s: ImapSession, uids: readonly number[]): Promise<void> {
  const view = s.selected!.view;
  const known = uids.filter((u) => view.seqOf(u) > 0);
  const seqs = view.applyOwnExpunge([...uids].sort((a, b) => b - a));
  if (s.qresync) {
    if (known.length > 0) await s.line(`* VANISHED ${formatSequenceSet([...known].sort((a, b) => a - b))}`);
    return;
  }
  for (const seq of seqs) await s.line(`* ${seq} EXPUNGE`);
}

/**
 * Publishes a store result's changes (after the write resolved, DESIGN §4). New messages in
 * the selected mailbox are also fed to this session's own view, which ignores its own echo,
 * so that its next update announces them with EXISTS (RFC 9051 §7.4.1).
 */
export function publish(s: ImapSession, changes: readonly MailboxChange[]): void {
  s.deps.hub.publishAll(changes.map((c) => ({ ...c, origin: s.id })));
  const sel = s.selected;
  if (!sel) return;
  for (const c of changes) if (c.kind === "exists" && c.mailboxId === sel.mailboxId) sel.view.onChange(c);
}

/** RFC 7162: once CONDSTORE is enabled, EXPUNGE and MOVE report the new HIGHESTMODSEQ. */
export function modseqCode(s: ImapSession, highestModseq: number): string {
  return s.selected?.condstore || s.enabled.has("CONDSTORE") ? `[HIGHESTMODSEQ ${highestModseq}] ` : "";
}
