// RENAME (RFC 9051 §6.3.6): the mailbox moves with its inferiors, keeping UIDs and
// UIDVALIDITY; renaming INBOX moves its messages to a new mailbox and leaves INBOX empty.

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import { renameMailbox } from "../../store/imap-rename.ts";
import { isSelfOrInferior } from "../../store/imap-names.ts";
import { decodeMailboxName } from "../names.ts";
import { badMailboxName, replyStoreError } from "../list-common.ts";

type RenameCmd = Extract<Command, { name: "RENAME" }>;

export const rename: Executor<RenameCmd> = async (s, tag, cmd) => {
  const from = decodeMailboxName(cmd.from, s.utf8);
  const to = decodeMailboxName(cmd.to, s.utf8);
  if (from === null || to === null) return badMailboxName(s, tag);
  let res;
  try {
    res = await renameMailbox(s.deps.db, s.user!.id, from, to);
  } catch (err) {
    return replyStoreError(s, tag, err, {
      ALREADYEXISTS: to.toUpperCase() === "INBOX" ? "INBOX always exists" : "Target mailbox (or one of its inferiors) already exists",
      CANNOT: from !== to && isSelfOrInferior(to, from) ? "Cannot rename a mailbox into itself" : "Invalid mailbox name",
    });
  }
  const changes = res.changes.map((c) => ({ ...c, origin: s.id }));
  s.deps.hub.publishAll(changes);

  const sel = s.selected;
  if (sel && from === "INBOX") {
    // Our own INBOX was emptied: the hub skips our echo, so the view takes the expunges
    // here and announces them before the tagged OK (RENAME may send EXPUNGE, §7.5.1).
    for (const c of changes) if (c.mailboxId === sel.mailboxId) sel.view.onChange(c);
    await s.flushUpdates(true);
  } else if (sel && isSelfOrInferior(sel.name, from)) {
    // Same mailbox (same id and UIDs), new name.
    s.selected = { ...sel, name: res.name + sel.name.slice(from.length) };
  }
  await s.tagged(tag, "OK", "RENAME completed");
};
