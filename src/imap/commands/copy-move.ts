// COPY / UID COPY (RFC 9051 §6.4.7) with COPYUID (UIDPLUS, RFC 4315 §3), and MOVE / UID MOVE
// (RFC 6851 §3): one atomic store op each; the target's new messages and the source's
// expunges are published once durable.

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import type { ImapSession } from "../session.ts";
import { copyMessages, moveMessages, type CopyResult } from "../../store/imap-copy-move.ts";
import { ImapStoreError } from "../../store/imap-errors.ts";
import { findMailbox } from "../../store/messages.ts";
import { formatSequenceSet } from "../../protocol/imap/sequence.ts";
import { decodeMailboxName } from "../names.ts";
import { announceExpunged, modseqCode, publish } from "./expunge.ts";

type CopyCmd = Extract<Command, { name: "COPY" | "MOVE" }>;

export const copy: Executor<CopyCmd> = async (s, tag, cmd) => run(s, tag, cmd);
export const move: Executor<CopyCmd> = async (s, tag, cmd) => run(s, tag, cmd);

async function run(s: ImapSession, tag: string, cmd: CopyCmd): Promise<void> {
  const sel = s.selected!;
  const verb = `${cmd.uid ? "UID " : ""}${cmd.name}`;
  // RFC 9051 §6.4.7: a message number beyond EXISTS is a protocol error.
  if (!cmd.uid && sel.view.outOfRange(cmd.set)) return s.tagged(tag, "BAD", "Invalid message sequence number");
  // RFC 6851 §3.3: MOVE expunges from the source, which EXAMINE opened read-only.
  if (cmd.name === "MOVE" && sel.readOnly) return s.tagged(tag, "NO", "Mailbox is read-only");
  const name = decodeMailboxName(cmd.mailbox, s.utf8);
  const target = name === null ? null : await findMailbox(s.deps.db, s.user!.id, name);
  // RFC 9051 §6.4.7: a missing target is TRYCREATE, so the client may CREATE and retry.
  if (!target) return s.tagged(tag, "NO", "[TRYCREATE] No such mailbox");
  const uids = sel.view.resolve(cmd.set, cmd.uid, s.saved);

  let r: CopyResult & { expunged?: number[] };
  try {
    r = cmd.name === "COPY" ? await copyMessages(s.deps.db, sel.mailboxId, uids, target.id) : await moveMessages(s.deps.db, sel.mailboxId, uids, target.id);
  } catch (err) {
    if (err instanceof ImapStoreError) return s.tagged(tag, "NO", `[${err.code}] ${cmd.name} failed`);
    throw err;
  }
  publish(s, r.changes);
  // RFC 4315 §3: COPYUID pairs the sources with the new UIDs, both ascending; there is no
  // COPYUID for an empty set (uid-set is non-empty), so nothing copied is a plain OK.
  const code = r.pairs.length > 0 ? `[COPYUID ${r.uidValidity} ${formatSequenceSet(r.pairs.map((p) => p[0]))} ${formatSequenceSet(r.pairs.map((p) => p[1]))}]` : "";

  if (cmd.name === "COPY") {
    await s.flushUpdates(true);
    return s.tagged(tag, "OK", `${code ? code + " " : ""}${verb} completed`);
  }
  // RFC 6851 §4.3: COPYUID goes in an untagged OK before the expunges, leaving the tagged OK
  // free for HIGHESTMODSEQ (RFC 7162).
  if (code) await s.line(`* OK ${code} Moved`);
  await announceExpunged(s, r.expunged ?? []);
  await s.flushUpdates(true);
  const highest = sourceModseq(r, sel.mailboxId) ?? (await findMailbox(s.deps.db, s.user!.id, sel.name))?.highestModseq ?? null;
  await s.tagged(tag, "OK", `${highest === null ? "" : modseqCode(s, highest)}${verb} completed`);
}

function sourceModseq(r: CopyResult, sourceId: number): number | null {
  const c = r.changes.find((x) => x.kind === "expunge" && x.mailboxId === sourceId);
  return c ? c.modseq : null;
}
