// DELETE (RFC 9051 §6.3.5): never INBOX, never a mailbox with inferiors (HASCHILDREN,
// RFC 5530); sessions that have it selected are told (their next update is a BYE).

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import { deleteMailbox as deleteStored } from "../../store/imap-mailboxes.ts";
import { decodeMailboxName } from "../names.ts";
import { badMailboxName, replyStoreError } from "../list-common.ts";

type DeleteCmd = Extract<Command, { name: "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE" }>;

export const deleteMailbox: Executor<DeleteCmd> = async (s, tag, cmd) => {
  const name = decodeMailboxName(cmd.mailbox, s.utf8);
  if (name === null) return badMailboxName(s, tag);
  let deleted;
  try {
    deleted = await deleteStored(s.deps.db, s.user!.id, name);
  } catch (err) {
    return replyStoreError(s, tag, err, { CANNOT: name === "INBOX" ? "INBOX cannot be deleted" : "Invalid mailbox name" });
  }
  // Durable now: other sessions with it selected get the "deleted" change (→ BYE [CLOSED]).
  s.deps.hub.publishAll(deleted.changes.map((c) => ({ ...c, origin: s.id })));
  if (s.selected?.mailboxId === deleted.id) {
    // Our own selected mailbox: there is nothing left to be selected in. Leave the selected
    // state and say so (RFC 9051 §7.1 CLOSED; rev1 clients ignore unknown codes, §7.1).
    s.deselect();
    await s.line("* OK [CLOSED] Selected mailbox deleted");
  }
  await s.tagged(tag, "OK", "DELETE completed");
};
