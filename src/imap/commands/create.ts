// CREATE (RFC 9051 §6.3.4) with CREATE-SPECIAL-USE `USE (...)` (RFC 6154 §3): missing
// superiors are created, a trailing delimiter is dropped, INBOX always exists.

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import { createMailbox } from "../../store/imap-mailboxes.ts";
import { decodeMailboxName } from "../names.ts";
import { badMailboxName, replyStoreError } from "../list-common.ts";

type CreateCmd = Extract<Command, { name: "CREATE" }>;

export const create: Executor<CreateCmd> = async (s, tag, cmd) => {
  const name = decodeMailboxName(cmd.mailbox, s.utf8);
  if (name === null) return badMailboxName(s, tag);
  // RFC 6154 §3: a special use the server cannot assign → NO, nothing created; USEATTR when
  // the attribute is the reason. A mailbox here carries at most one special use.
  if (cmd.specialUse.length > 1) return s.tagged(tag, "NO", "[USEATTR] Only one special-use attribute per mailbox");
  try {
    await createMailbox(s.deps.db, s.user!.id, name, cmd.specialUse[0] ?? null);
  } catch (err) {
    return replyStoreError(s, tag, err, { ALREADYEXISTS: name === "INBOX" ? "INBOX always exists" : "Mailbox already exists" });
  }
  await s.tagged(tag, "OK", "CREATE completed");
};
