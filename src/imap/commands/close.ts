// CLOSE (RFC 9051 §6.4.1: expunge \Deleted silently, unless read-only) and UNSELECT
// (RFC 3691: leave without expunging).

import type { Executor } from "../dispatch.ts";
import { expunge as expungeMessages } from "../../store/imap-expunge.ts";

export const close: Executor = async (s, tag) => {
  const sel = s.selected!;
  if (!sel.readOnly) {
    const r = await expungeMessages(s.deps.db, sel.mailboxId);
    // Other sessions learn of it; this one is leaving, so it sends no EXPUNGE responses.
    s.deps.hub.publishAll(r.changes.map((c) => ({ ...c, origin: s.id })));
  }
  s.deselect();
  await s.tagged(tag, "OK", "CLOSE completed");
};

export const unselect: Executor = async (s, tag) => {
  s.deselect();
  await s.tagged(tag, "OK", "UNSELECT completed");
};
