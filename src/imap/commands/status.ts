// STATUS (RFC 9051 §6.3.11; RFC 3501 §6.3.10 for RECENT) with SIZE (RFC 8438), HIGHESTMODSEQ
// (RFC 7162 §3.1.10) and APPENDLIMIT (RFC 7889). Allowed on the selected mailbox too.

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import { mailboxByName } from "../../store/imap-status.ts";
import { decodeMailboxName } from "../names.ts";
import { badMailboxName } from "../list-common.ts";
import { noteStatusItems, sendStatus, statusItemsProblem } from "../list-status.ts";

type StatusCmd = Extract<Command, { name: "STATUS" }>;

export const status: Executor<StatusCmd> = async (s, tag, cmd) => {
  const name = decodeMailboxName(cmd.mailbox, s.utf8);
  if (name === null) return badMailboxName(s, tag);
  const problem = statusItemsProblem(s, cmd.items);
  if (problem) return s.tagged(tag, "BAD", problem);
  // Scoped to the logged-in account: another account's mailbox is simply not found.
  const mbx = await mailboxByName(s.deps.db, s.user!.id, name);
  if (!mbx) return s.tagged(tag, "NO", "[NONEXISTENT] No such mailbox");
  noteStatusItems(s, cmd.items);
  await sendStatus(s, mbx, cmd.items);
  await s.tagged(tag, "OK", "STATUS completed");
};
