// STORE / UID STORE (RFC 9051 §6.4.6) with CONDSTORE UNCHANGEDSINCE (RFC 7162 §3.1.3): one
// store op whose flag edits compose with concurrent ones, then the untagged FETCH responses.

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import type { ImapSession } from "../session.ts";
import { storeFlags, type FlagState } from "../../store/imap-flags.ts";
import { formatFlags } from "../../protocol/imap/serialize.ts";
import { formatSequenceSet } from "../../protocol/imap/sequence.ts";
import { publish } from "./expunge.ts";

type StoreCmd = Extract<Command, { name: "STORE" }>;

const SYSTEM = new Set(["\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"]);

/**
 * A flag the client may set, or null. \Recent is the server's alone (RFC 3501 §2.3.2); any
 * other "\" flag is a flag-extension no standard defines (RFC 9051 §9), so it cannot be
 * created either. Keywords are free (PERMANENTFLAGS has \*).
 */
export function invalidFlag(flags: readonly string[]): string | null {
  for (const f of flags) if (f.startsWith("\\") && !SYSTEM.has(f.toLowerCase())) return f;
  return null;
}

export const store: Executor<StoreCmd> = async (s, tag, cmd) => {
  const sel = s.selected!;
  const view = sel.view;
  const verb = cmd.uid ? "UID STORE" : "STORE";
  if (!cmd.uid && view.outOfRange(cmd.set)) return s.tagged(tag, "BAD", "Invalid message sequence number");
  const bad = invalidFlag(cmd.action.flags);
  if (bad !== null) return s.tagged(tag, "BAD", `Cannot store ${bad}`);
  // RFC 9051 §6.3.3: nothing changes in a mailbox opened with EXAMINE.
  if (sel.readOnly) return s.tagged(tag, "NO", "Mailbox is read-only");
  // RFC 7162 §3.1: STORE with UNCHANGEDSINCE is a CONDSTORE-enabling command.
  if (cmd.unchangedSince !== null) sel.condstore = true;
  const uids = view.resolve(cmd.set, cmd.uid, s.saved);
  const r = await storeFlags(s.deps.db, sel.mailboxId, uids, cmd.action.op, cmd.action.flags, cmd.unchangedSince);
  publish(s, r.changes);

  if (!cmd.action.silent) {
    // RFC 9051 §6.4.6: the new value of the flags of every message of the set (those that
    // failed UNCHANGEDSINCE changed nothing and are reported in MODIFIED instead).
    const all = [...r.updated, ...r.unchanged].sort((a, b) => a.uid - b.uid);
    for (const m of all) await fetchLine(s, m, cmd.uid, true);
  } else if (sel.condstore) {
    // RFC 7162 §3.1.3: even with .SILENT, every changed message gets a FETCH with its MODSEQ.
    for (const m of r.updated) await fetchLine(s, m, cmd.uid, false);
  }
  // RFC 9051 §7.5.1: no EXPUNGE responses during STORE; UID STORE may carry them.
  await s.flushUpdates(cmd.uid);
  if (r.modified.length > 0) {
    // RFC 7162 §3.1.3: MODIFIED lists message numbers for STORE, UIDs for UID STORE.
    const list = cmd.uid ? r.modified : r.modified.map((u) => view.seqOf(u)).filter((n) => n > 0);
    if (list.length > 0) return s.tagged(tag, "OK", `[MODIFIED ${formatSequenceSet(list)}] Conditional ${verb} failed`);
  }
  await s.tagged(tag, "OK", `${verb} completed`);
};

async function fetchLine(s: ImapSession, m: FlagState, uid: boolean, flags: boolean): Promise<void> {
  const sel = s.selected!;
  const seq = sel.view.seqOf(m.uid);
  if (seq === 0) return;
  const items: string[] = [];
  // RFC 9051 §6.4.8: responses to UID commands carry the UID.
  if (uid) items.push(`UID ${m.uid}`);
  if (flags) {
    const recent = !s.rev2 && sel.view.recent.has(m.uid) ? ["\\Recent"] : [];
    items.push(`FLAGS ${formatFlags([...m.flags, ...recent])}`);
  }
  if (sel.condstore) items.push(`MODSEQ (${m.modseq})`);
  if (items.length === 0) return;
  await s.line(`* ${seq} FETCH (${items.join(" ")})`);
}
