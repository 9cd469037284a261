// SUBSCRIBE / UNSUBSCRIBE (RFC 9051 §6.3.7-8): subscriptions are names, kept whether or not
// the mailbox exists (a later CREATE, or a mailbox deleted meanwhile, leaves them alone).

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import { subscribe as subscribeName, unsubscribe as unsubscribeName } from "../../store/imap-subscriptions.ts";
import { decodeMailboxName } from "../names.ts";
import { badMailboxName, replyStoreError } from "../list-common.ts";

type SubCmd = Extract<Command, { name: "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE" }>;

/**
 * §6.3.7: the server MAY check that the mailbox exists; we do not, so that a client can
 * subscribe ahead of a CREATE and LIST (SUBSCRIBED) shows \NonExistent for it. Invalid names
 * (wildcards, "..", empty levels) are refused with CANNOT.
 */
export const subscribe: Executor<SubCmd> = async (s, tag, cmd) => {
  const name = decodeMailboxName(cmd.mailbox, s.utf8);
  if (name === null) return badMailboxName(s, tag);
  try {
    await subscribeName(s.deps.db, s.user!.id, name);
  } catch (err) {
    return replyStoreError(s, tag, err);
  }
  await s.tagged(tag, "OK", "SUBSCRIBE completed");
};

/** §6.3.8: OK also when the name was not subscribed — the end state is the one asked for. */
export const unsubscribe: Executor<SubCmd> = async (s, tag, cmd) => {
  const name = decodeMailboxName(cmd.mailbox, s.utf8);
  if (name === null) return badMailboxName(s, tag);
  try {
    await unsubscribeName(s.deps.db, s.user!.id, name);
  } catch (err) {
    return replyStoreError(s, tag, err);
  }
  await s.tagged(tag, "OK", "UNSUBSCRIBE completed");
};
