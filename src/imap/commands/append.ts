// APPEND (RFC 9051 §6.3.12) with APPENDUID (UIDPLUS, RFC 4315 §3), APPENDLIMIT (RFC 7889),
// BINARY literal8 (RFC 3516 §4.4) and UTF8 (RFC 6855 §4): the tagged OK follows the commit.

import type { Executor } from "../dispatch.ts";
import type { Command } from "../../protocol/imap/types.ts";
import { appendMessage } from "../../store/imap-append.ts";
import { ImapStoreError } from "../../store/imap-errors.ts";
import { decodeMailboxName } from "../names.ts";
import { invalidFlag } from "./store.ts";
import { publish } from "./expunge.ts";

type AppendCmd = Extract<Command, { name: "APPEND" }>;

/** "YYYY-MM-DDThh:mm:ss±hh:mm" as ms; a leap second (:60) counts as :59. */
function internalDate(iso: string): number {
  return Date.parse(iso.replace(/:60([+-])/, ":59$1"));
}

export const append: Executor<AppendCmd> = async (s, tag, cmd) => {
  const bad = invalidFlag(cmd.flags);
  if (bad !== null) return s.tagged(tag, "BAD", `Cannot store ${bad}`);
  // RFC 7889 §4 / RFC 4469 §4: over the advertised APPENDLIMIT is TOOBIG. The framer refuses a
  // synchronizing literal that large before it is sent; this catches anything that got past.
  if (cmd.message.byteLength > s.deps.appendLimit) return s.tagged(tag, "NO", "[TOOBIG] Message exceeds APPENDLIMIT");
  const date = cmd.date === null ? null : internalDate(cmd.date);
  if (date !== null && Number.isNaN(date)) return s.tagged(tag, "BAD", "Invalid date-time");
  const name = decodeMailboxName(cmd.mailbox, s.utf8);
  if (name === null) return s.tagged(tag, "NO", "[CANNOT] Invalid mailbox name");
  let r;
  try {
    // A missing target is TRYCREATE (RFC 9051 §6.3.12). Resolves only once the message is durable (DESIGN §4): the OK below promises it.
    r = await appendMessage(s.deps.db, s.user!.id, name, cmd.message, cmd.flags, date, s.deps.appendLimit);
  } catch (err) {
    if (!(err instanceof ImapStoreError)) throw err;
    const text = err.code === "TRYCREATE" ? "No such mailbox" : err.code === "TOOBIG" ? "Message exceeds APPENDLIMIT" : "Invalid mailbox name";
    return s.tagged(tag, "NO", `[${err.code}] ${text}`);
  }
  publish(s, r.changes);
  // RFC 9051 §6.3.12: appending to the selected mailbox shows up as EXISTS; it may be sent now.
  if (s.selected) await s.flushUpdates(true);
  await s.tagged(tag, "OK", `[APPENDUID ${r.uidValidity} ${r.uid}] APPEND completed`);
};
